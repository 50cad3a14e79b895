"""Typed records of what a run did beyond its laws: the bot branch, the pull request, the
campaign stage, the time spent, the maintenance window and where the laws came from.

:class:`~hammurabi.core.results.RunResult` holds them in typed fields; each record's
``to_dict`` gives its part of the JSON report (a public format: keys and values are kept as
they are). The value types shared by git and the forges (:class:`Commit`,
:class:`Credentials`) live here, so that neither integration imports the other.

Immutable records are named tuples: a frozen dataclass costs every run 0.3-0.5 ms to create
at import (its methods are compiled from source), a named tuple a fifth of that.
"""

# Annotations are evaluated here (no ``from __future__ import annotations``): a record's
# fields are checked as its class is made, and as strings each would be compiled first.

import contextlib
import enum
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from hammurabi.core.stages import Stage

if TYPE_CHECKING:  # read from a forge: a run without one does not import it
    from hammurabi.core.pullstate import PullState


class GitMode(enum.StrEnum):
    """How a run used git."""

    #: Files edited in place: no git (``--no-git``, not a work tree, ``git.enabled = false``).
    FILES = "files"
    #: The bot branch was rebuilt from the base branch.
    BRANCH = "branch"


class BranchAction(enum.StrEnum):
    """What happened to the bot branch; dry runs use the planned verbs (create, rebuild,
    delete)."""

    CREATE = "create"
    REBUILD = "rebuild"
    DELETE = "delete"
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    UNCHANGED = "unchanged"
    NONE = "none"
    BLOCKED = "blocked"
    IGNORED = "ignored"
    REJECTED = "rejected"
    HELD = "held"


class PullAction(enum.StrEnum):
    """What happened to the pull request; dry runs use the planned verbs (open, update,
    close)."""

    OPEN = "open"
    UPDATE = "update"
    CLOSE = "close"
    OPENED = "opened"
    UPDATED = "updated"
    CLOSED = "closed"
    UNCHANGED = "unchanged"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A username and password (token) for HTTPS remotes; the password is never shown."""

    username: str
    password: str = field(repr=False)


class Commit(NamedTuple):
    """One commit on a branch: who wrote it and whether Hammurabi made it."""

    sha: str
    author: str
    subject: str
    hammurabi: bool

    def to_dict(self) -> dict[str, Any]:
        return {"sha": self.sha, "author": self.author, "subject": self.subject}


class LawCommit(NamedTuple):
    """The commit of one law on the bot branch (``sha`` None: planned, in a dry run)."""

    law: str
    files: list[str]
    sha: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"sha": self.sha, "law": self.law, "files": self.files}


@dataclass(slots=True)
class GitRecord:
    """What a run did with git: the bot branch, its base, its commits and the push."""

    mode: GitMode
    #: Why git was not used (files mode).
    reason: str | None = None
    branch: str = ""
    #: The remote's name and its URL without credentials; None without a remote.
    remote: str | None = None
    url: str | None = None
    #: Whether the branch is pushed (a remote and pushing allowed).
    publish: bool = False
    base: str = ""
    base_sha: str = ""
    pushed: bool = False
    #: One commit per law that changed files; a branch blocked by others' commits that
    #: still holds Hammurabi's proposal lists those commits of Hammurabi's instead.
    commits: list[LawCommit | Commit] = field(default_factory=list)
    #: The branch's tip as the run left it (None: no branch).
    head: str | None = None
    #: Commits on the branch Hammurabi did not make.
    foreign_commits: list[Commit] = field(default_factory=list)
    action: BranchAction = BranchAction.NONE
    #: Why a canary rollout held the new pull request back.
    held: str | None = None
    #: Why a push or a deletion was rejected.
    error: str | None = None
    #: GitHub's ``mergeable_state`` (``dirty``, ``behind``) that made the run rebuild a
    #: branch whose changes still held on its moved base.
    brought_up_to_date: str | None = None

    @property
    def where(self) -> str:
        """``remote/branch`` when the branch is pushed, else the branch."""
        return f"{self.remote}/{self.branch}" if self.publish else self.branch

    def to_dict(self) -> dict[str, Any]:
        if self.mode is GitMode.FILES:
            return {"mode": self.mode.value, "reason": self.reason}
        data: dict[str, Any] = {
            "mode": self.mode.value,
            "branch": self.branch,
            "remote": self.remote,
            "url": self.url,
            "publish": self.publish,
            "base": self.base,
            "base_sha": self.base_sha,
            "pushed": self.pushed,
            "commits": [commit.to_dict() for commit in self.commits],
            "head": self.head,
            "foreign_commits": [commit.to_dict() for commit in self.foreign_commits],
        }
        if self.held is not None:
            data["held"] = self.held
        if self.error is not None:
            data["error"] = self.error
        if self.brought_up_to_date is not None:
            data["brought_up_to_date"] = self.brought_up_to_date
        data["action"] = self.action
        return data


class PullSummary(NamedTuple):
    """A pull request in a few fields (``number`` None: there is none)."""

    number: int | None = None
    url: str | None = None
    state: str | None = None
    created_at: datetime | None = None
    title: str | None = None
    draft: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "number": self.number,
            "url": self.url,
            "state": self.state,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }
        if self.number is not None:
            data.update(title=self.title, draft=self.draft)
        return data


@dataclass(slots=True)
class PullRequestRecord:
    """What a run did to the bot branch's pull request, and its state as read."""

    forge: str
    repository: str
    #: None: the forge failed before the run could say (the reason is the run's error).
    action: PullAction | None = None
    #: The pull request's fields the run changed (or would change).
    changes: list[str] = field(default_factory=list)
    #: Whether the run commented (None: not asked, e.g. a pull request left to a reviewer).
    commented: bool | None = None
    #: The pull request as the run left it (or the reviewer's closed one).
    pull: PullSummary = field(default_factory=PullSummary)
    #: The title proposed when there is no pull request yet (a dry run's "would open").
    proposed_title: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: Review, checks and mergeability as read after the run, when the forge can tell.
    read_state: "PullState | None" = None

    @property
    def number(self) -> int | None:
        return self.pull.number

    @property
    def url(self) -> str | None:
        return self.pull.url

    @property
    def title(self) -> str | None:
        return self.pull.title if self.pull.number is not None else self.proposed_title

    @property
    def state(self) -> str | None:
        """open, closed or merged: as last read."""
        return self.read_state.state if self.read_state is not None else self.pull.state

    @property
    def draft(self) -> bool:
        return self.read_state.draft if self.read_state is not None else self.pull.draft

    @property
    def created_at(self) -> datetime | None:
        read = self.read_state
        return read.created_at if read is not None else self.pull.created_at

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"forge": self.forge, "repository": self.repository}
        if self.action is None:
            return data
        if self.proposed_title is not None:
            data["title"] = self.proposed_title
        data.update(action=self.action, changes=list(self.changes))
        if self.commented is not None:
            data["commented"] = self.commented
        data.update(self.pull.to_dict())
        if self.warnings:
            data["warnings"] = list(self.warnings)
        if self.read_state is not None:
            state = self.read_state.to_dict()
            data.update({k: v for k, v in state.items() if k not in ("url", "number")})
        return data


