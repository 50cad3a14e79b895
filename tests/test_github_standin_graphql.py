"""The stand-in's GraphQL endpoint, through real PyGithub's requester: the same state as REST,
GitHub's errors (NOT_FOUND per alias with partial data, pagination and node limits), cost."""

from __future__ import annotations

from typing import Any

import pytest
from github import Auth, Github, GithubException

from tests.github_standin import GitHubStandIn

REPO = "acme/widgets"

PULLS = """
query($owner: String!, $name: String!, $head: String!) {
  repo: repository(owner: $owner, name: $name) {
    pullRequests(headRefName: $head, first: 5, orderBy: {field: CREATED_AT, direction: DESC}) {
      nodes {
        number url state isDraft merged headRefName headRefOid baseRefName
        author { __typename login }
        labels(first: 10) { nodes { name } }
        reviewRequests(first: 10) { nodes { requestedReviewer { ... on User { login } } } }
        reviews(first: 10) { nodes { author { login } state } }
        mergeable mergeStateStatus
        commits(last: 1) { nodes { commit { oid statusCheckRollup { state
          contexts(first: 10) { nodes { __typename
            ... on CheckRun { name status conclusion }
            ... on StatusContext { context state } } } } } } }
      }
    }
  }
  rateLimit { cost remaining limit nodeCount }
}
"""


