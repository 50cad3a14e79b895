"""Whether a pull request may merge (checks, reviews, branch protection, conflicts), and merging.

Callers hold ``state.lock``. Messages are GitHub's own where known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ApiError, custom, invalid
from .gitstore import GitError
from .state import CheckRun, Issue, Protection, Repo, Review, now

#: Check run conclusions that count as failed (the rest of the completed ones pass).
FAILED_CONCLUSIONS = {"failure", "cancelled", "timed_out", "action_required", "startup_failure"}
METHODS = {"merge": "Merge commits", "squash": "Squash merges", "rebase": "Rebase merges"}


def _run_state(run: CheckRun) -> str:
    if run.status != "completed":
        return "pending"
    return "failure" if run.conclusion in FAILED_CONCLUSIONS else "success"


def check_states(repo: Repo, sha: str, app_id: int | None = None) -> dict[str, str]:
    """Return the latest state of every status context and check run on ``sha``:
    ``success``, ``failure`` or ``pending`` (check runs of ``app_id`` only, when given)."""
    found: dict[str, str] = {}
    for status in repo.statuses:  # oldest first: the latest per context wins
        if status.sha == sha:
            found[status.context] = {"success": "success", "pending": "pending"}.get(
                status.state, "failure"
            )
    for run in sorted(repo.check_runs.values(), key=lambda r: r.id):
        if run.head_sha == sha and app_id in (None, run.app_id):
            found[run.name] = _run_state(run)
    return found


def latest_reviews(repo: Repo, issue: Issue) -> list[Review]:
    """Return each reviewer's latest deciding review (approved, changes requested, dismissed)."""
    latest: dict[str, Review] = {}
    for review in sorted(repo.reviews.values(), key=lambda r: r.id):
        if review.number == issue.number and review.state in (
            "APPROVED",
            "CHANGES_REQUESTED",
            "DISMISSED",
        ):
            latest[review.user.lower()] = review
    return list(latest.values())


def _writers(repo: Repo, reviews: list[Review]) -> list[Review]:
    readers = {r.lower() for r in repo.readers}
    return [r for r in reviews if repo.is_collaborator(r.user) and r.user.lower() not in readers]


def dismiss_stale(repo: Repo, issue: Issue) -> None:
    """A push to the head dismisses approvals when the base's protection says so."""
    pull = issue.pull
    rule = repo.protections.get(pull.base_ref) if pull else None
    if pull is None or rule is None or not rule.dismiss_stale_reviews:
        return
    for review in latest_reviews(repo, issue):
        if review.state == "APPROVED" and review.commit_id != pull.head_sha:
            review.state = "DISMISSED"


@dataclass
class Assessment:
    """What GitHub says about merging an open pull request now."""

    mergeable: bool
    #: clean, unstable, blocked, behind, dirty or draft.
    state: str
    #: Why branch protection refuses the merge (GitHub's 405 messages), in GitHub's order.
    protection: list[str] = field(default_factory=list)


def _protection_blockers(repo: Repo, issue: Issue, rule: Protection, head: str) -> list[str]:
    pull = issue.pull
    assert pull is not None
    found = []
    base_tip = repo.bare.tip(pull.base_ref) or pull.base_sha
    if rule.require_checks and rule.strict and not repo.bare.is_ancestor(base_tip, head):
        found.append("Head branch is not up to date with the base branch")
    for context, app_id in rule.checks if rule.require_checks else []:
        state = check_states(repo, head, app_id).get(context)
        if state is None:
            found.append(f'Required status check "{context}" is expected.')
        elif state == "failure":
            found.append(f'Required status check "{context}" is failing.')
        elif state == "pending":
            found.append(f'Required status check "{context}" is in progress.')
    if rule.approvals is not None:
        reviews = _writers(repo, latest_reviews(repo, issue))
        if any(r.state == "CHANGES_REQUESTED" for r in reviews):
            found.append("Changes have been requested by a reviewer with write access.")
        approved = sum(r.state == "APPROVED" for r in reviews)
        if approved < rule.approvals:
            count = rule.approvals
            found.append(
                f"At least {count} approving review{'s are' if count > 1 else ' is'} required"
                " by reviewers with write access."
            )
    return found


