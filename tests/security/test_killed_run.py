"""A killed run's temporary work tree and its ``git worktree`` entry are cleaned by the next."""

from __future__ import annotations

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


def test_the_next_run_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "work")
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
    left = Path(marker.read_text())
    assert left.is_dir() and str(left) in worktrees(repo)  # what the killed run left
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    code = main(["enforce", str(repo), "--laws", str(laws), "-p", "python", "-q"])
    assert code == ExitCode.OK
    assert worktrees(repo) == [str(repo)]
    assert not left.exists() and not left.parent.exists()
    assert git("log", "--format=%s", "main..hammurabi/laws", cwd=repo).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]
