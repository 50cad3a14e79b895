"""The cap on pull requests per run and the pace between them."""

from __future__ import annotations

import pytest

from hammurabi.orchestration.fleet.limits import Limits, PullCapReached


class Clock:
    """Time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_cap_and_pacing() -> None:
    clock = Clock()
    limits = Limits(max_prs=3, pr_interval=2.0, clock=clock, sleep=clock.sleep)
    limits.reserve("o/a")
    limits.reserve("o/b")
    limits.release()  # o/b's pull request could not be opened: its slot is free again
    limits.reserve("o/c")
    limits.reserve("o/d")
    assert clock.slept == [2.0, 2.0, 2.0]
    with pytest.raises(PullCapReached, match="cap of 3 pull request"):
        limits.reserve("o/e")
    assert limits.capped == {"o/e"} and limits.opened == 3


def test_no_cap_no_pause() -> None:
    clock = Clock()
    limits = Limits(clock=clock, sleep=clock.sleep)
    for index in range(50):
        limits.reserve(f"o/{index}")
    assert clock.slept == [] and limits.capped == set()
