"""0.11's settings keys, environment variables and command-line spellings, and the trust rule.

A repository configured the 0.11 way runs without edits; each old spelling prints one
deprecation line. Its ``pillar_config`` is Python from the repository: it runs only when
Hammurabi works inside that repository as the current directory (or with
``--trust-repository``), never for a repository given as a path or under
``pull_request_target``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.compat import mode
from hammurabi.core.exitcodes import ExitCode
from hammurabi.loading.settings import load_settings
from tests.gitrepos import git, init_repo, isolate_git

PILLAR = """\
from pathlib import Path
from hammurabi import Law, LineExists, Pillar

Path("ran.marker").write_text("the pillar ran")
pillar = Pillar()
pillar.register(Law(name="Keepalive", description="d", rules=(
    LineExists(name="keepalive", path=Path("g.py"), text="keepalive = 65", match="^bind"),
)))
"""
SETTINGS = """\
[tool.hammurabi]
pillar_config = "hammurabi/pillar.py"
git_branch_name = "bot"
git_base_name = "main"
allow_push = false
repository = "acme/widgets"
report_name = "reports/h.json"
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)
    monkeypatch.delenv("GITHUB_EVENT_NAME", raising=False)
    mode.forget()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    files = {"g.py": "bind = 1\n", "hammurabi/pillar.py": PILLAR, "pyproject.toml": SETTINGS}
    return init_repo(tmp_path / "widgets", files)


