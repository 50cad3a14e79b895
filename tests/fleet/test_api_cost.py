"""What a campaign costs in GitHub requests per repository (the stand-in counts them).

Reads stay within GitHub's limits by asking once: a fleet run reads every repository's bot
pull requests (open and closed, the open ones' reviews, checks and mergeability) in GraphQL
queries of many repositories each, before the repositories run; a repository then asks REST
only for what it writes (and the access check before a push). Without GraphQL (turned off,
an older GitHub Enterprise, a failed query) each repository reads through REST: one list of
the bot branch's pull requests and the state of an open one, conditionally (a ``304`` is
not counted against the rate limit).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from hammurabi.core.exitcodes import ExitCode
from tests.fleet.conftest import Fleet

REPO_PATH = re.compile(r"^/repos/([^/]+/[^/]+)")


def requests_per_repo(fleet: Fleet) -> tuple[Counter[str], Counter[str]]:
    """REST requests per repository, and how many of them were answered 304."""
    sent: Counter[str] = Counter()
    free: Counter[str] = Counter()
    for request in fleet.hub.requests:
        match = REPO_PATH.match(request.path) if request.api else None
        if match:
            sent[match[1]] += 1
            free[match[1]] += request.status == 304
    return sent, free


INCLUDE = ["--include", "svc-0[0-5]"]


def second_run(fleet: Fleet) -> dict[str, Any]:
    """Propose to svc-00..05, have a reviewer close svc-05's pull request, CI report on
    svc-00's, and run again; return the second run's report."""
    code, out, _ = fleet.run(*INCLUDE)
    assert code == ExitCode.OK, out
    hub = fleet.hub
    (ignored,) = hub.pulls("acme/svc-05", "open")
    hub.close_pull("acme/svc-05", ignored["number"])  # a reviewer says no
    (pull,) = hub.pulls("acme/svc-00", "open")
    hub.set_status("acme/svc-00", pull["head"]["sha"], "ci", "failure")
    hub.set_check_run("acme/svc-00", pull["head"]["sha"], "tests", "in_progress", None)
    hub.clear_requests()
    code, out, second = fleet.run(*INCLUDE)
    assert code == ExitCode.OK, out
    return second


def campaign(report: dict[str, Any]) -> dict[str, Any]:
    """Each repository's stage and what its pull request's state says."""
    keys = ("stage", "status")
    return {
        repo["name"]: (
            *(repo[key] for key in keys),
            {
                k: v
                for k, v in repo["pull"].items()
                if k in ("number", "state", "checks", "failing", "review")
            },
        )
        for repo in report["repos"]
    }


def test_batched_reads_leave_no_rest_reads_per_repository(fleet: Fleet) -> None:
    second = second_run(fleet)
    stages = {repo["name"]: repo["stage"] for repo in second["repos"]}
    assert (stages["acme/svc-00"], stages["acme/svc-01"], stages["acme/svc-05"]) == (
        "failing",
        "compliant",
        "ignored",
    )
    sent, _ = requests_per_repo(fleet)
    assert sum(sent.values()) == 0, sent  # nothing to write: nothing asked per repository
    (query,) = fleet.hub.graphql_queries  # six repositories, one query
    assert query.aliases == 6 + 1 and query.errors == 0  # six blocks and rateLimit
    reads = second["reads"]
    assert reads == {**reads, "repositories": 6, "queries": 1, "cost": query.cost, "error": None}
    # the first run's batched query and its five states after a push (a point each), this one
    assert reads["remaining"] == 5000 - 2 * query.cost - 5
    assert 1 <= query.cost <= 3
    pull = {repo["name"]: repo["pull"] for repo in second["repos"]}["acme/svc-00"]
    assert (pull["checks"], pull["failing"]) == ("failing", ["ci"])


@pytest.mark.parametrize("how", ["off", "enterprise", "failing"])
def test_without_graphql_the_reads_are_rest_and_say_the_same(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    second = second_run(fleet)
    batched = campaign(second)
    hub = fleet.hub
    if how == "off":
        monkeypatch.setenv("HAMMURABI_GITHUB_GRAPHQL_BATCH", "0")
    elif how == "enterprise":
        assert hub.graphql is not None
        graphql, hub.graphql = hub.graphql, None  # answers 404, as GitHub Enterprise 2.x
    else:
        hub.inject("POST", r"^/graphql$", 502, times=None)
    hub.clear_requests()
    code, out, third = fleet.run(*INCLUDE)
    assert code == ExitCode.OK, out
    assert campaign(third) == batched
    sent, _ = requests_per_repo(fleet)
    # Compliant, or closed by a reviewer: one list of the branch's pull requests; an open
    # pull request, nothing to push: the list, then its state (the pull request, its
    # reviews, its head's combined status and check runs).
    assert sent["acme/svc-01"] == sent["acme/svc-05"] == 1, sent
    assert sent["acme/svc-00"] == 5, sent
    if how == "off":
        assert third["reads"]["error"].startswith("GraphQL reads are off")
    else:
        assert third["reads"]["repositories"] == 0 and third["reads"]["error"]
    if how == "enterprise":
        hub.graphql = graphql


def test_requests_per_repository_through_rest(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HAMMURABI_GITHUB_GRAPHQL_BATCH", "0")
    include = ["--include", "svc-0[0-5]"]
    code, out, _ = fleet.run(*include)
    assert code == ExitCode.OK, out
    hub = fleet.hub
    (ignored,) = hub.pulls("acme/svc-05", "open")
    hub.close_pull("acme/svc-05", ignored["number"])  # a reviewer says no
    hub.clear_requests()

    code, out, second = fleet.run(*include)
    assert code == ExitCode.OK, out
    stages = {repo["name"]: repo["stage"] for repo in second["repos"]}
    assert (stages["acme/svc-01"], stages["acme/svc-05"]) == ("compliant", "ignored")
    sent, _ = requests_per_repo(fleet)
    # Compliant, or closed by a reviewer: one list of the branch's pull requests, no more.
    assert sent["acme/svc-01"] == sent["acme/svc-05"] == 1, sent
    # An open pull request, nothing to push: the list, then its state (the pull request, its
    # reviews, its head's combined status and check runs).
    assert sent["acme/svc-00"] == 5, sent
    assert sum(sent.values()) == 1 + 1 + 4 * 5

    hub.clear_requests()
    code, out, _ = fleet.run(*include)  # nothing changed: the state reads cost no quota
    assert code == ExitCode.OK, out
    sent, free = requests_per_repo(fleet)
    assert sent["acme/svc-00"] == 5 and free["acme/svc-00"] == 4, (sent, free)


def test_the_state_after_a_push_is_one_graphql_query(fleet: Fleet) -> None:
    """The first run opens the pull requests: each repository's state after its push is read
    in one GraphQL query for it (the batched reads were made before the push), not in four
    REST reads; what it says is what the REST reads say."""
    code, out, first = fleet.run(*INCLUDE)
    assert code == ExitCode.OK, out
    sent, _ = requests_per_repo(fleet)
    # the access check, the pull request and its labels: the writes' own requests
    assert sent["acme/svc-00"] == 3, sent
    assert sent["acme/svc-01"] == 0, sent  # compliant: the batched reads told
    queries = fleet.hub.graphql_queries
    assert len(queries) == 1 + 5  # the fleet's, then one per repository pushed
    assert [q.aliases for q in queries[1:]] == [2] * 5  # one repository, and rateLimit
    pulls = {repo["name"]: repo["pull"] for repo in first["repos"]}
    assert pulls["acme/svc-00"]["state"] == "open"
    assert pulls["acme/svc-00"].get("mergeable_state") == "clean"
