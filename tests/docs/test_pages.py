"""The code in the documentation pages is real: it is run, loaded or checked here.

- ``console`` blocks of the pages in :data:`RUN` run in one shell, in order, with the
  page's titled blocks (```` ```yaml title="laws/service.yml" ````) written where they
  appear; each output line shown must appear in order (``...`` matches anything).
- Every YAML law file in the pages loads and is enforced, through the CLI, on a real git
  repository holding the files its page shows, without a failure.
- YAML and TOML blocks parse; settings files hold only real settings.
- Every ``hammurabi`` command line uses real commands and options.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from hammurabi.cli.main import app, main
from hammurabi.loading.settings import load_settings
from tests.docs.helpers import DOCS, Block, blocks, pages
from tests.gitrepos import GIT_ENV, init_repo, isolate_git

#: Pages whose console blocks run, top to bottom, in one shell.
RUN = ["getting-started.md", "fleets.md"]
#: Pages whose law files use the tutorial plugin's ids: test_plugin_tutorial.py runs them.
NEEDS_PLUGIN = {"docs/plugins.md"}
_MARK = "@@hammurabi-docs@@"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HAMMURABI_", "GIT_", "GITHUB_"))
    }
    env.update(GIT_ENV)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(tmp_path / "home")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["COLUMNS"] = "100"
    return env


def _commands(block: Block) -> list[tuple[str, list[str]]]:
    """(command, output lines shown after it) of a console block."""
    found: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        else:
            assert found, f"{block}: output before the first '$ ' command"
            found[-1][1].append(line)
    return found


def _script(page: Path) -> tuple[str, list[tuple[str, list[str], str]]]:
    """A bash script doing what ``page`` shows, and (command, shown output, where) per step."""
    lines = ["set +e", 'start="$PWD"']
    steps = []
    for block in blocks(page):
        if block.title:
            if block.language == "console":
                continue
            delimiter = "HAMMURABI_DOCS_EOF"
            lines += [
                f'mkdir -p "$start/$(dirname {shlex.quote(block.title)})"',
                f"cat > \"$start/{block.title}\" <<'{delimiter}'",
                block.text.rstrip("\n"),
                delimiter,
            ]
        elif block.language == "console":
            for command, shown in _commands(block):
                lines += [command, f'__s=$?; echo "{_MARK} $__s"; (exit $__s)']
                steps.append((command, shown, str(block)))
    return "\n".join(lines) + "\n", steps


def _matches(shown: list[str], actual: list[str]) -> str | None:
    """None when every shown line appears in ``actual`` in order; else the first missing."""
    position = 0
    for line in shown:
        if line.strip() == "...":
            continue
        pattern = ".*".join(re.escape(part) for part in line.rstrip().split("..."))
        while position < len(actual) and not re.fullmatch(pattern, actual[position].rstrip()):
            position += 1
        if position == len(actual):
            return line
        position += 1
    return None


@pytest.mark.parametrize("name", RUN)
def test_console_blocks_run_as_shown(name: str, tmp_path: Path) -> None:
    script, steps = _script(DOCS / name)
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=work,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    chunks = (proc.stdout + proc.stderr).split(f"{_MARK} ")
    outputs = [chunks[0]] + [
        chunk.split("\n", 1)[1] if "\n" in chunk else "" for chunk in chunks[1:]
    ]
    assert len(outputs) == len(steps) + 1, proc.stderr
    for (command, shown, where), output in zip(steps, outputs, strict=False):
        missing = _matches(shown, output.splitlines())
        assert missing is None, f"{where}: `{command}` did not print {missing!r}:\n{output}"


# -- law files ------------------------------------------------------------------------------


def _all_blocks() -> list[Block]:
    return [block for page in pages() for block in blocks(page)]


def _law_files() -> list[Block]:
    """YAML law files, and Python files defining a Pillar."""
    found = []
    for block in _all_blocks():
        if block.page in NEEDS_PLUGIN:
            continue
        if block.language in ("yaml", "yml"):
            data = yaml.safe_load(block.text)
            if isinstance(data, dict) and "laws" in data:
                found.append(block)
        elif block.language == "python" and "Pillar()" in block.text and block.title:
            found.append(block)
    return found


def test_pages_show_law_files() -> None:
    assert len(_law_files()) >= 5


@pytest.mark.parametrize("block", _law_files(), ids=str)
def test_law_file_loads_and_enforces_on_a_git_repository(
    block: Block,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Enforced on a git repository (a bot branch), then in place: a second pass is clean."""
    isolate_git(monkeypatch)
    monkeypatch.setenv("HAMMURABI_ALLOW_COMMANDS", "1")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    laws = _law_files()
    files = {"README.md": "# repo\n"}
    page = blocks(DOCS.parent / block.page)
    for other in page:  # the files the page shows, except settings (tested below)
        if not other.title or other.language == "console" or other in laws:
            continue
        if other.language != "toml" or "hammurabi" not in tomllib.loads(other.text).get("tool", {}):
            files[other.title] = other.text
    repo = init_repo(tmp_path / "repo", files)
    shown: list[Block] = []  # a diff the page shows for this law file (before the next one)
    for later in page[page.index(block) + 1 :]:
        if later in laws:
            break
        if later.language == "diff":
            shown.append(later)
            break
    suffix = ".py" if block.language == "python" else ".yml"
    law_file = tmp_path / "laws" / f"docs{suffix}"
    law_file.parent.mkdir()
    law_file.write_text(block.text)
    laws_option = ("--laws", str(law_file))

    def hammurabi(*args: str) -> tuple[int, str, str]:  # in-process: no interpreter start-up
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    code, out, err = hammurabi("enforce", str(repo), *laws_option, "--format", "json")
    assert code == 0, f"{block}: {err}"
    report = json.loads(out)
    assert report["outcome"] != "failed", f"{block}: {err}"
    diff = "".join(change["diff"] for law in report["laws"] for change in law["changes"])
    for line in shown[0].text.splitlines() if shown else []:
        assert line in diff.splitlines(), f"{shown[0]}: the run's diff has no line {line!r}"
    code, out, err = hammurabi("enforce", str(repo), *laws_option, "--no-git")
    assert code == 0, f"{block}: {err}"
    code, out, err = hammurabi("check", str(repo), *laws_option)
    assert code == 0, f"{block}: a second pass would change more:\n{out}"


