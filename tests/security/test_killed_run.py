"""What a killed run leaves (its work tree, a temporary one and its ``git worktree`` entry)
is reset or removed by the next run."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from tests.gitrepos import LAWS, git, init_repo, isolate_git

#: Runner's laws whose rule says where it runs, then never ends.
STUCK = """
import time
from pathlib import Path
from hammurabi import Law, Pillar
from hammurabi.rules.base import Rule

class Stuck(Rule):
    def task(self):
        Path(MARKER).write_text(str(Path.cwd()))
        time.sleep(600)

pillar = Pillar()
pillar.register(Law(name="Stuck", description="never ends", rules=(Stuck(name="stuck"),)))
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)


def worktrees(repo: Path) -> list[str]:
    out = git("worktree", "list", "--porcelain", cwd=repo)
    return [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("worktree ")]


def kill_stuck_run(repo: Path, tmp_path: Path) -> Path:
    """Start a run whose rule never ends, kill it there; return where its rule ran."""
    marker = tmp_path / "running"
    stuck = tmp_path / "stuck.py"
    stuck.write_text(f"MARKER = {str(marker)!r}\n" + STUCK)
    process = subprocess.Popen(
        [sys.executable, "-m", "hammurabi", "enforce", str(repo), "--laws", str(stuck)],
        env={**os.environ, "HAMMURABI_LIMITS_RULE_SECONDS": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the run never reached its rule"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    (Path(marker.read_text()) / "stray.txt").write_text("left by the killed run\n")
    return Path(marker.read_text())


def enforce_after(repo: Path, tmp_path: Path) -> None:
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    code = main(["enforce", str(repo), "--laws", str(laws), "-p", "python", "-q"])
    assert code == ExitCode.OK
    assert git("log", "--format=%s", "main..hammurabi/laws", cwd=repo).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]
    files = git("ls-tree", "-r", "--name-only", "hammurabi/laws", cwd=repo).split()
    assert "stray.txt" not in files


def test_the_next_run_resets_the_work_tree_a_killed_run_left(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "work")
    left = kill_stuck_run(repo, tmp_path)
    assert left.is_relative_to(repo / ".git") and worktrees(repo) == [str(repo), str(left)]
    enforce_after(repo, tmp_path)
    assert worktrees(repo) == [str(repo), str(left)]  # kept for the next run, reset
    assert not (left / "stray.txt").exists()


def test_the_next_run_removes_the_temporary_work_tree_a_killed_run_left(
    tmp_path: Path,
) -> None:
    repo = init_repo(tmp_path / "work")
    enforce_after(repo, tmp_path)
    git("branch", "-D", "hammurabi/laws", cwd=repo)
    (kept,) = worktrees(repo)[1:]
    lock = os.open(repo / ".git" / "hammurabi" / "worktree.lock", os.O_RDWR)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the reusable work tree is busy: a temporary one
        left = kill_stuck_run(repo, tmp_path)
    finally:
        os.close(lock)
    assert not left.is_relative_to(repo) and str(left) in worktrees(repo)
    enforce_after(repo, tmp_path)
    assert worktrees(repo) == [str(repo), kept]
    assert not left.exists() and not left.parent.exists()