def graphql(client: Github, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """POST a query as PyGithub sends it; return the whole JSON answer (errors too)."""
    requester = client.requester
    _, data = requester.requestJsonAndCheck(
        "POST", requester.graphql_url, input={"query": query, "variables": variables}
    )
    return data


@pytest.fixture
def repo(github_server: GitHubStandIn) -> str:
    github_server.create_repo(REPO, {"README.md": "hello\n"}, collaborators=["alice"])
    github_server.commit(REPO, "feature", {"feature.txt": "new\n"}, "Add feature")
    github_server.open_pull(REPO, "feature", title="Add feature")
    github_server.label(REPO, 1, "hammurabi")
    return REPO


def test_pull_requests_answer_from_the_rest_state(
    github_server: GitHubStandIn, github_client: Github, repo: str
) -> None:
    sha = github_server.commit(REPO, "feature", {"more.txt": "more\n"}, "More")  # a new head
    github_server.set_status(REPO, sha, "ci", "success")
    github_server.set_check_run(REPO, sha, "tests", "in_progress", None)
    github_server.review(REPO, 1, "alice", "APPROVE")
    variables = {"owner": "acme", "name": "widgets", "head": "feature"}
    first = graphql(github_client, PULLS, variables)
    assert "errors" not in first
    (pull,) = first["data"]["repo"]["pullRequests"]["nodes"]
    # mergeability is computed in the background: unknown on the first read, like REST
    assert (pull["mergeable"], pull["mergeStateStatus"]) == ("UNKNOWN", "UNKNOWN")
    rest = github_client.get_repo(REPO).get_pull(1)
    assert pull["number"] == rest.number
    assert pull["url"] == rest.html_url
    assert (pull["state"], pull["isDraft"], pull["merged"]) == ("OPEN", False, False)
    assert (pull["headRefName"], pull["headRefOid"], pull["baseRefName"]) == (
        "feature",
        sha,
        "main",
    )
    assert pull["author"] == {"__typename": "User", "login": "hammurabi-bot"}
    assert pull["labels"]["nodes"] == [{"name": "hammurabi"}]
    assert pull["reviews"]["nodes"] == [{"author": {"login": "alice"}, "state": "APPROVED"}]
    (commit,) = pull["commits"]["nodes"]
    rollup = commit["commit"]["statusCheckRollup"]
    assert commit["commit"]["oid"] == sha
    assert rollup["state"] == "PENDING"
    assert rollup["contexts"]["nodes"] == [
        {"__typename": "StatusContext", "context": "ci", "state": "SUCCESS"},
        {"__typename": "CheckRun", "name": "tests", "status": "IN_PROGRESS", "conclusion": None},
    ]
    again = graphql(github_client, PULLS, variables)["data"]["repo"]["pullRequests"]["nodes"][0]
    assert (again["mergeable"], again["mergeStateStatus"]) == ("MERGEABLE", "UNSTABLE")
    assert rest.mergeable_state == "unstable"  # the REST read agrees
    rate = first["data"]["rateLimit"]
    assert rate["cost"] == 1 and rate["limit"] == 5000
    assert again["number"] == 1


def test_unknown_repository_is_null_with_not_found_and_the_rest_answers(
    github_client: Github, repo: str
) -> None:
    query = """query {
      a: repository(owner: "acme", name: "widgets") { nameWithOwner }
      b: repository(owner: "acme", name: "missing") { nameWithOwner }
    }"""
    data = graphql(github_client, query, {})
    assert data["data"] == {"a": {"nameWithOwner": REPO}, "b": None}
    (error,) = data["errors"]
    assert error["type"] == "NOT_FOUND"
    assert error["path"] == ["b"]
    assert error["message"] == "Could not resolve to a Repository with the name 'acme/missing'."
    assert error["locations"] == [{"line": 3, "column": 7}]


def test_pagination_boundaries_and_node_limit_fail_the_whole_query(
    github_client: Github, repo: str
) -> None:
    missing = graphql(
        github_client,
        'query { repository(owner: "acme", name: "widgets") { pullRequests { totalCount } } }',
        {},
    )
    assert "data" not in missing
    assert missing["errors"][0]["type"] == "MISSING_PAGINATION_BOUNDARIES"
    excessive = graphql(
        github_client,
        'query { repository(owner: "acme", name: "widgets") '
        "{ pullRequests(first: 101) { totalCount } } }",
        {},
    )
    assert excessive["errors"][0]["type"] == "EXCESSIVE_PAGINATION"
    assert "101 records" in excessive["errors"][0]["message"]
    deep = """query { repository(owner: "acme", name: "widgets") {
      pullRequests(first: 100) { nodes {
        commits(first: 100) { nodes { commit { statusCheckRollup {
          contexts(first: 100) { totalCount } } } } } } } } }"""
    limited = graphql(github_client, deep, {})
    assert "data" not in limited
    assert limited["errors"][0]["type"] == "MAX_NODE_LIMIT_EXCEEDED"
    assert "1,010,100" in limited["errors"][0]["message"]


def test_cost_follows_githubs_calculation(
    github_server: GitHubStandIn, github_client: Github, repo: str
) -> None:
    # 1 request for the pull requests + 100 for their labels: 101 / 100 -> 1 point;
    # 60 aliases x (1 + 100) = 6060 requests -> 61 points
    aliases = "\n".join(
        f'r{i}: repository(owner: "acme", name: "widgets") '
        "{ pullRequests(first: 100) { nodes { labels(first: 10) { totalCount } } } }"
        for i in range(60)
    )
    data = graphql(github_client, f"query {{ {aliases} rateLimit {{ cost remaining }} }}", {})
    assert data["data"]["rateLimit"] == {"cost": 61, "remaining": 5000 - 61}
    assert github_server.graphql_queries[-1].cost == 61
    assert github_server.graphql_queries[-1].aliases == 61


def test_syntax_and_schema_errors(github_client: Github, repo: str) -> None:
    broken = graphql(github_client, "query { repository(", {})
    assert broken["errors"] and "data" not in broken
    unknown = graphql(
        github_client, 'query { repository(owner: "acme", name: "widgets") { stars } }', {}
    )
    assert "Cannot query field 'stars' on type 'Repository'." in unknown["errors"][0]["message"]


def test_bots_have_no_suffix(
    github_server: GitHubStandIn, github_client: Github, repo: str
) -> None:
    github_server.add_user("ci-app[bot]", "Bot")
    github_server.commit(REPO, "bot-feature", {"bot.txt": "x\n"}, "Bot change")
    github_server.open_pull(REPO, "bot-feature", user="ci-app[bot]")
    variables = {"owner": "acme", "name": "widgets", "head": "bot-feature"}
    (pull,) = graphql(github_client, PULLS, variables)["data"]["repo"]["pullRequests"]["nodes"]
    assert pull["author"] == {"__typename": "Bot", "login": "ci-app"}
    assert github_server.pull(REPO, 2)["user"]["login"] == "ci-app[bot]"  # REST keeps it


def test_enterprise_without_graphql_answers_404(tmp_path: Any) -> None:
    with GitHubStandIn(tmp_path / "old", graphql=False) as old:
        old.add_token("t")
        client = Github(base_url=old.base_url, auth=Auth.Token("t"), retry=None)
        with pytest.raises(GithubException) as caught:
            graphql(client, "query { rateLimit { cost } }", {})
        assert caught.value.status == 404


def test_anonymous_is_refused(github_server: GitHubStandIn, repo: str) -> None:
    client = Github(base_url=github_server.base_url, retry=None)
    with pytest.raises(GithubException) as caught:
        graphql(client, "query { rateLimit { cost } }", {})
    assert caught.value.status == 401
