"""The README's main job: the demo runs offline and leaves a pushed bot branch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "examples" / "run_demo.py"


def test_demo_pushes_one_commit_per_law_then_has_nothing_to_do(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(DEMO), str(out)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Created origin/hammurabi/demo with 5 commits" in done.stdout
    second_run = done.stdout.split("$ hammurabi enforce")[2].split("\n\nThe branch")[0]
    (line,) = second_run.strip().splitlines()[1:]  # the command, then one line
    assert line.startswith("Up to date: origin/hammurabi/demo already proposes 5 of "), line
    subjects = subprocess.run(
        ["git", "log", "--format=%s", "main..hammurabi/demo"],
        cwd=out / "remote.git",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert subjects[-1] == "Gunicorn worker settings" and len(subjects) == 5
    # The clone stays on main with the service as it was; the reports are written.
    clone = out / "demo-service"
    assert "DEBUG = True" in (clone / "app.py").read_text()
    assert (out / "report.json").stat().st_size > 0 and (out / "summary.md").exists()
