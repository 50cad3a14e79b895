"""``hammurabi enforce --repos`` over 30 repositories on the GitHub stand-in, end to end."""

from __future__ import annotations

from hammurabi.exitcodes import ExitCode
from tests.fleet.conftest import Fleet, pull_actions
from tests.github_standin import GitHubStandIn


def pushes(hub: GitHubStandIn) -> list[object]:
    return hub.requests_matching("POST", r"git-receive-pack$")


def test_first_run_opens_pull_requests_and_second_run_writes_nothing(fleet: Fleet) -> None:
    code, out, data = fleet.run("--jobs", "4")
    assert code == ExitCode.OK, out
    actions = pull_actions(data)
    assert {name for name, action in actions.items() if action == "opened"} == set(fleet.needing)
    assert {name for name, action in actions.items() if action != "opened"} == (
        set(fleet.names) - set(fleet.needing)
    )
    for name in fleet.names:
        expected = 1 if name in fleet.needing else 0
        assert len(fleet.hub.pulls(name, "open")) == expected, name
    assert data["counts"]["pr_opened"] == 25 and data["counts"]["unchanged"] == 5
    assert "25 changed" in out and "5 unchanged" in out and "pull requests: 25 opened" in out
    # The clones keep no credentials.
    configs = list(fleet.cache.rglob(".git/config"))
    assert len(configs) == 30
    assert not [c for c in configs if "ghp_" in c.read_text() or "x-access-token" in c.read_text()]

    fleet.hub.clear_requests()
    code, out, data = fleet.run("--jobs", "4")
    assert code == ExitCode.OK, out
    assert fleet.hub.writes() == [] and pushes(fleet.hub) == []
    assert set(pull_actions(data).values()) == {"unchanged", "none"}
    assert len(data["repos"]) == 30 and data["run_id"]
