"""The stand-in's checks, mergeability, merges and branch protection, through real PyGithub."""

from __future__ import annotations

import httpx
import pytest
from github import Auth, Github, GithubException

from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn

REPO = "acme/widgets"


@pytest.fixture
def repo(github_server: GitHubStandIn) -> str:
    """``acme/widgets`` with collaborators alice (writer) and rita (reader), and a pull request
    #1 from ``feature``."""
    github_server.create_repo(
        REPO, {"README.md": "hello\n"}, collaborators=["alice", "rita"], readers=["rita"]
    )
    github_server.commit(REPO, "feature", {"feature.txt": "new\n"}, "Add feature")
    github_server.open_pull(REPO, "feature", title="Add feature")
    return REPO


def head(server: GitHubStandIn) -> str:
    sha = server.branch_sha(REPO, "feature")
    assert sha
    return sha


def merge_error(pr, **kwargs) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(GithubException) as caught:
        pr.merge(**kwargs)
    return caught.value.status, caught.value.data["message"]


def fresh(client: Github, number: int = 1):  # type: ignore[no-untyped-def]
    """Read a pull request until GitHub has computed its mergeability (it starts as null)."""
    for _ in range(3):
        pr = client.get_repo(REPO).get_pull(number)
        if pr.mergeable is not None:
            return pr
    raise AssertionError("mergeable stayed null")


def test_protection_round_trip(github_server: GitHubStandIn, github_client: Github, repo: str):
    branch = github_client.get_repo(REPO).get_branch("main")
    assert not branch.protected
    with pytest.raises(GithubException) as caught:
        branch.get_protection()
    assert (caught.value.status, caught.value.data["message"]) == (404, "Branch not protected")
    branch.edit_protection(strict=True, contexts=["ci"], required_approving_review_count=2)
    branch = github_client.get_repo(REPO).get_branch("main")
    assert branch.protected
    checks = branch.get_required_status_checks()
    assert (checks.strict, checks.contexts) == (True, ["ci"])
    assert branch.get_required_pull_request_reviews().required_approving_review_count == 2
    branch.remove_protection()
    assert not github_client.get_repo(REPO).get_branch("main").protected


def test_mergeable_starts_unknown_then_follows_checks(
    github_server: GitHubStandIn, github_client: Github, repo: str
):
    github_server.commit(REPO, "feature", {"more.txt": "x\n"}, "Push")
    first = github_client.get_repo(REPO).get_pull(1)
    assert (first.mergeable, first.mergeable_state) == (None, "unknown")  # being computed
    assert fresh(github_client).mergeable_state == "clean"
    github_server.set_status(REPO, head(github_server), "lint", "pending")
    assert fresh(github_client).mergeable_state == "unstable"  # not required: mergeable anyway
    github_server.protect(REPO, checks=["ci"])
    pr = fresh(github_client)
    assert (pr.mergeable, pr.mergeable_state) == (True, "blocked")
    github_server.set_check_run(REPO, head(github_server), "ci", "completed", "success")
    github_server.set_status(REPO, head(github_server), "lint", "success")
    assert fresh(github_client).mergeable_state == "clean"
    auth = {"Authorization": f"token {DEFAULT_TOKEN}"}
    listed = httpx.get(f"{github_server.base_url}/repos/{REPO}/pulls", headers=auth).json()[0]
    assert "mergeable" not in listed and "merged" not in listed and listed["merged_at"] is None


def test_required_checks_refuse_the_merge_until_they_pass(
    github_server: GitHubStandIn, github_client: Github, repo: str
):
    github_server.protect(REPO, checks=["ci", "lint"])
    pr = github_client.get_repo(REPO).get_pull(1)
    assert merge_error(pr) == (405, 'Required status check "ci" is expected.')
    github_server.set_status(REPO, head(github_server), "ci", "failure")
    assert merge_error(pr) == (405, 'Required status check "ci" is failing.')
    github_server.set_status(REPO, head(github_server), "ci", "success")
    github_server.set_check_run(REPO, head(github_server), "lint", "in_progress")
    assert merge_error(pr) == (405, 'Required status check "lint" is in progress.')
    github_server.set_check_run(REPO, head(github_server), "lint", "completed", "success")
    assert pr.merge(merge_method="squash").merged
    assert github_server.pull(REPO, 1)["merged"]


def test_required_reviews_count_writers_only_and_stale_ones_are_dismissed(
    github_server: GitHubStandIn, github_client: Github, repo: str
):
    github_server.protect(REPO, approvals=1, dismiss_stale_reviews=True)
    pr = github_client.get_repo(REPO).get_pull(1)
    message = "At least 1 approving review is required by reviewers with write access."
    assert merge_error(pr) == (405, message)
    github_server.review(REPO, 1, "rita", "APPROVE")  # read access only
    assert merge_error(pr) == (405, message)
    github_server.review(REPO, 1, "alice", "APPROVE")
    github_server.commit(REPO, "feature", {"more.txt": "x\n"}, "More")  # dismisses alice's
    assert merge_error(pr) == (405, message)
    github_server.review(REPO, 1, "alice", "REQUEST_CHANGES", "please rename")
    assert merge_error(pr)[1] == "Changes have been requested by a reviewer with write access."
    github_server.review(REPO, 1, "alice", "APPROVE")
    assert pr.merge().merged


