"""Canary rollout: the fleet widens only after green checks, and stops on red."""

from __future__ import annotations

from hammurabi.core.exitcodes import ExitCode
from tests.fleet.conftest import Fleet

INCLUDE = ["--include", "svc-0[0-9]"]  # ten repositories, eight need a pull request


def opened(fleet: Fleet) -> list[str]:
    return sorted(name for name in fleet.names[:10] if fleet.hub.pulls(name, "all"))


def green(fleet: Fleet, names: list[str], state: str = "success") -> None:
    for name in names:
        (pull,) = fleet.hub.pulls(name, "open")
        fleet.hub.set_status(name, pull["head"]["sha"], "ci", state)


def test_the_canary_widens_only_after_green_checks(fleet: Fleet) -> None:
    hub = fleet.hub
    code, out, first = fleet.run(*INCLUDE, "--canary", "2")
    assert code == ExitCode.OK, out
    canaries = opened(fleet)
    assert len(canaries) == 2
    held = [repo for repo in first["repos"] if repo["status"] == "held"]
    assert len(held) == 6  # the other repositories that need a pull request
    for repo in held:  # nothing pushed for them: their CI did not start
        assert "hammurabi/laws" not in hub.branches(repo["name"])
    assert first["canary"]["decision"] == "canary" and first["canary"]["new"] == 2
    assert "Canary: canary: 0 of 2 proposed; up to 2 more this run" in out

    code, out, second = fleet.run(*INCLUDE, "--canary", "2")  # checks still running
    assert code == ExitCode.OK, out
    assert opened(fleet) == canaries
    assert second["canary"]["decision"] == "wait"
    assert {repo["reason"] for repo in second["repos"] if repo["status"] == "held"} == {
        "waiting for the checks of 2 of the 2 proposed pull requests"
    }

    green(fleet, canaries)
    code, out, third = fleet.run(*INCLUDE, "--canary", "2")
    assert code == ExitCode.OK, out
    assert third["canary"]["decision"] == "widen"
    assert len(opened(fleet)) == 8 and not [r for r in third["repos"] if r["status"] == "held"]


def test_the_canary_stops_on_red(fleet: Fleet) -> None:
    code, out, _ = fleet.run(*INCLUDE, "--canary", "3")
    assert code == ExitCode.OK, out
    canaries = opened(fleet)
    green(fleet, canaries[:2])
    green(fleet, canaries[2:], "failure")  # one of three fails: more than 20%
    code, out, second = fleet.run(*INCLUDE, "--canary", "3")
    assert code == ExitCode.OK, out
    assert opened(fleet) == canaries
    stop = "rollout stopped: 1 of 3 proposed pull requests have failing checks (more than 20%)"
    assert second["canary"]["message"] == stop
    assert f"Canary: {stop}" in out
    code, out, third = fleet.run(*INCLUDE, "--canary", "3", "--canary-failing", "0.5")
    assert code == ExitCode.OK, out
    assert third["canary"]["decision"] == "widen" and len(opened(fleet)) == 8
