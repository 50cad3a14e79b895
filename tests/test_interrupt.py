"""Ctrl-C during a rule: the rule is rolled back and the exit code says interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hammurabi.core.exitcodes import ExitCode
from tests.helpers import make_tree, snapshot

SLOW_LAW = """
import time
from pathlib import Path
from hammurabi import Law, Pillar, Rule

class Slow(Rule):
    def task(self):
        self.workspace.write_bytes("a.txt", b"half done")
        Path("started").write_text("yes")
        time.sleep(30)

pillar = Pillar()
pillar.register(Law(name="slow", description="", rules=[Slow(name="slow")]))
"""


def test_interrupt_rolls_back(tmp_path: Path) -> None:
    repo = make_tree(tmp_path / "repo", {"a.txt": "original"})
    laws = tmp_path / "slow.py"
    laws.write_text(SLOW_LAW)
    before = snapshot(repo)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hammurabi",
            "enforce",
            str(repo),
            "--laws",
            str(laws),
            "--disable-plugin",
            "python",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (repo / "started").exists():
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.INTERRUPTED
    assert "interrupted" in err and "Traceback" not in err
    assert snapshot(repo) == before