def test_settings_keys_are_mapped(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(repo, env={})
    assert settings.laws == [f"original:{repo / 'hammurabi/pillar.py'}"]
    assert (settings.git.branch, settings.git.base, settings.git.push) == ("bot", "main", False)
    assert settings.git.allow_dirty  # 0.11 ran on a dirty tree (its report lands there)
    assert settings.github.repository == "acme/widgets"
    assert settings.original == {"report_name": "reports/h.json"}
    err = capsys.readouterr().err
    assert err.count("hammurabi: deprecated:") == 1
    assert "allow_push, git_base_name, git_branch_name, pillar_config" in err
    load_settings(repo, env={})
    assert capsys.readouterr().err == ""  # once per run


def test_environment_variables_and_settings_path(tmp_path: Path, repo: Path) -> None:
    other = tmp_path / "custom.toml"
    other.write_text('[tool.hammurabi]\npillar_name = "main_pillar"\n')
    env = {
        "HAMMURABI_SETTINGS_PATH": str(other),
        "HAMMURABI_GIT_BRANCH_NAME": "env-bot",
        "HAMMURABI_ALLOW_PUSH": "false",
        "HAMMURABI_DRY_RUN": "true",
    }
    settings = load_settings(repo, env=env)
    assert settings.laws == [f"original:{tmp_path / 'pillar.conf.py'}:main_pillar"]
    assert settings.git.branch == "env-bot" and settings.git.push is False
    assert settings.original["dry_run"] == "true"


def test_default_pillar_file_of_0_11(tmp_path: Path) -> None:
    repo = init_repo(
        tmp_path / "r",
        {"pillar.conf.py": PILLAR, "pyproject.toml": '[tool.hammurabi]\ngit_branch_name = "b"\n'},
    )
    assert load_settings(repo, env={}).laws == [f"original:{repo / 'pillar.conf.py'}"]


def test_enforce_in_the_repository_runs_its_pillar(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    code = main(["--repository", "acme/other", "--log-level", "WARNING", "enforce", "--no-dry-run"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert git("show", "bot:g.py", cwd=repo) == "bind = 1\nkeepalive = 65"
    assert (repo / "reports/h.json").is_file()
    assert "--repository is the 0.11 spelling" in captured.err
    assert "--no-dry-run is the 0.11 spelling" in captured.err


def test_a_repository_given_as_a_path_never_runs_its_pillar(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["enforce", str(repo)]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert "is refused" in err and "--trust-repository" in err
    (repo / "pyproject.toml").write_text(
        '[tool.hammurabi]\npillar_config = "hammurabi/pillar.py"\n'
    )
    for command in ("enforce", "check", "laws"):
        assert main([command, str(repo)]) == ExitCode.USAGE_ERROR
        err = capsys.readouterr().err
        assert "law source 'original:" in err and "--trust-repository" in err
    assert not (repo / "ran.marker").exists() and not (tmp_path / "ran.marker").exists()


def test_pull_request_target_never_runs_its_pillar(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request_target")
    assert main(["enforce"]) == ExitCode.USAGE_ERROR
    assert "--trust-repository" in capsys.readouterr().err
    assert not (repo / "ran.marker").exists()
    assert main(["enforce", "--trust-repository", "--no-push"]) == 0
    assert (repo / "ran.marker").exists()


def test_config_option_token_and_version(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    custom = repo / "other.toml"
    custom.write_text('[tool.hammurabi]\npillar_config = "hammurabi/pillar.py"\ndry_run = true\n')
    git("add", "other.toml", cwd=repo)
    git("commit", "--quiet", "-m", "other settings", cwd=repo)
    secret = "ghp_" + "s3cr3t" * 5
    code = main(["-c", str(custom), "--token", secret, "enforce", "--no-report"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "dry run" in captured.out.lower()  # dry_run = true in the file given by -c
    assert secret not in captured.out + captured.err
    assert "--token is the 0.11 spelling" in captured.err
    assert git("branch", "--list", "bot", cwd=repo) == ""
    assert main(["version"]) == 0
    assert capsys.readouterr().out.startswith("hammurabi ")


def test_rule_can_abort_skips_the_laws_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pillar = """\
from pathlib import Path
from hammurabi import FileExists, Law, LineExists, Pillar

pillar = Pillar()
pillar.register(Law(name="First", description="d", rules=(
    FileExists(name="made", path=Path("made.txt")),
    LineExists(name="broken", path=Path("g.py"), text="x = 1", match="^nothing"),
)))
pillar.register(Law(name="Second", description="d", rules=(
    FileExists(name="later", path=Path("later.txt")),
)))
"""
    settings = '[tool.hammurabi]\nrule_can_abort = true\ngit_branch_name = "bot"\n'
    repo = init_repo(
        tmp_path / "r", {"g.py": "a = 1\n", "pillar.conf.py": pillar, "pyproject.toml": settings}
    )
    monkeypatch.chdir(repo)
    assert main(["enforce", "--format", "json"]) == ExitCode.RULES_FAILED
    run = json.loads(capsys.readouterr().out)
    assert [(law["name"], law["outcome"]) for law in run["laws"]] == [
        ("First", "failed"),
        ("Second", "skipped"),
    ]
    assert "rule_can_abort" in run["laws"][1]["reason"]
    assert git("branch", "--list", "bot", cwd=repo) == ""  # nothing to commit


def test_pillar_conf_py_runs_when_no_laws_are_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "r", {"g.py": "bind = 1\n", "pillar.conf.py": PILLAR})
    monkeypatch.chdir(tmp_path)
    assert load_settings(repo, env={}, trusted=False).laws == []  # plugins, as before
    assert not (repo / "ran.marker").exists()
    monkeypatch.chdir(repo)
    assert main(["enforce", "--branch", "bot"]) == 0
    assert "pillar.conf.py runs as Hammurabi 0.11 ran it" in capsys.readouterr().err
    assert git("show", "bot:g.py", cwd=repo) == "bind = 1\nkeepalive = 65"
    assert (repo / "hammurabi_report.json").is_file()


def test_a_repository_cannot_spell_a_variable_into_its_pillar_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOME_SECRET", "hunter2")
    repo = init_repo(
        tmp_path / "r", {"pyproject.toml": '[tool.hammurabi]\npillar_config = "$SOME_SECRET.py"\n'}
    )
    laws = load_settings(repo, env={"SOME_SECRET": "hunter2"}).laws
    assert laws == [f"original:{repo / '$SOME_SECRET.py'}"]
    env = {"SOME_SECRET": "hunter2", "HAMMURABI_PILLAR_CONFIG": "$SOME_SECRET/p.py"}
    assert load_settings(tmp_path, env=env).laws == [f"original:{tmp_path / 'hunter2/p.py'}"]
