"""The state of a bot pull request as a run reads it, and where a repository stands in a campaign.

A forge fills :class:`PullState` (``Forge.pull_state``, optional for plugins' forges); the run
records it in its report and in QuestDB (``hammurabi_pull_requests``), and ``hammurabi campaign``
counts repositories by :class:`Stage` (:mod:`hammurabi.core.stages`, re-exported here: a run
without a forge decides its stage without importing this module).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hammurabi.core.stages import STAGES, Checks, Review, Stage, stage

__all__ = [
    "FAILED_CONCLUSIONS",
    "MERGEABLE_STATES",
    "STAGES",
    "Checks",
    "PullState",
    "Review",
    "Stage",
    "automerge_blocker",
    "check_run_state",
    "combine_checks",
    "review_decision",
    "stage",
    "status_state",
]


#: Check run conclusions that fail a pull request (the other completed ones pass).
FAILED_CONCLUSIONS = frozenset(
    {"failure", "cancelled", "timed_out", "action_required", "startup_failure", "stale"}
)


@dataclass(frozen=True)
class PullState:
    """A pull request's state as read in one run."""

    number: int
    url: str
    #: open, closed or merged.
    state: str
    draft: bool = False
    review: Review = Review.NONE
    approvals: int = 0
    checks: Checks = Checks.NONE
    #: Names of the failing and of the pending checks.
    failing: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    #: None while the forge has not computed it.
    mergeable: bool | None = None
    #: GitHub's word: clean, unstable, blocked, behind, dirty, draft, unknown.
    mergeable_state: str | None = None
    head_sha: str | None = None
    created_at: datetime | None = None
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    read_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def age_s(self) -> float | None:
        """Seconds from the pull request's creation to when it was read."""
        if self.created_at is None or self.read_at is None:
            return None
        return max((self.read_at - self.created_at).total_seconds(), 0.0)

    def to_dict(self) -> dict[str, Any]:
        def stamp(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "number": self.number,
            "url": self.url,
            "state": self.state,
            "draft": self.draft,
            "review": self.review.value,
            "approvals": self.approvals,
            "checks": self.checks.value,
            "failing": list(self.failing),
            "pending": list(self.pending),
            "mergeable": self.mergeable,
            "mergeable_state": self.mergeable_state,
            "head_sha": self.head_sha,
            "created_at": stamp(self.created_at),
            "merged_at": stamp(self.merged_at),
            "closed_at": stamp(self.closed_at),
            "read_at": stamp(self.read_at),
            "age_s": self.age_s,
        }


def combine_checks(states: dict[str, str]) -> tuple[Checks, tuple[str, ...], tuple[str, ...]]:
    """Combine ``{check name: success|failure|pending}`` into one result, with the names of
    the failing and the pending checks."""
    failing = tuple(sorted(name for name, state in states.items() if state == "failure"))
    pending = tuple(sorted(name for name, state in states.items() if state == "pending"))
    if failing:
        return Checks.FAILING, failing, pending
    if pending:
        return Checks.PENDING, failing, pending
    return (Checks.PASSING if states else Checks.NONE), failing, pending


def status_state(state: str) -> str:
    """A commit status's state as ``success``, ``failure`` or ``pending``."""
    return {"success": "success", "pending": "pending"}.get(state, "failure")


def check_run_state(status: str, conclusion: str | None) -> str:
    """A check run's status and conclusion as ``success``, ``failure`` or ``pending``."""
    if status != "completed":
        return "pending"
    return "failure" if conclusion in FAILED_CONCLUSIONS else "success"


def review_decision(reviews: Iterable[tuple[str, str]]) -> tuple[Review, int]:
    """Decide from ``(reviewer, state)`` pairs, oldest first: each reviewer's latest approval,
    change request or dismissal counts. Returns the decision and the number of approvals."""
    latest: dict[str, str] = {}
    for user, state in reviews:
        if state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[user.lower()] = state
    approvals = sum(state == "APPROVED" for state in latest.values())
    if "CHANGES_REQUESTED" in latest.values():
        return Review.CHANGES_REQUESTED, approvals
    return (Review.APPROVED if approvals else Review.NONE), approvals


#: GitHub's ``mergeable_state`` values that say branch protection allows the merge now.
MERGEABLE_STATES = frozenset({"clean", "has_hooks"})
_NOT_MERGEABLE = {
    "dirty": "it conflicts with its base branch",
    "behind": "it is behind its base branch, which branch protection wants it up to date with",
    "blocked": "branch protection does not allow it yet (required checks or reviews)",
    "unstable": "a check is not passing",
    "draft": "it is a draft",
}


def automerge_blocker(
    pull: PullState, *, approved: bool = False, require_checks: bool = True
) -> str | None:
    """Why ``pull`` may not be merged automatically now, or None when it may: open, not a
    draft, its checks passing, approved if ``approved``, no change requested, and GitHub says
    branch protection allows it (``mergeable_state`` clean). Never asks more of GitHub."""
    if pull.state != "open":
        return f"it is {pull.state}"
    if pull.draft:
        return "it is a draft"
    if pull.review is Review.CHANGES_REQUESTED:
        return "a reviewer requested changes"
    if approved and pull.review is not Review.APPROVED:
        return "it is not approved yet"
    if pull.checks is Checks.FAILING:
        return f"checks are failing: {', '.join(pull.failing)}"
    if pull.checks is Checks.PENDING:
        return f"checks are still running: {', '.join(pull.pending)}"
    if pull.checks is Checks.NONE and require_checks:
        return "no check reports on it"
    if pull.mergeable is None:
        return "GitHub has not computed whether it can merge yet"
    if pull.mergeable is False:
        return _NOT_MERGEABLE["dirty"]
    if pull.mergeable_state not in MERGEABLE_STATES:
        return _NOT_MERGEABLE.get(
            pull.mergeable_state or "", f"GitHub calls it {pull.mergeable_state}"
        )
    return None
