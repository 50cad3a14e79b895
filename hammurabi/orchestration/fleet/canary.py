"""Canary rollout (``--canary N``): propose a change to N repositories first, and to the rest
only once the proposed pull requests' checks pass; stop widening when too many fail.

Before the repositories run, the fleet surveys the campaign on the forge: for each repository,
its open bot pull request and that one's checks, or else whether its last one was merged.
From the counts it decides, once for the run:

- ``canary``: fewer than N proposed (open or merged): up to the missing number of new pull
  requests may open in this run;
- ``stop``: more than the allowed share (``--canary-failing``) of the proposed ones have
  failing checks: no new pull request opens, and the run says so;
- ``wait``: some proposed ones' checks are still running, or none reported yet (CI may not
  have started): no new pull request yet;
- ``widen``: every proposed one passes (or was merged): the rest are proposed.

Repositories that already have a pull request are updated as usual; one held back is reported
``held`` and nothing is pushed for it (its CI does not start). A later run continues.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from hammurabi.core.errors import HammurabiError
from hammurabi.core.pullstate import Checks

if TYPE_CHECKING:
    from hammurabi.integrations.forges.base import Forge
    from hammurabi.orchestration.fleet.targets import Target

log = logging.getLogger(__name__)


@dataclass
class Canary:
    """The survey of a campaign and the decision it led to."""

    size: int
    max_failing: float
    proposed: int = 0
    merged: int = 0
    passing: int = 0
    failing: int = 0
    pending: int = 0
    #: Repositories the forge could not be asked about.
    unknown: int = 0
    decision: str = ""
    message: str = ""
    #: Why new pull requests wait (None: they may open), and how many may (-1: any).
    hold: str | None = None
    new: int = -1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def survey(forge: Forge, targets: Sequence[Target], branch: str, canary: Canary) -> None:
    """Count the campaign's proposed pull requests and their checks (read-only; a fleet's
    forge answers from the batched reads where they tell, see :mod:`.limits`)."""
    reader = getattr(forge, "pull_state", None)
    both = getattr(forge, "find_pulls", None)  # open and closed in one request
    for target in targets:
        repository = forge.repository(target.url)
        if repository is None:
            continue
        try:
            if both is not None:
                pull, closed = both(repository, branch, None)
            else:
                pull = forge.find_pull(repository, branch, None)
                closed = None if pull else forge.find_closed_pull(repository, branch, None)
            if pull is None:
                if closed is not None and closed.state == "merged":
                    canary.proposed += 1
                    canary.merged += 1
                continue
            canary.proposed += 1
            checks = reader(repository, pull).checks if reader is not None else Checks.NONE
        except HammurabiError as exc:
            log.warning("canary: %s could not be read: %s", target.name, exc)
            canary.unknown += 1
            continue
        if checks is Checks.FAILING:
            canary.failing += 1
        elif checks is Checks.PASSING:
            canary.passing += 1
        else:  # running, or no check reported yet: CI may not have started
            canary.pending += 1


def decide(canary: Canary) -> None:
    """Decide from the survey whether new pull requests may open, and how many."""
    proposed, failing = canary.proposed, canary.failing
    if proposed and failing / proposed > canary.max_failing:
        canary.decision = "stop"
        canary.hold = (
            f"rollout stopped: {failing} of {proposed} proposed pull requests have failing "
            f"checks (more than {canary.max_failing:.0%})"
        )
        canary.new = 0
    elif proposed < canary.size:
        canary.decision = "canary"
        canary.new = canary.size - proposed
        canary.message = (
            f"canary: {proposed} of {canary.size} proposed; up to {canary.new} more this run"
        )
    elif canary.pending:
        canary.decision = "wait"
        canary.hold = (
            f"waiting for the checks of {canary.pending} of the {proposed} proposed pull requests"
        )
        canary.new = 0
    else:
        canary.decision = "widen"
        canary.message = (
            f"the {proposed} proposed pull requests pass: proposing to every repository"
        )
    canary.message = canary.message or canary.hold or ""
