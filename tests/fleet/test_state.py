"""The state file: resume a run, start afresh after a complete one, never half a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hammurabi.core.errors import ConfigError
from hammurabi.orchestration.fleet.state import FleetState


def test_resume_then_complete(tmp_path: Path) -> None:
    path = tmp_path / "state" / "fleet.json"
    state = FleetState.open(path, None, "run-1")
    assert state.run_id == "run-1" and not path.exists()
    state.record("o/a", {"status": "pr-opened"})
    state.record("o/b", {"status": "failed", "reason": "boom"})
    assert json.loads(path.read_text())["repos"]["o/a"]["status"] == "pr-opened"
    assert [p.name for p in path.parent.iterdir()] == ["fleet.json"]  # no temporary files left

    again = FleetState.open(path, None, "run-2")
    assert again.run_id == "run-1"
    assert again.finished("o/a") and not again.finished("o/b") and not again.finished("o/c")
    again.record("o/b", {"status": "up-to-date"})
    again.finish(["o/a", "o/b"])
    assert json.loads(path.read_text())["complete"] is True

    fresh = FleetState.open(path, None, "run-3")
    assert fresh.run_id == "run-3" and not fresh.finished("o/a")


def test_another_run_id_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    FleetState.open(path, "ci-1", "x").record("o/a", {"status": "pr-opened"})
    assert FleetState.open(path, "ci-1", "x").finished("o/a")
    other = FleetState.open(path, "ci-2", "x")
    assert other.run_id == "ci-2" and not other.finished("o/a")


def test_unreadable_state_files(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        FleetState.open(path, None, "x")
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="not a Hammurabi state file"):
        FleetState.open(path, None, "x")
