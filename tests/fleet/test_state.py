"""The state file: resume a run, start afresh after a complete one, appended one line per
repository (never rewritten), a torn last line ignored."""

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
    assert FleetState.open(path, None, "x").repos["o/a"]["status"] == "pr-opened"
    assert [p.name for p in path.parent.iterdir()] == ["fleet.json"]  # no temporary files left

    again = FleetState.open(path, None, "run-2")
    assert again.run_id == "run-1"
    assert again.finished("o/a") and not again.finished("o/b") and not again.finished("o/c")
    again.record("o/b", {"status": "up-to-date"})
    again.finish(["o/a", "o/b"])
    assert json.loads(path.read_text().splitlines()[-1]) == {"complete": True}

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


def test_each_repository_appends_one_line(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    state = FleetState.open(path, None, "run-1")
    state.record("o/a", {"status": "pr-opened"})
    before = path.read_bytes()
    state.record("o/b", {"status": "failed", "reason": "boom"})
    after = path.read_bytes()
    assert after.startswith(before) and after[len(before) :].count(b"\n") == 1
    assert json.loads(after[len(before) :])["repo"] == "o/b"


def test_a_torn_last_line_is_ignored_and_old_files_still_read(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    state = FleetState.open(path, None, "run-1")
    state.record("o/a", {"status": "pr-opened"})
    with path.open("a") as handle:
        handle.write('{"repo": "o/b", "sta')  # killed mid-write
    again = FleetState.open(path, None, "run-2")
    assert again.run_id == "run-1" and again.finished("o/a") and not again.finished("o/b")
    again.record("o/b", {"status": "up-to-date"})
    assert FleetState.open(path, None, "run-3").finished("o/b")
    old = tmp_path / "old.json"  # a state file written by an earlier version: one object
    old.write_text(
        json.dumps(
            {
                "version": 1,
                "run_id": "r0",
                "complete": False,
                "repos": {"o/a": {"status": "pr-opened"}},
            }
        )
    )
    resumed = FleetState.open(old, None, "x")
    assert resumed.run_id == "r0" and resumed.finished("o/a")
    resumed.record("o/b", {"status": "up-to-date"})  # rewritten as lines, nothing lost
    assert set(FleetState.open(old, None, "x").repos) == {"o/a", "o/b"}
