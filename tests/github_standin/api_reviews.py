"""REST handlers for pull request reviews, with GitHub's rules.

A review is created pending (no ``event``) or submitted at once (``APPROVE``,
``REQUEST_CHANGES``, ``COMMENT``); a pending review is seen only by its author, who may
submit or delete it; an approval or a change request can be dismissed by someone with
write access. The author of a pull request can neither approve it nor request changes on
it, a user has one pending review per pull request, and a submitted review answers that
user's review request. Errors carry GitHub's messages as plain strings in ``errors``.
"""

from __future__ import annotations

from typing import Any

from . import tracker
from .errors import ApiError, invalid, not_found
from .routing import Request, Response, page_response
from .state import Issue, Repo, Review, State, now

R = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/pulls/(?P<number>\d+)/reviews"
ID = r"/(?P<review_id>\d+)"
EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}


def _pull(
    req: Request, owner: str, name: str, number: str, write: bool = False
) -> tuple[Repo, Issue]:
    if not req.who.authenticated:
        raise ApiError(401, "Requires authentication")
    repo = req.state.repo_for(req.who, f"{owner}/{name}", write=write)
    tracker.sync(repo)
    return repo, repo.pull(int(number))


def _unprocessable(message: str) -> ApiError:
    return ApiError(422, "Unprocessable Entity", [message])


def _visible(req: Request, review: Review) -> bool:
    return review.state != "PENDING" or review.user.lower() == req.who.login.lower()


def _review(req: Request, repo: Repo, issue: Issue, review_id: str) -> Review:
    review = repo.reviews.get(int(review_id))
    if review is None or review.number != issue.number or not _visible(req, review):
        raise not_found()
    return review


def submit(issue: Issue, review: Review, event: Any, body: str) -> None:
    """Submit ``review`` with ``event``: GitHub's rules for the author and empty bodies."""
    if event not in EVENTS:
        raise invalid("PullRequestReview", "event")
    if review.user.lower() == issue.user.lower() and event != "COMMENT":
        verb = "approve" if event == "APPROVE" else "request changes on"
        raise _unprocessable(f"Can not {verb} your own pull request")
    if event != "APPROVE" and not body:
        raise _unprocessable("Body can't be blank")  # REQUEST_CHANGES and COMMENT need one
    pull = issue.pull
    assert pull is not None
    review.state, review.body, review.submitted_at = EVENTS[event], body, now()
    gone = review.user.lower()
    pull.requested_reviewers = [r for r in pull.requested_reviewers if r.lower() != gone]
    issue.updated_at = review.submitted_at


def create(state: State, repo: Repo, issue: Issue, user: str, body: dict[str, Any]) -> Review:
    """Create a review (pending without ``event``) on the head commit or ``commit_id``."""
    pull = issue.pull
    assert pull is not None
    commit = body.get("commit_id") or pull.head_sha
    if repo.bare.resolve(str(commit)) is None:
        raise _unprocessable(f"No commit found for SHA: {commit}")
    text = body.get("body") or ""
    if not isinstance(text, str):
        raise invalid("PullRequestReview", "body")
    pending = [
        r
        for r in repo.reviews.values()
        if r.number == issue.number and r.state == "PENDING" and r.user.lower() == user.lower()
    ]
    if pending:
        raise _unprocessable("User can only have one pending review per pull request")
    review = Review(state.next_id(), issue.number, user, "PENDING", text, str(commit))
    event = body.get("event")
    if event is not None:
        submit(issue, review, event, text)
    repo.reviews[review.id] = review
    return review


def list_reviews(req: Request, owner: str, name: str, number: str) -> Response:
    """``GET .../pulls/{n}/reviews``: oldest first; pending ones only to their author."""
    repo, issue = _pull(req, owner, name, number)
    reviews = [r for r in repo.reviews.values() if r.number == issue.number and _visible(req, r)]
    return page_response(req, reviews, lambda r: req.render.review(repo, r))


def create_review(req: Request, owner: str, name: str, number: str) -> Response:
    """``POST .../pulls/{n}/reviews`` (read access is enough, as on GitHub)."""
    repo, issue = _pull(req, owner, name, number)
    review = create(req.state, repo, issue, req.who.login, req.json_dict())
    return Response(200, req.render.review(repo, review))


def get_review(req: Request, owner: str, name: str, number: str, review_id: str) -> Response:
    """``GET .../pulls/{n}/reviews/{id}``."""
    repo, issue = _pull(req, owner, name, number)
    return Response(200, req.render.review(repo, _review(req, repo, issue, review_id)))


def submit_review(req: Request, owner: str, name: str, number: str, review_id: str) -> Response:
    """``POST .../pulls/{n}/reviews/{id}/events``: submit a pending review."""
    repo, issue = _pull(req, owner, name, number)
    review = _review(req, repo, issue, review_id)
    if review.state != "PENDING":
        raise _unprocessable("Can not submit a non-pending review")
    body = req.json_dict()
    submit(issue, review, body.get("event"), body.get("body") or review.body)
    return Response(200, req.render.review(repo, review))


def delete_review(req: Request, owner: str, name: str, number: str, review_id: str) -> Response:
    """``DELETE .../pulls/{n}/reviews/{id}``: only a pending review can be deleted."""
    repo, issue = _pull(req, owner, name, number)
    review = _review(req, repo, issue, review_id)
    if review.state != "PENDING":
        raise _unprocessable("Can not delete a non-pending pull request review")
    del repo.reviews[review.id]
    return Response(200, req.render.review(repo, review))


def dismiss_review(req: Request, owner: str, name: str, number: str, review_id: str) -> Response:
    """``PUT .../pulls/{n}/reviews/{id}/dismissals``: write access, a message; approvals and
    change requests only."""
    repo, issue = _pull(req, owner, name, number, write=True)
    review = _review(req, repo, issue, review_id)
    message = req.json_dict().get("message")
    if not message or not isinstance(message, str):
        raise invalid("PullRequestReview", "message", "missing_field")
    if review.state not in ("APPROVED", "CHANGES_REQUESTED"):
        raise _unprocessable(f"Can not dismiss a {review.state.lower()} pull request review")
    review.state = "DISMISSED"
    issue.updated_at = now()
    return Response(200, req.render.review(repo, review))


ROUTES = [
    ("GET", R, list_reviews),
    ("POST", R, create_review),
    ("GET", R + ID, get_review),
    ("DELETE", R + ID, delete_review),
    ("POST", R + ID + "/events", submit_review),
    ("PUT", R + ID + "/dismissals", dismiss_review),
]