def assess(repo: Repo, issue: Issue) -> Assessment:
    """Compute ``mergeable`` and ``mergeable_state`` of an open pull request."""
    pull = issue.pull
    assert pull is not None
    head = repo.bare.tip(pull.head_ref) or pull.head_sha
    base = repo.bare.tip(pull.base_ref) or pull.base_sha
    if repo.bare.merged_tree(base, head) is None:
        return Assessment(False, "dirty")
    if pull.draft:
        return Assessment(True, "draft")
    rule = repo.protections.get(pull.base_ref)
    blockers = _protection_blockers(repo, issue, rule, head) if rule else []
    if blockers:
        behind = blockers[0].startswith("Head branch is not up to date")
        return Assessment(True, "behind" if behind else "blocked", blockers)
    if any(state != "success" for state in check_states(repo, head).values()):
        return Assessment(True, "unstable")
    return Assessment(True, "clean")


def merge(
    repo: Repo,
    issue: Issue,
    by: str,
    *,
    sha: str | None,
    title: str | None,
    message: str | None,
    method: str,
) -> str:
    """Merge a pull request as ``PUT .../pulls/{n}/merge`` does; return the new base tip."""
    pull = issue.pull
    assert pull is not None
    if method not in METHODS:
        raise invalid("PullRequest", "merge_method")
    if issue.state != "open":
        raise ApiError(405, "Pull Request is not mergeable")
    tip = repo.bare.tip(pull.head_ref)
    if sha and sha != tip:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    if not getattr(repo, f"allow_{method}_merge" if method != "merge" else "allow_merge_commit"):
        raise ApiError(405, f"{METHODS[method]} are not allowed on this repository.")
    if pull.draft:
        raise ApiError(405, "Pull Request is still a draft")
    verdict = assess(repo, issue)
    if not verdict.mergeable:
        raise ApiError(405, "Pull Request is not mergeable")
    rule = repo.protections.get(pull.base_ref)
    bypass = rule is not None and not rule.enforce_admins and repo.is_admin(by)
    if verdict.protection and not bypass:
        raise ApiError(405, verdict.protection[0])
    if method == "squash":
        default = f"{issue.title} (#{issue.number})"
    else:
        default = f"Merge pull request #{issue.number} from {repo.owner}/{pull.head_ref}"
    text = "\n\n".join(part for part in (title or default, message) if part)
    try:
        merged = repo.bare.merge(pull.base_ref, pull.head_ref, text, method=method)
    except GitError:
        raise ApiError(405, "Pull Request is not mergeable") from None
    stamp = now()
    pull.merged_at, pull.merged_by, pull.merge_commit_sha = stamp, by, merged
    pull.head_sha = tip or pull.head_sha
    issue.state, issue.closed_at, issue.updated_at = "closed", stamp, stamp
    if repo.delete_branch_on_merge:
        repo.bare.delete_ref(f"refs/heads/{pull.head_ref}")
    return merged


def update_branch(repo: Repo, issue: Issue, expected: str | None) -> str:
    """Merge the base into the head (``PUT .../pulls/{n}/update-branch``); return the new head."""
    pull = issue.pull
    assert pull is not None
    head, base = repo.bare.tip(pull.head_ref), repo.bare.tip(pull.base_ref)
    if issue.state != "open" or head is None or base is None:
        raise custom("PullRequest", "Pull request is not open")
    if expected and expected != head:
        raise ApiError(422, "expected head sha didn't match current head ref.")
    if repo.bare.is_ancestor(base, head):
        raise ApiError(422, "There are no new commits on the base branch.")
    message = f"Merge branch '{pull.base_ref}' into {pull.head_ref}"
    try:
        return repo.bare.merge_base_into(pull.head_ref, pull.base_ref, message)
    except GitError:
        raise ApiError(422, "merge conflict between base and head") from None
