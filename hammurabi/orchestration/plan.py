"""What a run does to the bot branch, decided from what it found (no git, no forge here).

:func:`decide` reads the facts of a :class:`Situation` in a fixed order and only those it
needs: a run computes the costly ones (a forge read, a git comparison) when asked, so the
decision costs no more than it has to. :class:`Facts` holds them as plain values (tests, and
callers that know them all).
"""

from __future__ import annotations

import enum
from typing import NamedTuple, Protocol


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
    #: The branch, built on an older base, makes exactly the change and its pull request
    #: merges cleanly (or GitHub has not said yet): keep it, its CI is not restarted.
    STAY = "stay"
    #: As :attr:`STAY`, but GitHub says the pull request conflicts with its base, or is
    #: behind a base whose protection wants it up to date: rebuild it on the base.
    UPDATE = "update"
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

    #: The bot branch has an open pull request whose state the forge can read.
    @property
    def open_pull(self) -> bool: ...

    #: The base moved since the branch was built on it (its tip is not in the branch).
    @property
    def base_moved(self) -> bool: ...

    #: The branch's commits, all Hammurabi's and one per law that changes files, make
    #: exactly the changes the laws make now, on an ancestor of the base.
    @property
    def same_change(self) -> bool: ...

    #: GitHub's word on merging the open pull request (its ``mergeable_state``; ``dirty``
    #: when it is not mergeable), or None when it could not be read.
    @property
    def merge_state(self) -> str | None: ...


class Facts(NamedTuple):
    """A :class:`Situation` as plain values."""

    changed: bool
    exists: bool = False
    closed_by_reviewer: bool = False
    held: bool = False
    foreign: bool = False
    rebuild: bool = False
    ours_hold: bool = False
    holds: bool = False
    open_pull: bool = False
    base_moved: bool = False
    same_change: bool = False
    merge_state: str | None = None


#: GitHub's merge states that bring a bot branch on an older base up to date.
OUT_OF_DATE = frozenset({"dirty", "behind"})


def decide(situation: Situation) -> Decision:
    """What to do with the bot branch: a reviewer's decision first, then a canary hold,
    then others' commits, then whether the branch already holds the change (or may stay
    on its older base, :func:`_existing`)."""
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
    return _existing(situation)


def _existing(situation: Situation) -> Decision:
    """An existing branch and a change: keep it when it holds the change; when it was built
    on an older base and makes the same change, keep it there unless GitHub says its pull
    request conflicts or is behind (a moved base alone does not restart CI); else rebuild."""
    if situation.holds:
        return Decision.KEEP
    if not (situation.open_pull and situation.base_moved and situation.same_change):
        return Decision.REBUILD
    state = situation.merge_state
    if not state:
        return Decision.REBUILD  # GitHub's word could not be read
    return Decision.UPDATE if state in OUT_OF_DATE else Decision.STAY
