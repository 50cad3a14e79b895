"""What a run does to the bot branch, decided from what it found (no git, no forge here).

:func:`decide` reads the facts of a :class:`Situation` in a fixed order and only those it
needs: a run computes the costly ones (a forge read, a git comparison) when asked, so the
decision costs no more than it has to. :class:`Facts` holds them as plain values (tests, and
callers that know them all).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class Decision(enum.StrEnum):
    """What to do with the bot branch."""

    #: A reviewer closed the pull request proposing this very change: leave it be.
    IGNORE = "ignore"
    #: A canary rollout holds new pull requests back: push nothing.
    HOLD = "hold"
    #: The branch holds commits Hammurabi did not make and may not be rebuilt: leave it.
    BLOCKED = "blocked"
    #: Others added commits, but Hammurabi's own below them still hold the change: keep it.
    KEEP_OURS = "keep-ours"
    #: The branch already holds exactly the change: keep it.
    KEEP = "keep"
    #: Create the branch with the change.
    CREATE = "create"
    #: Rebuild the existing branch with the change.
    REBUILD = "rebuild"
    #: Nothing is left to change: delete the branch.
    DELETE = "delete"
    #: Nothing to change and no branch: nothing to do.
    NOTHING = "nothing"


class Situation(Protocol):
    """What a run found, read by :func:`decide` in the order of its fields."""

    #: The laws changed something (there is a change to propose).
    @property
    def changed(self) -> bool: ...

    #: A reviewer closed the pull request that proposed this very change.
    @property
    def closed_by_reviewer(self) -> bool: ...

    #: A canary rollout holds back the new pull request this change would open.
    @property
    def held(self) -> bool: ...

    #: The branch holds commits Hammurabi did not make.
    @property
    def foreign(self) -> bool: ...

    #: The branch may be rebuilt anyway (``--rebuild``, or the pull request's label).
    @property
    def rebuild(self) -> bool: ...

    #: Hammurabi's own commits on the branch hold the change (read with others' commits).
    @property
    def ours_hold(self) -> bool: ...

    #: The bot branch exists (on the remote when it is pushed, else locally).
    @property
    def exists(self) -> bool: ...

    #: The existing branch already holds exactly the change.
    @property
    def holds(self) -> bool: ...

    #: The existing branch, built on an older base, makes exactly the change and its pull
    #: request merges cleanly (neither conflicting nor behind a base that requires it).
    @property
    def stays(self) -> bool: ...


@dataclass(frozen=True)
class Facts:
    """A :class:`Situation` as plain values."""

    changed: bool
    exists: bool = False
    closed_by_reviewer: bool = False
    held: bool = False
    foreign: bool = False
    rebuild: bool = False
    ours_hold: bool = False
    holds: bool = False
    stays: bool = False


def decide(situation: Situation) -> Decision:
    """What to do with the bot branch: a reviewer's decision first, then a canary hold,
    then others' commits, then whether the branch already holds the change (or may stay
    on its older base)."""
    changed = situation.changed
    if changed and situation.closed_by_reviewer:
        return Decision.IGNORE
    if changed and situation.held:
        return Decision.HOLD
    if situation.foreign and not situation.rebuild:
        return Decision.KEEP_OURS if changed and situation.ours_hold else Decision.BLOCKED
    if not changed:
        return Decision.DELETE if situation.exists else Decision.NOTHING
    if not situation.exists:
        return Decision.CREATE
    return Decision.KEEP if situation.holds or situation.stays else Decision.REBUILD
