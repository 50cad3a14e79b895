"""Pull request reviews on the GitHub stand-in, through the real PyGithub client over HTTP."""

from __future__ import annotations

import pytest
from github import Auth, Github, GithubException

from tests.github_standin import GitHubStandIn
from tests.github_standin.fixtures import standin_retry

REPO = "acme/widgets"


def as_user(server: GitHubStandIn, login: str) -> Github:
    """A PyGithub client authenticated as ``login`` (a token of its own)."""
    token = f"ghp_{login}_token_0000000000000000"
    server.add_token(token, login)
    return Github(
        base_url=server.base_url,
        auth=Auth.Token(token),
        seconds_between_requests=None,
        seconds_between_writes=None,
        retry=standin_retry(),
    )


@pytest.fixture
def pull(github_server: GitHubStandIn, github_client: Github) -> int:
    """Pull request #1 of ``acme/widgets`` by the bot, asking ``alice`` for a review."""
    github_server.create_repo(
        REPO, {"README.md": "hello\n"}, collaborators=["alice"], readers=["mallory"]
    )
    github_server.commit(REPO, "feature", {"feature.txt": "new\n"}, "Add feature")
    pr = github_client.get_repo(REPO).create_pull(base="main", head="feature", title="Add")
    pr.create_review_request(reviewers=["alice"])
    return pr.number


def refused(call: object, *args: object, **kwargs: object) -> GithubException:
    with pytest.raises(GithubException) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


def test_approve_request_changes_and_dismiss(
    github_server: GitHubStandIn, github_client: Github, pull: int
) -> None:
    alice = as_user(github_server, "alice").get_repo(REPO).get_pull(pull)
    sha = github_server.branch_sha(REPO, "feature")
    changes = alice.create_review(body="Please rename", event="REQUEST_CHANGES")
    assert changes.state == "CHANGES_REQUESTED" and changes.commit_id == sha
    assert changes.user.login == "alice" and changes.submitted_at is not None
    # A submitted review answers the review request.
    assert github_server.pull(REPO, pull)["requested_reviewers"] == []
    approval = alice.create_review(event="APPROVE")
    assert approval.state == "APPROVED" and approval.body == ""

    bot = github_client.get_repo(REPO).get_pull(pull)
    assert [(r.user.login, r.state) for r in bot.get_reviews()] == [
        ("alice", "CHANGES_REQUESTED"),
        ("alice", "APPROVED"),
    ]
    assert bot.get_review(approval.id).state == "APPROVED"
    # Someone with write access dismisses an approval, with a message.
    review = bot.get_review(approval.id)
    review.dismiss("The branch changed")
    assert review.state == "DISMISSED"
    assert [r["state"] for r in github_server.reviews(REPO, pull)][-1] == "DISMISSED"


def test_githubs_rules_for_reviews(
    github_server: GitHubStandIn, github_client: Github, pull: int
) -> None:
    bot = github_client.get_repo(REPO).get_pull(pull)
    # The author can neither approve nor request changes; a comment needs a body.
    error = refused(bot.create_review, event="APPROVE")
    assert error.status == 422 and error.data["errors"] == ["Can not approve your own pull request"]
    error = refused(bot.create_review, body="x", event="REQUEST_CHANGES")
    assert error.data["errors"] == ["Can not request changes on your own pull request"]
    assert bot.create_review(body="Note to self", event="COMMENT").state == "COMMENTED"
    alice = as_user(github_server, "alice").get_repo(REPO).get_pull(pull)
    assert refused(alice.create_review, event="COMMENT").status == 422
    assert refused(alice.create_review, event="SHIP_IT").status == 422

    # A pending review: one per user, seen only by its author, then submitted.
    pending = alice.create_review(body="draft")
    assert pending.state == "PENDING"
    error = refused(alice.create_review, body="another")
    assert error.data["errors"] == ["User can only have one pending review per pull request"]
    assert [r.state for r in bot.get_reviews()] == ["COMMENTED"]
    assert [r.state for r in alice.get_reviews()] == ["COMMENTED", "PENDING"]
    assert refused(bot.get_review, pending.id).status == 404

    # Read access is enough to review; dismissing needs write access, and an approval.
    mallory = as_user(github_server, "mallory").get_repo(REPO).get_pull(pull)
    approval = mallory.create_review(event="APPROVE")
    assert refused(mallory.get_review(approval.id).dismiss, "no").status == 403
    comment = bot.get_reviews()[0]
    error = refused(comment.dismiss, "no")
    assert error.data["errors"] == ["Can not dismiss a commented pull request review"]
    anonymous = Github(base_url=github_server.base_url, retry=None)
    error = refused(
        anonymous.get_repo(REPO).get_pull(pull).create_review, event="COMMENT", body="x"
    )
    assert error.status == 401
    assert [r["user"]["login"] for r in github_server.reviews(REPO, pull)] == [
        "hammurabi-bot",
        "alice",
        "mallory",
    ]


def test_pending_reviews_are_submitted_or_deleted(github_server: GitHubStandIn, pull: int) -> None:
    pending = github_server.review(REPO, pull, "alice", None, "looks fine")
    assert pending["state"] == "PENDING" and "submitted_at" not in pending
    client = as_user(github_server, "alice")
    alice = client.get_repo(REPO).get_pull(pull)
    # PyGithub has no call for submitting: the REST request it would make.
    url = f"{alice.url}/reviews/{pending['id']}/events"
    _, data = client.requester.requestJsonAndCheck("POST", url, input={"event": "APPROVE"})
    assert data["state"] == "APPROVED" and data["body"] == "looks fine"
    error = refused(client.requester.requestJsonAndCheck, "POST", url, input={"event": "APPROVE"})
    assert error.data["errors"] == ["Can not submit a non-pending review"]
    draft = alice.create_review(body="draft")
    alice.get_review(draft.id).delete()
    assert [r["state"] for r in github_server.reviews(REPO, pull)] == ["APPROVED"]
    assert refused(alice.get_review(pending["id"]).delete).status == 422
