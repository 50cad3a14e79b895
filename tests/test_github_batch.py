"""GitHubForge.read_pulls: many repositories' bot pull requests in GraphQL queries, read from
the stand-in with real PyGithub; what they say is what the REST reads say."""

from __future__ import annotations

import dataclasses

import pytest

import hammurabi.loading.hookspecs  # noqa: F401  (importing hammurabi.loading.plugins first is circular)
from hammurabi.core.forge import PullRequest, marker
from hammurabi.integrations.forges.batch import KnownPulls
from hammurabi.integrations.forges.github_forge import GitHubForge
from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn
from tests.github_standin.api_graphql import Points
from tests.test_github_forge import settings

BRANCH = "hammurabi/laws"
BODY = "Proposed by Hammurabi.\n" + marker("pull-request", fingerprint="f1")


@pytest.fixture
def fleet(github_server: GitHubStandIn) -> list[str]:
    """Four repositories: an open bot pull request with checks and a review (a), one whose
    bot pull request was closed (b), one without any (c), one with a newer head (d)."""
    names = [f"acme/{n}" for n in "abcd"]
    for name in names:
        github_server.create_repo(name, {"app.py": "DEBUG = True\n"}, collaborators=["alice"])
    for name in ("acme/a", "acme/b", "acme/d"):
        github_server.commit(name, BRANCH, {"app.py": "DEBUG = False\n"}, "Debug off")
        github_server.open_pull(name, BRANCH, title="Hammurabi: debug off", body=BODY)
        github_server.label(name, 1, "hammurabi")
    sha = github_server.branch_sha("acme/a", BRANCH)
    assert sha
    github_server.set_status("acme/a", sha, "ci", "success")
    github_server.set_check_run("acme/a", sha, "lint", "completed", "failure")
    github_server.review("acme/a", 1, "alice", "APPROVE")
    github_server.close_pull("acme/b", 1)
    github_server.commit("acme/d", BRANCH, {"more.txt": "x\n"}, "More")  # mergeable: not known
    return names


def test_batched_reads_say_what_rest_says(github_server: GitHubStandIn, fleet: list[str]) -> None:
    forge = GitHubForge(settings(github_server, graphql_batch=3), env={})
    found = forge.read_pulls(fleet, BRANCH)
    assert sorted(found.known) == fleet
    # four repositories in chunks of three; one more for the pull request whose
    # mergeability GitHub had not computed yet (a new head), answered by then
    assert found.queries == 3 and found.error is None
    assert found.cost == sum(q.cost for q in github_server.graphql_queries)
    rest = GitHubForge(settings(github_server), env={})
    for name in fleet:
        batched = found.known[name].pick("main")
        assert batched is not None
        expected = rest.find_pulls(name, BRANCH, "main")
        assert [_same(p) for p in batched] == [_same(p) for p in expected], name
        if expected[0] is not None:
            state = found.known[name].state(expected[0])
            assert state is not None
            assert _same(state) == _same(rest.pull_state(name, expected[0]))
    a = found.known["acme/a"].states[1]
    assert (a.checks.value, a.failing, a.review.value, a.approvals) == (
        "failing",
        ("lint",),
        "approved",
        1,
    )
    assert found.known["acme/d"].states[1].mergeable is True
    open_b, closed_b = found.known["acme/b"].pick(None) or (None, None)
    assert open_b is None and closed_b is not None and closed_b.state == "closed"
    assert found.known["acme/c"].pick("main") == (None, None)


def _same(value: object) -> object:
    """A record without the moment it was read."""
    if value is None:
        return None
    fields = {f.name for f in dataclasses.fields(value)}  # type: ignore[arg-type]
    changes = {"read_at": None} if "read_at" in fields else {}
    return dataclasses.replace(value, **changes)  # type: ignore[type-var]


def test_a_repository_graphql_cannot_find_is_left_to_rest(
    github_server: GitHubStandIn, fleet: list[str]
) -> None:
    forge = GitHubForge(settings(github_server), env={})
    found = forge.read_pulls(["acme/a", "acme/gone", "acme/c"], BRANCH)
    assert sorted(found.known) == ["acme/a", "acme/c"]
    assert found.queries == 1 and found.error is None


def test_failed_queries_and_enterprise_without_graphql_leave_everything_to_rest(
    github_server: GitHubStandIn, fleet: list[str]
) -> None:
    github_server.inject("POST", r"^/graphql$", 502, times=None)
    forge = GitHubForge(settings(github_server, retries=1), env={})
    found = forge.read_pulls(fleet, BRANCH)
    assert found.known == {} and found.error and "502" in found.error


def test_pick_answers_only_what_the_page_can_tell() -> None:
    def pull(number: int, state: str, ours: bool = True, base: str = "main") -> PullRequest:
        body = BODY if ours else "by hand"
        return PullRequest(number, f"u/{number}", state, "t", body, BRANCH, base)

    known = KnownPulls((pull(3, "open", ours=False), pull(2, "open")), (pull(1, "closed"),))
    assert known.pick("main") == (pull(2, "open"), pull(1, "closed"))
    assert known.pick("develop") == (None, None)
    more = dataclasses.replace(known, opened=(pull(3, "open", ours=False),), more_open=True)
    assert more.pick("main") is None  # the bot's might be on the next page
    some = dataclasses.replace(known, closed=(pull(1, "closed", ours=False),), more_closed=True)
    assert some.pick("main") is None


def test_a_full_chunk_stays_within_githubs_node_limit(
    github_server: GitHubStandIn, fleet: list[str]
) -> None:
    """50 repositories (the default chunk) in one query: within the 500,000 nodes a query
    may ask for, at about 0.3 points a repository; those not found are left to REST."""
    names = [*fleet, *(f"acme/missing-{i}" for i in range(46))]
    forge = GitHubForge(settings(github_server), env={})
    found = forge.read_pulls(names, BRANCH)
    (query, *again) = github_server.graphql_queries
    assert query.aliases == 51 and query.nodes < 500_000 // 4
    assert query.cost == 15 and found.cost == 15 + sum(q.cost for q in again)
    assert sorted(found.known) == fleet and query.errors == 46


def test_graphqls_own_rate_limit_leaves_the_reads_to_rest(
    github_server: GitHubStandIn, fleet: list[str]
) -> None:
    assert github_server.graphql is not None
    github_server.graphql.points[DEFAULT_TOKEN] = Points(limit=1, used=1)
    found = GitHubForge(settings(github_server), env={}).read_pulls(fleet, BRANCH)
    assert found.known == {} and found.error is not None and "rate limit" in found.error
