"""Where a repository stands in a campaign (:class:`Stage`), and the verdicts on a pull request
that decide it (:class:`Checks`, :class:`Review`).

Apart from :mod:`hammurabi.core.pullstate` (which re-exports them): every run decides its
stage, and one without a forge has no pull request's state to import.
"""

from __future__ import annotations

import enum
from typing import Protocol


class Checks(enum.StrEnum):
    """The combined result of a head commit's statuses and check runs."""

    PASSING = "passing"
    FAILING = "failing"
    PENDING = "pending"
    #: No status and no check run reported on the head commit.
    NONE = "none"


class Review(enum.StrEnum):
    """What reviewers decided (each reviewer's latest approval or change request counts)."""

    APPROVED = "approved"
    CHANGES_REQUESTED = "changes-requested"
    #: No approval and no change request (yet).
    NONE = "none"


class Stage(enum.StrEnum):
    """Where a repository stands in a campaign, worst first (the order of :data:`STAGES`)."""

    #: The run failed (a rule, a push, the forge).
    FAILED = "failed"
    #: The bot branch holds someone else's commits.
    BLOCKED = "blocked"
    #: Proposed; a check on the pull request fails.
    FAILING = "failing"
    #: A reviewer closed the pull request proposing this change.
    IGNORED = "ignored"
    #: Changes are wanted but no pull request is open (a dry run, held back, no forge).
    UNPROPOSED = "unproposed"
    #: Proposed; reviewers asked for changes.
    CHANGES_REQUESTED = "changes-requested"
    #: Proposed; checks still running.
    PENDING = "pending"
    #: Proposed; no check reports on it.
    PROPOSED = "proposed"
    #: Proposed; every check passes.
    PASSING = "passing"
    #: Proposed and approved, checks not failing.
    APPROVED = "approved"
    #: Its pull request was merged: the laws hold.
    MERGED = "merged"
    #: The laws hold; nothing was ever proposed.
    COMPLIANT = "compliant"

    @property
    def done(self) -> bool:
        """Whether the repository needs nothing more."""
        return self in (Stage.MERGED, Stage.COMPLIANT)


#: Every stage, worst first.
STAGES: tuple[Stage, ...] = tuple(Stage)


class PullVerdicts(Protocol):
    """What :func:`stage` reads of a pull request's state (a ``PullState``)."""

    @property
    def state(self) -> str: ...
    @property
    def checks(self) -> Checks: ...
    @property
    def review(self) -> Review: ...


def stage(
    status: str, pull: PullVerdicts | None, holds: bool, merged_before: bool = False
) -> Stage:
    """Where a repository stands after a run with ``status`` (a :class:`Status` value) and the
    state of its pull request; ``holds``: the laws hold on the base branch (nothing to
    change); ``merged_before``: its last pull request was merged."""
    if status in ("failed", "interrupted"):
        return Stage.FAILED
    if status == "blocked":
        return Stage.BLOCKED
    if status == "ignored":
        return Stage.IGNORED
    if holds:
        return Stage.MERGED if merged_before else Stage.COMPLIANT
    if pull is None or pull.state != "open":
        return Stage.UNPROPOSED
    if pull.checks is Checks.FAILING:
        return Stage.FAILING
    if pull.review is Review.CHANGES_REQUESTED:
        return Stage.CHANGES_REQUESTED
    if pull.review is Review.APPROVED:
        return Stage.APPROVED
    return {
        Checks.PENDING: Stage.PENDING,
        Checks.PASSING: Stage.PASSING,
        Checks.NONE: Stage.PROPOSED,
    }[pull.checks]