# -- YAML, TOML and settings ------------------------------------------------------------------


@pytest.mark.parametrize(
    "block", [b for b in _all_blocks() if b.language in ("yaml", "yml", "toml")], ids=str
)
def test_yaml_and_toml_blocks_parse(block: Block, tmp_path: Path) -> None:
    if block.language == "toml":
        data = tomllib.loads(block.text)
        name = Path(block.title or "").name
        if name in ("pyproject.toml", ".hammurabi.toml"):
            (tmp_path / name).write_text(block.text)
            load_settings(tmp_path, env={})  # unknown keys and bad values are errors
        else:
            assert "tool" not in data or "hammurabi" not in data["tool"], (
                f"{block}: settings need a title naming their file"
            )
    else:
        yaml.safe_load(block.text)


# -- command lines ------------------------------------------------------------------------------


def _cli() -> Any:
    return typer.main.get_command(app)


def _invocations(text: str) -> list[list[str]]:
    text = re.sub(r"\$\{\{.*?\}\}", "EXPR", text)
    text = re.sub(r"\\\n", " ", text)
    found = []
    for line in text.splitlines():
        line = line.strip().removeprefix("$ ").removeprefix("- run: ").removeprefix("run: ")
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if words[:1] == ["hammurabi"]:
            found.append(words[1:])
    return found


def _check(words: list[str]) -> None:
    command = _cli()
    path = ["hammurabi"]
    while words and hasattr(command, "commands") and not words[0].startswith("-"):
        assert words[0] in command.commands, f"{' '.join(path)} has no command {words[0]!r}"
        command = command.commands[words[0]]
        path.append(words.pop(0))
    accepted = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
    accepted |= {"-h", "--help"}
    for word in words:
        if word.startswith("-") and word != "-" and not word.startswith("$"):
            option = word.split("=", 1)[0]
            assert option in accepted, f"{' '.join(path)} has no option {option}"


def test_command_lines_use_real_commands_and_options() -> None:
    seen = 0
    for block in _all_blocks():
        if block.language in ("console", "sh", "bash", "yaml", "yml", "text", ""):
            for words in _invocations(block.text):
                try:
                    _check(list(words))
                except AssertionError as exc:
                    raise AssertionError(f"{block}: hammurabi {' '.join(words)}: {exc}") from None
                seen += 1
    assert seen >= 5


