"""Bot commits never run the target's git hooks or fsmonitor, nor its program settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from tests.gitrepos import LAWS, bare_remote, git, init_repo, isolate_git

HOOKS = (
    "pre-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "post-checkout",
    "reference-transaction",
    "pre-push",
    "post-index-change",
    "pre-auto-gc",
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)


def plant(folder: Path, markers: Path, tag: str) -> None:
    """Hooks in ``folder`` that leave a marker file (and refuse) when they run."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in HOOKS:
        hook = folder / name
        hook.write_text(f"#!/bin/sh\ntouch '{markers}/{tag}-{name}'\nexit 1\n")
        hook.chmod(0o755)


def program(path: Path, marker: Path) -> str:
    path.write_text(f"#!/bin/sh\ntouch '{marker}'\nexit 1\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("where", ["hooks", "hooksPath"])
def test_bot_commits_run_no_hook_and_no_program_of_the_repository(
    tmp_path: Path, where: str
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    work = init_repo(tmp_path / "work")
    bare_remote(tmp_path / "remote.git", work)
    if where == "hooks":
        plant(work / ".git" / "hooks", markers, "hooks")
    else:
        plant(tmp_path / "elsewhere", markers, "path")
        git("config", "core.hooksPath", str(tmp_path / "elsewhere"), cwd=work)
    git(
        "config", "core.fsmonitor", program(tmp_path / "fsmonitor", markers / "fsmonitor"), cwd=work
    )
    git("config", "core.sshCommand", program(tmp_path / "ssh", markers / "ssh"), cwd=work)
    git("config", "core.askPass", program(tmp_path / "askpass", markers / "askpass"), cwd=work)
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    code = main(["enforce", str(work), "--laws", str(laws), "--disable-plugin", "python", "-q"])
    assert code == ExitCode.OK
    assert sorted(p.name for p in markers.iterdir()) == []
    log = git("log", "--format=%s", "main..hammurabi/laws", cwd=tmp_path / "remote.git")
    assert log.splitlines() == ["Debug off", "Ignore caches"]