def test_admins_bypass_protection_unless_it_is_enforced(
    github_server: GitHubStandIn, github_client: Github, repo: str
):
    github_server.configure_repo(REPO, admins=["hammurabi-bot"])
    github_server.protect(REPO, checks=["ci"], enforce_admins=True)
    pr = github_client.get_repo(REPO).get_pull(1)
    assert merge_error(pr)[0] == 405
    assert github_client.get_repo(REPO).permissions.admin
    github_server.protect(REPO, checks=["ci"], enforce_admins=False)
    assert pr.merge().merged  # what GitHub allows an admin: a client must check itself


def test_merge_methods_and_refusals(github_server: GitHubStandIn, github_client: Github, repo: str):
    github_server.commit(REPO, "main", {"README.md": "changed on main\n"}, "Main moves")
    github_server.commit(REPO, "feature", {"feature.txt": "two\n"}, "Second", start="feature")
    pr = github_client.get_repo(REPO).get_pull(1)
    assert merge_error(pr, sha="0" * 40) == (
        409,
        "Head branch was modified. Review and try the merge again.",
    )
    github_server.configure_repo(REPO, allow_rebase_merge=False)
    assert merge_error(pr, merge_method="rebase") == (
        405,
        "Rebase merges are not allowed on this repository.",
    )
    github_server.configure_repo(REPO, allow_rebase_merge=True, delete_branch_on_merge=True)
    base_before = github_server.branch_sha(REPO, "main")
    status = pr.merge(merge_method="rebase", sha=head(github_server))
    assert status.merged
    bare = github_server.repo(REPO).bare
    info = bare.commit_info(status.sha)
    assert (
        info.parents
        and bare.commits_between(base_before, status.sha)
        and info.message == ("Second")
    )
    assert len(bare.commits_between(base_before, status.sha)) == 2  # replayed, linear
    assert "feature" not in github_server.branches(REPO)  # deleted on merge
    assert merge_error(pr) == (405, "Pull Request is not mergeable")  # already merged


def test_conflicts_draft_and_update_branch(
    github_server: GitHubStandIn, github_client: Github, repo: str
):
    github_server.protect(REPO, checks=[], strict=True)
    github_server.commit(REPO, "main", {"other.txt": "main\n"}, "Main moves")
    pr = fresh(github_client)
    assert pr.mergeable_state == "behind"
    assert merge_error(pr) == (405, "Head branch is not up to date with the base branch")
    assert pr.update_branch(expected_head_sha=head(github_server))
    assert fresh(github_client).mergeable_state == "clean"
    assert not pr.update_branch()  # PyGithub tells a refusal by False
    auth = {"Authorization": f"token {DEFAULT_TOKEN}"}
    again = httpx.put(f"{github_server.base_url}/repos/{REPO}/pulls/1/update-branch", headers=auth)
    assert (again.status_code, again.json()["message"]) == (
        422,
        "There are no new commits on the base branch.",
    )
    github_server.commit(REPO, "main", {"feature.txt": "main's\n"}, "Conflict")
    pr = fresh(github_client)
    assert (pr.mergeable, pr.mergeable_state) == (False, "dirty")
    assert merge_error(pr) == (405, "Pull Request is not mergeable")
    github_server.commit(REPO, "draft", {"d.txt": "d\n"}, "Draft")
    github_server.open_pull(REPO, "draft", title="Draft", draft=True)
    assert fresh(github_client, 2).mergeable_state == "draft"
    assert merge_error(github_client.get_repo(REPO).get_pull(2)) == (
        405,
        "Pull Request is still a draft",
    )


def test_combined_status_and_latest_check_runs(
    github_server: GitHubStandIn, github_client: Github, repo: str
):
    sha = head(github_server)
    commit = github_client.get_repo(REPO).get_commit(sha)
    assert (commit.get_combined_status().state, commit.get_combined_status().total_count) == (
        "pending",
        0,
    )
    github_server.set_status(REPO, sha, "ci", "error")
    github_server.set_status(REPO, sha, "ci", "success")
    github_server.set_status(REPO, sha, "docs", "success")
    combined = commit.get_combined_status()
    assert (combined.state, combined.total_count) == ("success", 2)
    github_server.set_check_run(REPO, sha, "build", "completed", "failure")
    github_server.set_check_run(REPO, sha, "build", "completed", "success")
    github_server.set_check_run(REPO, sha, "test", "queued")
    latest = commit.get_check_runs()
    assert sorted((r.name, r.conclusion) for r in latest) == [("build", "success"), ("test", None)]
    assert commit.get_check_runs(filter="all").totalCount == 3
    assert [r.name for r in commit.get_check_runs(status="queued")] == ["test"]


def test_conditional_requests_are_free(github_server: GitHubStandIn, repo: str):
    client = Github(
        base_url=github_server.base_url,
        auth=Auth.Token(DEFAULT_TOKEN),
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    pr = client.get_repo(REPO).get_pull(1)
    pr.update()  # mergeable computed: the body changes once
    remaining = client.rate_limiting[0]
    assert not pr.update()  # 304: unchanged, and not counted
    assert client.rate_limiting[0] == remaining
    github_server.commit(REPO, "feature", {"x.txt": "x\n"}, "Push")
    assert pr.update()
    url = f"{github_server.base_url}/repos/{REPO}/pulls"
    auth = {"Authorization": f"token {DEFAULT_TOKEN}"}
    first = httpx.get(url, headers=auth)
    again = httpx.get(url, headers={**auth, "If-None-Match": first.headers["ETag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["X-RateLimit-Remaining"] == first.headers["X-RateLimit-Remaining"]