class AutomergeRecord(NamedTuple):
    """Whether the run merged the bot pull request, and why not."""

    merged: bool
    reason: str | None = None
    #: Dry runs and blocked merges: whether it would have been merged.
    would_merge: bool | None = None
    method: str | None = None
    sha: str | None = None
    branch_deleted: bool | None = None
    warning: str | None = None
    #: Who asked for it: ``run`` (the runner's settings) or ``laws`` (every law in it).
    asked_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if not self.merged:
            data: dict[str, Any] = {"merged": False, "reason": self.reason}
            if self.would_merge is not None:
                data["would_merge"] = self.would_merge
        else:
            data = {"merged": True, "method": self.method, "sha": self.sha}
            if self.branch_deleted is not None:
                data["branch_deleted"] = self.branch_deleted
            if self.warning is not None:
                data["warning"] = self.warning
        if self.asked_by is not None:
            data["asked_by"] = self.asked_by
        return data


class CampaignRecord(NamedTuple):
    """Where the repository stands in the campaign of its bot branch."""

    branch: str
    stage: Stage
    #: The last closed pull request, read when the laws hold (merged: the campaign's win).
    last_pull: PullSummary | None = None
    #: Why the forge could not tell (the run's own work is done).
    error: str | None = None
    automerge: AutomergeRecord | None = None
    #: Requests the forge counted, and how many were answered "not modified".
    api_calls: int | None = None
    api_not_modified: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"branch": self.branch}
        if self.last_pull is not None:
            data["last_pull"] = self.last_pull.to_dict()
        if self.error is not None:
            data["error"] = self.error
        data["stage"] = self.stage
        if self.automerge is not None:
            data["automerge"] = self.automerge.to_dict()
        if self.api_calls is not None:
            data["api_calls"] = self.api_calls
        if self.api_not_modified is not None:
            data["api_not_modified"] = self.api_not_modified
        return data


@dataclass(slots=True)
class Timings:
    """Seconds spent in git, in the rules and in the forge's API during one run."""

    git: float = 0.0
    rules: float = 0.0
    api: float = 0.0

    @contextlib.contextmanager
    def measure(self, part: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            setattr(self, part, getattr(self, part) + time.perf_counter() - started)

    def to_dict(self) -> dict[str, float]:
        return {"git": round(self.git, 6), "rules": round(self.rules, 6), "api": round(self.api, 6)}


class ClosedWindow(NamedTuple):
    """The maintenance window a run found closed, and when it opens next."""

    #: The window in words (``mon-fri 09:00-17:00 Europe/Berlin``).
    window: str
    timezone: str
    next_open: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "open": False,
            "window": self.window,
            "timezone": self.timezone,
            "next_open": self.next_open.isoformat(),
        }
