"""A fleet outside its maintenance window: no push, no pull request; later runs go on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hammurabi.core.exitcodes import ExitCode
from tests.fleet.conftest import Fleet, pull_actions, statuses
from tests.test_window import around_now


def test_a_fleet_outside_the_window_opens_no_pull_request(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    hours, _ = around_now(timedelta(hours=2), timedelta(hours=3))
    monkeypatch.setenv("HAMMURABI_WINDOW_HOURS", hours)
    state = fleet.root / "state.json"
    code, out, data = fleet.run("--jobs", "2", "--state", str(state))
    assert code == ExitCode.OUTSIDE_WINDOW, out
    assert (
        fleet.hub.writes() == [] and fleet.hub.requests_matching("POST", "git-receive-pack$") == []
    )
    held = {name for name, status in statuses(data).items() if status == "outside-window"}
    assert held == set(fleet.needing)
    assert {n for n, a in pull_actions(data).items() if a == "open"} == set(fleet.needing)
    assert f"{len(held)} repositories held back. Outside the maintenance window" in out

    # In the window, the same state file goes on: the held repositories get their pull requests.
    hours, _ = around_now(timedelta(hours=-2), timedelta(hours=2))
    monkeypatch.setenv("HAMMURABI_WINDOW_HOURS", hours)
    code, out, data = fleet.run("--jobs", "2", "--state", str(state))
    assert code == ExitCode.OK, out
    assert {n for n, a in pull_actions(data).items() if a == "opened"} == set(fleet.needing)