def test_environment_variables_named_in_the_pages_exist() -> None:
    """Every ``HAMMURABI_*`` variable the pages name is a setting's or one the code reads."""
    from hammurabi.loading.settings import describe

    known = {row["env"] for row in describe()}
    source = "\n".join(p.read_text() for p in (DOCS.parent / "hammurabi").rglob("*.py"))
    known |= set(re.findall(r"HAMMURABI_[A-Z_]+[A-Z]", source))
    for page in pages():
        for name in set(re.findall(r"HAMMURABI_[A-Z_]+[A-Z]", page.read_text())):
            assert name in known or name.endswith("_"), f"{page.name}: no variable {name}"


def _steps(node: Any) -> list[dict[str, Any]]:
    """Every mapping with a ``uses`` key in a workflow."""
    if isinstance(node, dict):
        found = [node] if "uses" in node else []
        return found + [step for value in node.values() for step in _steps(value)]
    if isinstance(node, list):
        return [step for item in node for step in _steps(item)]
    return []


def test_the_action_and_the_hook_are_used_with_their_real_inputs() -> None:
    """The pages' uses of the composite action and the pre-commit hook match their files."""
    action = yaml.safe_load((DOCS.parent / "action.yml").read_text())
    hooks = {
        hook["id"] for hook in yaml.safe_load((DOCS.parent / ".pre-commit-hooks.yaml").read_text())
    }
    used = 0
    for block in _all_blocks():
        if block.language not in ("yaml", "yml"):
            continue
        data = yaml.safe_load(block.text)
        for step in _steps(data):
            if step["uses"].split("@")[0].endswith("/hammurabi"):
                inputs = step.get("with") or {}
                assert set(inputs) <= set(action["inputs"]), f"{block}: {set(inputs)}"
                command = inputs.get("command", action["inputs"]["command"]["default"])
                _check([command, *shlex.split(inputs.get("args", ""))])
                used += 1
        for repo in (data or {}).get("repos", []) if isinstance(data, dict) else []:
            for hook in repo.get("hooks", []):
                if repo["repo"].endswith("/hammurabi"):
                    assert hook["id"] in hooks, f"{block}: no hook {hook['id']}"
                    _check(["check", *hook.get("args", [])])
                    used += 1
    assert used >= 2


def test_included_files_are_included_whole() -> None:
    """Every ``--8<--`` line names a file, and the tutorial page shows each file of its package."""
    for page in pages():
        for line in page.read_text().splitlines():
            if line.startswith("--8"):
                found = re.fullmatch(r'--8<-- "([^"]+)"', line)
                assert found, f"{page.name}: malformed include {line!r}"
                assert (DOCS.parent / found.group(1)).is_file(), line
    shown = {block.text.rstrip("\n") for block in blocks(DOCS / "plugins.md")}
    package = DOCS.parent / "examples" / "plugin-tutorial"
    for path in [*package.rglob("*.py"), package / "pyproject.toml", package / "laws.yml"]:
        assert path.read_text().rstrip("\n") in shown, f"plugins.md does not show {path.name}"


def test_the_json_report_has_the_keys_the_docs_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = (DOCS / "reference" / "exit-codes.md").read_text()
    section = page[page.index("## The JSON report") :]
    documented = {
        key
        for line in section.splitlines()
        if line.startswith("| `")
        for key in re.findall(r"`(\w+)`", line.split("|")[1])
    }
    sentence = section.split("Each rule's record has")[1].split(".")[0]
    rule_keys = set(re.findall(r"`(\w+)`", sentence)) - {"pipe", "children"}  # in `chain`
    isolate_git(monkeypatch)
    repo = init_repo(tmp_path / "repo", {"app.py": "DEBUG = True\n"})
    (tmp_path / "laws.yml").write_text(
        "laws:\n  - name: Debug off\n    description: d\n    rules:\n"
        "      - line-replaced: {path: app.py, target: '^DEBUG', text: DEBUG = False}\n"
    )
    assert (
        main(["enforce", str(repo), "--laws", str(tmp_path / "laws.yml"), "--format", "json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert documented - set(report) == set()
    assert rule_keys - set(report["laws"][0]["rules"][0]) == set()
    assert {"branch", "base", "commits", "pushed", "action"} <= set(report["git"])
