"""The cap on pull requests per run and the pace between them."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from hammurabi.core.exitcodes import ExitCode
from hammurabi.orchestration.fleet.limits import Limits, PullCapReached
from tests.fleet.conftest import Fleet


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


def push_times(fleet: Fleet) -> list[float]:
    """When each push began (git asks for the refs to push to first), in order."""
    return sorted(
        r.at
        for r in fleet.hub.requests
        if r.path.endswith("/info/refs")
        and r.query.get("service") == "git-receive-pack"
        and r.status == 200  # not the challenge for credentials before it
    )


def assert_paced(times: list[float], interval: float) -> None:
    """Spaced by ``interval``, give or take how long git takes to start a push on a busy
    machine (unpaced, four pushes start within about a second; paced, git may take most of a
    second to start one on a loaded machine)."""
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= interval * 0.4, gaps
    assert times[-1] - times[0] >= (len(times) - 1) * interval * 0.7, gaps


def test_pushes_that_start_ci_are_paced(fleet: Fleet) -> None:
    """``--pr-interval`` spaces out every write that starts CI in a repository: the bot
    branch's push (new or rebuilt) as well as the pull request opened with it, across
    worker processes; a repository is paced once (its push and pull request go together)."""
    interval = 2.0
    subset = ("--include", "svc-0[0-4]", "--jobs", "4", "--pr-interval", str(interval))
    code, out, _ = fleet.run(*subset)
    assert code == ExitCode.OK, out
    pushes = push_times(fleet)
    opened = [r.at for r in fleet.hub.requests_matching("POST", r"/pulls$")]
    assert len(pushes) == len(opened) == 4  # svc-01 is compliant
    assert_paced(pushes, interval)
    # Rebuilt branches (the base moved; protection wants them up to date) are paced too.
    for name in ("acme/svc-00", "acme/svc-02", "acme/svc-03", "acme/svc-04"):
        fleet.hub.protect(name, checks=["ci"], strict=True)
        fleet.hub.commit(name, "main", {"NOTES.md": "notes\n"}, "Unrelated change")
    fleet.hub.clear_requests()
    code, out, _data = fleet.run(*subset)
    assert code == ExitCode.OK, out
    pushes = push_times(fleet)
    assert len(pushes) == 4
    assert_paced(pushes, interval)


def test_shards_take_turns_on_one_grid() -> None:
    """Shard K of N paces its pushes in its own slots of one wall-clock grid: every N
    intervals, offset by K-1 intervals; shards started together interleave."""
    clocks = {index: Clock() for index in (1, 2)}
    for index, clock in clocks.items():
        limits = Limits(
            pr_interval=2.0, shard=(index, 2), clock=clock, wall=clock, sleep=clock.sleep
        )
        for name in ("o/a", "o/b", "o/c"):
            limits.pace(name)
    # the grid: shard 1 at 100, 104, 108 (0 mod 4); shard 2 at 102, 106, 110 (2 mod 4)
    assert clocks[1].slept == [4.0, 4.0] and clocks[1].now == 108.0
    assert clocks[2].slept == [2.0, 4.0, 4.0] and clocks[2].now == 110.0
    one = Clock()
    Limits(pr_interval=2.0, shard=(1, 1), clock=one, wall=one, sleep=one.sleep).pace("o/a")
    assert one.slept == []  # one shard of one: as without shards


def test_shards_started_together_pace_pushes_fleet_wide(fleet: Fleet) -> None:
    """Two shards of one fleet run started at once (two processes, as a CI matrix would)
    push ``--pr-interval`` apart across both, not each on its own pace."""
    interval = 1.5
    argv = [sys.executable, "-m", "hammurabi", "enforce", str(fleet.root), "--quiet"]
    argv += ["--laws", str(fleet.laws), "-p", "python", "--repos", str(fleet.repos)]
    argv += ["--include", "svc-0[0-7]", "--pr-interval", str(interval), "--jobs", "2"]
    shards = [
        subprocess.Popen(
            [*argv, "--shard", f"{k}/2", "--cache", str(fleet.root / f"cache-{k}")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for k in (1, 2)
    ]
    outputs = [shard.communicate(timeout=240)[0] for shard in shards]
    assert [shard.returncode for shard in shards] == [0, 0], outputs
    pushes = push_times(fleet)
    assert len(pushes) == 6, outputs  # svc-01 and svc-07 are compliant
    assert_paced(pushes, interval)
