"""How many git processes a run starts: a dry run, a run committing each law, and the
no-change re-run; and the cases where git refuses the repository, which behave as before.

Real repositories; ``GIT_TRACE`` tells which git commands a run started.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from tests.gitrepos import LAWS, bare_remote, git, init_repo, isolate_git
from tests.test_repo_cost import commands, traced

BRANCH = "hammurabi/laws"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)


@pytest.fixture
def laws(tmp_path: Path) -> Path:
    path = tmp_path / "laws.yml"
    path.write_text(LAWS)
    return path


def run(repo: Path, laws: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    code = main(["enforce", str(repo), "--laws", str(laws), "-p", "python", *args, "-f", "json"])
    out = capsys.readouterr().out
    report = json.loads(out[out.index("{") :])
    report["exit"] = code
    return report


def names(trace: Path) -> list[str]:
    return [cmd.split()[0] for cmd in commands(trace)]


@pytest.mark.parametrize("remote", [False, True])
def test_a_run_asks_rev_parse_once(
    tmp_path: Path,
    laws: Path,
    remote: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = init_repo(tmp_path / "widgets")
    if remote:
        bare_remote(tmp_path / "remote.git", repo)
    (repo / "sub").mkdir()
    trace = traced(monkeypatch, tmp_path)
    assert run(repo / "sub", laws, "--dry-run", capsys=capsys)["exit"] == ExitCode.OK
    assert names(trace).count("rev-parse") == 1
    trace = traced(monkeypatch, tmp_path)
    report = run(repo, laws, "--no-push", capsys=capsys)
    assert report["exit"] == ExitCode.OK and report["git"]["action"] == "created"
    assert names(trace).count("rev-parse") == 1
    assert git("log", "--format=%s", f"main..{BRANCH}", cwd=repo).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]


# -- repositories git refuses: files edited in place, as before --------------------------------


def refused(tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = init_repo(tmp_path / case)
    if case == "dubious-owner":  # git's own stand-in for a repository someone else owns
        monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    elif case == "empty-git-folder":
        shutil.rmtree(repo / ".git")
        (repo / ".git").mkdir()
    elif case == "dangling-git-file":
        shutil.rmtree(repo / ".git")
        (repo / ".git").write_text("gitdir: /nonexistent/hammurabi\n")
    elif case == "garbled-head":
        (repo / ".git" / "HEAD").write_text("garbage\n")
    return repo


@pytest.mark.parametrize(
    "case", ["dubious-owner", "empty-git-folder", "dangling-git-file", "garbled-head"]
)
def test_a_repository_git_refuses_is_a_plain_folder(
    tmp_path: Path,
    laws: Path,
    case: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = refused(tmp_path, case, monkeypatch)
    report = run(repo, laws, "--dry-run", capsys=capsys)
    assert report["exit"] == ExitCode.OK
    assert report["git"] == {"mode": "files", "reason": "not in a git work tree"}
    assert (repo / "app.py").read_text() == "DEBUG = True\n"
