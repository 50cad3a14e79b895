"""Issue, pull request, label, reviewer, assignee and comment operations with GitHub's rules.

Callers hold ``state.lock``; every check reads the live bare repository.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import merging
from .errors import ApiError, custom, invalid, not_found
from .state import Comment, Issue, Label, PullInfo, Repo, State, now


def sync(repo: Repo) -> None:
    """Follow pushes: record new head tips and close open pulls whose head branch is gone."""
    tips = repo.bare.branches()
    for issue in repo.issues.values():
        pull = issue.pull
        if pull is None or issue.state != "open":
            continue
        tip = tips.get(pull.head_ref)
        if tip is None:
            issue.state, issue.closed_at, issue.updated_at = "closed", now(), now()
        elif tip != pull.head_sha:
            pull.head_sha, issue.updated_at = tip, now()
            merging.dismiss_stale(repo, issue)
        if pull.base_ref in tips:
            pull.base_sha = tips[pull.base_ref]


def create_issue(state: State, repo: Repo, user: str, title: Any, body: str | None) -> Issue:
    """Open an issue, taking the next number of the shared issue/pull sequence."""
    if not title:
        raise invalid("Issue", "title", "missing_field")
    number = max(repo.issues, default=0) + 1
    stamp = now()
    issue = Issue(state.next_id(), number, str(title), body, user, stamp, stamp)
    repo.issues[number] = issue
    return issue


def _head_ref(repo: Repo, head: str) -> str:
    """Return the branch a ``head`` argument names (``branch`` or ``owner:branch``)."""
    owner, _, ref = head.rpartition(":")
    if owner and owner.lower() != repo.owner.lower():
        raise invalid("PullRequest", "head")
    return ref


def _open_duplicate(repo: Repo, head_ref: str, base_ref: str, skip: int = 0) -> Issue | None:
    """Return another open pull request for the same head and base, if any."""
    for issue in repo.issues.values():
        pull = issue.pull
        if (
            pull is not None
            and issue.state == "open"
            and issue.number != skip
            and (pull.head_ref, pull.base_ref) == (head_ref, base_ref)
        ):
            return issue
    return None


def create_pull(
    state: State,
    repo: Repo,
    user: str,
    *,
    head: Any,
    base: Any,
    title: Any,
    body: str | None = None,
    draft: bool = False,
    maintainer_can_modify: bool = False,
) -> Issue:
    """Open a pull request, answering 422 as GitHub does for bad, duplicate or empty ones."""
    for name, value in (("title", title), ("head", head), ("base", base)):
        if not value or not isinstance(value, str):
            raise invalid("PullRequest", name, "missing_field")
    head_ref = _head_ref(repo, head)
    tips = repo.bare.branches()
    if base not in tips:
        raise invalid("PullRequest", "base")
    if head_ref not in tips:
        raise invalid("PullRequest", "head")
    if _open_duplicate(repo, head_ref, base):
        raise custom("PullRequest", f"A pull request already exists for {repo.owner}:{head_ref}.")
    if not repo.bare.commits_between(tips[base], tips[head_ref]):
        raise custom("PullRequest", f"No commits between {base} and {head}")
    issue = create_issue(state, repo, user, title, body)
    issue.pull = PullInfo(
        head_ref=head_ref,
        base_ref=base,
        head_sha=tips[head_ref],
        base_sha=tips[base],
        draft=bool(draft),
        maintainer_can_modify=bool(maintainer_can_modify),
    )
    return issue


def edit_issue(repo: Repo, issue: Issue, changes: dict[str, Any]) -> None:
    """Apply a PATCH to an issue or pull request (title, body, state, base, ...)."""
    resource = "PullRequest" if issue.pull else "Issue"
    state = changes.get("state", issue.state)
    if state not in ("open", "closed"):
        raise invalid(resource, "state")
    if issue.pull is not None:
        _edit_pull(repo, issue, changes, reopen=state == "open" and issue.state == "closed")
    if "title" in changes:
        if not changes["title"]:
            raise invalid(resource, "title", "missing_field")
        issue.title = str(changes["title"])
    if "body" in changes:
        issue.body = changes["body"]
    if state != issue.state:
        issue.state = state
        issue.closed_at = now() if state == "closed" else None
    issue.updated_at = now()


def _edit_pull(repo: Repo, issue: Issue, changes: dict[str, Any], reopen: bool) -> None:
    """Check and apply the pull-request-only parts of a PATCH."""
    pull = issue.pull
    assert pull is not None
    tips = repo.bare.branches()
    base = changes.get("base", pull.base_ref)
    if base not in tips:
        raise invalid("PullRequest", "base")
    if reopen:
        if pull.merged_at is not None:
            raise custom("PullRequest", "state cannot be changed. The pull request is merged.")
        if pull.head_ref not in tips:
            raise custom(
                "PullRequest",
                f"state cannot be changed. The {pull.head_ref} branch has been deleted.",
            )
    if (reopen or base != pull.base_ref) and _open_duplicate(
        repo, pull.head_ref, base, skip=issue.number
    ):
        raise custom(
            "PullRequest", f"A pull request already exists for {repo.owner}:{pull.head_ref}."
        )
    pull.base_ref, pull.base_sha = base, tips[base]
    if "maintainer_can_modify" in changes:
        pull.maintainer_can_modify = bool(changes["maintainer_can_modify"])


def _label_names(raw: Any) -> list[str]:
    """Accept a bare JSON array or ``{"labels": [...]}`` of names or ``{"name": ...}`` objects."""
    items = raw.get("labels", []) if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise invalid("Label", "labels")
    names = [item.get("name") if isinstance(item, dict) else item for item in items]
    if not all(isinstance(n, str) and n.strip() for n in names):
        raise invalid("Label", "name")
    return [n.strip() for n in names]


def ensure_label(
    state: State, repo: Repo, name: str, color: str = "ededed", description: str | None = None
) -> Label:
    """Return the repository label ``name`` (case-insensitive), creating it if needed."""
    key = name.lower()
    if key not in repo.labels:
        repo.labels[key] = Label(state.next_id(), name, color, description)
    return repo.labels[key]


def add_labels(state: State, repo: Repo, issue: Issue, raw: Any, replace: bool = False) -> None:
    """Add (or with ``replace`` set) labels on an issue, auto-creating unknown ones."""
    names = _label_names(raw)
    if replace:
        issue.labels = []
    for name in names:
        key = ensure_label(state, repo, name).name.lower()
        if key not in issue.labels:
            issue.labels.append(key)
    issue.updated_at = now()


def remove_label(issue: Issue, name: str) -> None:
    """Remove one label from an issue, or 404 "Label does not exist"."""
    if name.lower() not in issue.labels:
        raise not_found("Label does not exist")
    issue.labels.remove(name.lower())
    issue.updated_at = now()


def request_reviewers(
    repo: Repo, issue: Issue, logins: Iterable[str], teams: Iterable[str]
) -> None:
    """Request reviews from collaborators other than the author."""
    pull = issue.pull
    assert pull is not None
    logins, teams = list(logins), list(teams)
    for login in logins:
        if login.lower() == issue.user.lower():
            raise ApiError(422, "Review cannot be requested from pull request author.")
    if teams or not all(repo.is_collaborator(login) for login in logins):
        raise ApiError(
            422,
            "Reviews may only be requested from collaborators. One or more of the users or teams"
            f" you specified is not a collaborator of the {repo.full_name} repository.",
        )
    known = {r.lower() for r in pull.requested_reviewers}
    for login in logins:
        if login.lower() not in known:
            pull.requested_reviewers.append(login)
            known.add(login.lower())
    issue.updated_at = now()


def remove_reviewers(issue: Issue, logins: Iterable[str]) -> None:
    """Withdraw review requests."""
    pull = issue.pull
    assert pull is not None
    gone = {login.lower() for login in logins}
    pull.requested_reviewers = [r for r in pull.requested_reviewers if r.lower() not in gone]
    issue.updated_at = now()


def add_assignees(repo: Repo, issue: Issue, logins: Iterable[str]) -> None:
    """Assign collaborators; GitHub silently ignores anyone who cannot be assigned."""
    current = {a.lower() for a in issue.assignees}
    for login in logins:
        if repo.is_collaborator(login) and login.lower() not in current and len(current) < 10:
            issue.assignees.append(login)
            current.add(login.lower())
    issue.updated_at = now()


def remove_assignees(issue: Issue, logins: Iterable[str]) -> None:
    """Unassign users."""
    gone = {login.lower() for login in logins}
    issue.assignees = [a for a in issue.assignees if a.lower() not in gone]
    issue.updated_at = now()


def add_comment(state: State, repo: Repo, issue: Issue, user: str, body: Any) -> Comment:
    """Comment on an issue or pull request."""
    if not body or not isinstance(body, str):
        raise invalid("IssueComment", "body", "missing_field")
    stamp = now()
    comment = Comment(state.next_id(), issue.number, body, user, stamp, stamp)
    repo.comments[comment.id] = comment
    issue.updated_at = stamp
    return comment


def comment(repo: Repo, comment_id: int) -> Comment:
    """Return a comment by id or raise 404."""
    try:
        return repo.comments[comment_id]
    except KeyError:
        raise not_found() from None


def edit_comment(repo: Repo, comment_id: int, body: Any) -> Comment:
    """Replace a comment's body."""
    found = comment(repo, comment_id)
    if not body or not isinstance(body, str):
        raise invalid("IssueComment", "body", "missing_field")
    found.body, found.updated_at = body, now()
    return found


def issue_comments(repo: Repo, number: int) -> list[Comment]:
    """Return the comments of one issue, oldest first."""
    return sorted((c for c in repo.comments.values() if c.number == number), key=lambda c: c.id)
