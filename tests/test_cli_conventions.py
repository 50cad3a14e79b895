"""Command-line conventions: common options anywhere, plain metavars, completion, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from hammurabi.orchestration import repository as runner
from tests.helpers import hammurabi, make_tree


@pytest.mark.parametrize("args", [["laws", "--version"], ["--version", "laws"]])
def test_version_anywhere(args: list[str]) -> None:
    result = hammurabi(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("hammurabi ")


def test_verbose_after_the_subcommand(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "repo", {"app.py": "x = 1\n"})
    result = hammurabi("rules", "-v", cwd=root)
    assert result.returncode == 0, result.stderr
    result = hammurabi("rules", "-vv", "--", cwd=root)
    assert "No such option" not in result.stderr


def test_help_has_plain_metavars() -> None:
    for command in (["enforce"], ["check"], ["laws"], ["health"], ["metrics", "status"]):
        out = hammurabi(*command, "--help").stdout
        assert "list[str]" not in out and "int range" not in out and "<str>" not in out, out
    out = hammurabi("enforce", "--help").stdout
    assert "--laws SOURCE" in out and "--select GLOB" in out and "--jobs N" in out


def test_shell_completion() -> None:
    for shell in ("bash", "zsh", "fish"):  # the script --show-completion prints in that shell
        result = hammurabi(env={"_HAMMURABI_COMPLETE": f"source_{shell}"})
        assert result.returncode == 0, result.stderr
        assert "_HAMMURABI_COMPLETE" in result.stdout
    env = {"_HAMMURABI_COMPLETE": "complete_bash", "COMP_WORDS": "hammurabi enf", "COMP_CWORD": "1"}
    assert hammurabi(env=env).stdout.split() == ["enforce"]


@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_verbose_never_changes_the_exit_code(
    verbose: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:  # an unforeseen bug
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "prepare", broken)
    assert main(["laws", *verbose]) == ExitCode.INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("hammurabi: internal error: RuntimeError: boom")
    assert ("Traceback" in err) == bool(verbose)


def test_no_laws_says_why(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "repo", {"app.py": "x = 1\n"})
    laws = tmp_path / "laws.yml"
    laws.write_text(
        "laws:\n  - name: Ignore caches\n    description: d\n    rules:\n"
        "      - line-exists: {name: r, path: .gitignore, text: x, create: true}\n"
    )
    (tmp_path / "empty.yml").write_text("laws: []\n")
    (tmp_path / "nolaws").mkdir()
    cases = {
        ("--laws", str(laws), "--select", "nothing*"): "--select 'nothing*' left none of the 1 "
        "laws ('Ignore caches')",
        (
            "--laws",
            str(tmp_path / "empty.yml"),
        ): f"law file {tmp_path / 'empty.yml'} defines no laws",
        ("--laws", str(tmp_path / "nolaws")): f"folder {tmp_path / 'nolaws'} has no law files",
        (): "no law source given and no installed plugin contributes laws",
    }
    for args, reason in cases.items():
        result = hammurabi("check", str(root), "--disable-plugin", "python", *args)
        assert result.returncode == ExitCode.USAGE_ERROR, result.stderr
        assert result.stderr.startswith(f"hammurabi: error: no laws to enforce: {reason}"), (
            result.stderr
        )


def _plugin_dist(where: Path, name: str, source: str) -> None:
    """An installed plugin: its module and the dist-info importlib.metadata finds."""
    (where / f"{name}.py").write_text(source)
    info = where / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[hammurabi]\n{name} = {name}\n")


@pytest.fixture
def plugins_env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir()
    _plugin_dist(site, "brokenimport", "raise ImportError('no module named yaml2')\n")
    _plugin_dist(
        site,
        "raisinglaws",
        "from hammurabi import hookimpl\n\n"
        "@hookimpl\ndef hammurabi_laws(settings):\n    raise KeyError('oops')\n",
    )
    return {"PYTHONPATH": str(site)}


def test_plugin_failures_name_the_plugin(tmp_path: Path, plugins_env: dict[str, str]) -> None:
    root = make_tree(tmp_path / "repo", {"app.py": "x = 1\n"})
    result = hammurabi("check", str(root), env=plugins_env)
    assert result.returncode == ExitCode.USAGE_ERROR
    assert result.stderr.startswith("hammurabi: error: plugin 'brokenimport'")
    assert "--disable-plugin brokenimport" in result.stderr and "Traceback" not in result.stderr
    result = hammurabi("check", str(root), "-p", "brokenimport", env=plugins_env)
    assert result.returncode == ExitCode.USAGE_ERROR, result.stderr
    assert result.stderr.startswith(
        "hammurabi: error: plugin 'raisinglaws' failed in hammurabi_laws: KeyError: 'oops'; "
        "run without it with --disable-plugin raisinglaws"
    )


def test_plugins_lists_the_others_when_one_is_broken(plugins_env: dict[str, str]) -> None:
    result = hammurabi("plugins", "--format", "json", env=plugins_env)
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert "no module named yaml2" in rows["brokenimport"]["error"]
    assert rows["files"]["error"] == "" and rows["raisinglaws"]["hooks"] == ["hammurabi_laws"]


def test_unknown_plugin_to_disable_is_a_usage_error(tmp_path: Path) -> None:
    result = hammurabi("rules", "--disable-plugin", "nosuchplugin")
    assert result.returncode == ExitCode.USAGE_ERROR
    assert result.stderr.startswith("hammurabi: error: no plugin named nosuchplugin to disable")


def test_unknown_hammurabi_variables_are_warned_about(tmp_path: Path) -> None:
    env = {"HAMMURABI_GIT_BRANH": "x", "HAMMURABI_GIT_BRANCH": "bot"}
    result = hammurabi("rules", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("HAMMURABI_GIT_BRANH") == 1
    assert "did you mean HAMMURABI_GIT_BRANCH?" in result.stderr
    assert "HAMMURABI_GIT_BRANCH " not in result.stderr.replace("?", " ").split("mean")[0]


def test_tables_at_80_columns_cut_nothing() -> None:
    for command in ("plugins", "rules", "preconditions"):
        result = hammurabi(command, env={"COLUMNS": "80"})
        assert result.returncode == 0, result.stderr
        assert "…" not in result.stdout
        assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_plugins_at_80_columns_show_names_and_modules_whole() -> None:
    listed = json.loads(hammurabi("plugins", "--format", "json").stdout)
    text = hammurabi("plugins", env={"COLUMNS": "80"}).stdout
    lines = [line.strip("│ ") for line in text.splitlines()]
    for plugin in listed:
        assert any(line.startswith(plugin["name"]) for line in lines), plugin["name"]
        assert any(line.startswith(plugin["module"]) for line in lines), plugin["module"]
        assert f"Plugins from {plugin['distribution']} {plugin['version']}" in text


def test_counts_are_singular_for_one(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "repo", {"app.py": "x = 1\n"})
    laws = tmp_path / "laws.yml"
    laws.write_text(
        "laws:\n  - name: Ignore caches\n    description: d\n    rules:\n"
        "      - line-exists: {name: r, path: .gitignore, text: x, create: true}\n"
    )
    result = hammurabi("check", str(root), "--laws", str(laws), "-p", "python")
    assert "1 law in" in result.stdout and "1 laws" not in result.stdout
