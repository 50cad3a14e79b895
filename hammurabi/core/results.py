"""Result records: what each rule, law and run did.

Commits, pull-request bodies, reports and metrics are all built from these records and
nothing else, so they carry everything: outcome, touched files, diff, timing and errors.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hammurabi.core.records import (
        CampaignRecord,
        ClosedWindow,
        GitRecord,
        PullRequestRecord,
        Timings,
    )


class Outcome(enum.StrEnum):
    """What happened to a rule, a law or a run."""

    #: Something changed (in a dry run or ``check``: would change).
    CHANGED = "changed"
    #: Ran and found everything as wanted: nothing to change.
    UNCHANGED = "unchanged"
    #: Did not run: a precondition was not met, an upstream rule failed, or its law was
    #: rolled back.
    SKIPPED = "skipped"
    #: Raised an error; its changes (and its law's) were rolled back.
    FAILED = "failed"


class Status(enum.StrEnum):
    """What a run did to a repository (in a dry run: what it would do); see the README."""

    #: Every law already holds on the base branch.
    NOTHING_TO_CHANGE = "nothing-to-change"
    #: The laws' changes are already proposed: the bot branch (and pull request) hold them.
    UP_TO_DATE = "up-to-date"
    #: Files were edited in place (a plain folder, ``--no-git``).
    FILES_CHANGED = "files-changed"
    #: The bot branch was created: pushed, or set locally without a remote; no pull request.
    BRANCH_CREATED = "branch-created"
    #: The bot branch was rebuilt with new changes; no pull request involved.
    BRANCH_UPDATED = "branch-updated"
    #: Nothing is left to change: the bot branch was deleted (no forge).
    BRANCH_DELETED = "branch-deleted"
    #: The bot branch was pushed and its pull request opened.
    PR_OPENED = "pr-opened"
    #: The bot branch was pushed and its pull request updated (title, body, labels...).
    PR_UPDATED = "pr-updated"
    #: Nothing is left to change: the pull request was closed and its branch deleted.
    PR_CLOSED = "pr-closed"
    #: A reviewer closed the pull request proposing this very change: not proposed again.
    IGNORED = "ignored"
    #: The bot branch holds commits Hammurabi did not make, and the laws want it changed.
    BLOCKED = "blocked"
    #: A rule, a law, a push or the forge failed (the reason is printed).
    FAILED = "failed"
    #: Interrupted (Ctrl-C); the rule in progress was rolled back.
    INTERRUPTED = "interrupted"
    #: Fleet runs: the branch was pushed, its pull request held back by ``--max-prs``.
    DEFERRED = "deferred"
    #: Fleet runs: the run was interrupted before this repository started.
    NOT_STARTED = "not-started"
    #: Outside the maintenance window: the run would write (push, pull request) and wrote
    #: nothing; it reports what it would do.
    OUTSIDE_WINDOW = "outside-window"
    #: Fleet runs with ``--canary``: the laws want a new pull request, held back (nothing
    #: pushed) until the canaries' checks pass.
    HELD = "held"

    @property
    def text(self) -> str:
        """The status in words, for people."""
        return _STATUS_TEXT.get(self, self.value.replace("-", " "))


#: What a run that changed a repository did: edited its files, or pushed its bot branch or
#: pull request (a branch already up to date, held, blocked or ignored changed nothing).
CHANGING = frozenset(
    {
        Status.FILES_CHANGED,
        Status.BRANCH_CREATED,
        Status.BRANCH_UPDATED,
        Status.PR_OPENED,
        Status.PR_UPDATED,
        Status.DEFERRED,
    }
)


_STATUS_TEXT = {
    Status.PR_OPENED: "pull request opened",
    Status.PR_UPDATED: "pull request updated",
    Status.PR_CLOSED: "pull request closed",
    Status.IGNORED: "ignored (closed by a reviewer)",
    Status.OUTSIDE_WINDOW: "held: outside the maintenance window",
    Status.HELD: "held: waiting for the canaries",
}


def combine(outcomes: list[Outcome]) -> Outcome:
    """Aggregate outcomes: failed beats changed beats unchanged beats skipped."""
    for candidate in (Outcome.FAILED, Outcome.CHANGED, Outcome.UNCHANGED):
        if candidate in outcomes:
            return candidate
    return Outcome.SKIPPED


@dataclass(frozen=True)
class FileChange:
    """One file or directory changed by a rule; its unified diff is computed on first use."""

    path: str
    #: "added", "modified", "deleted", "mode", "owner", "directory-added", "directory-deleted"
    kind: str
    before: bytes | None = field(default=None, repr=False, compare=False)
    after: bytes | None = field(default=None, repr=False, compare=False)
    modes: tuple[int | None, int | None] = field(default=(None, None), repr=False, compare=False)

    @cached_property
    def diff(self) -> str:
        if self.kind not in ("added", "modified", "deleted", "mode"):
            return ""
        from hammurabi.core.diffs import unified_diff

        return unified_diff(self.path, self.before, self.modes[0], self.after, self.modes[1])

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "diff": self.diff}


@dataclass
class RuleResult:
    """The record of one rule run, with the results of its pipe and children nested."""

    law: str
    rule: str
    rule_id: str
    outcome: Outcome
    changes: list[FileChange] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration: float = 0.0
    error: str | None = None
    reason: str | None = None  # why it was skipped
    output: Any = None  # the value handed to the pipe and children
    chain: list[RuleResult] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return [change.path for change in self.changes]

    @property
    def diff(self) -> str:
        return "".join(change.diff for change in self.changes)

    def walk(self) -> Iterator[RuleResult]:
        """Yield this result and every result in its chain, depth first."""
        yield self
        for result in self.chain:
            yield from result.walk()

    def to_dict(self) -> dict[str, Any]:
        return {
            "law": self.law,
            "rule": self.rule,
            "rule_id": self.rule_id,
            "outcome": self.outcome.value,
            "files": self.files,
            "changes": [change.to_dict() for change in self.changes],
            "started_at": self.started_at.isoformat(),
            "duration": round(self.duration, 6),
            "error": self.error,
            "reason": self.reason,
            "chain": [result.to_dict() for result in self.chain],
        }


@dataclass
class LawResult:
    """The record of one law: its rules' results, or why it was skipped."""

    name: str
    description: str
    rules: list[RuleResult] = field(default_factory=list)
    weight: float = 1.0
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration: float = 0.0
    reason: str | None = None
    error: str | None = None
    #: The law's net changes (several rules editing one file give one entry).
    changes: list[FileChange] = field(default_factory=list)
    #: Its change is already proposed: the bot branch holds it as it is.
    proposed: bool = False

    @property
    def status(self) -> Outcome | Status:
        """:attr:`Status.UP_TO_DATE` for a change already proposed, else the outcome."""
        outcome = self.outcome
        return Status.UP_TO_DATE if self.proposed and outcome is Outcome.CHANGED else outcome

    @property
    def outcome(self) -> Outcome:
        if self.error:
            return Outcome.FAILED
        if self.reason is not None and not self.rules:
            return Outcome.SKIPPED
        return combine([result.outcome for result in self.walk()])

    def walk(self) -> Iterator[RuleResult]:
        for result in self.rules:
            yield from result.walk()

    def by_outcome(self, outcome: Outcome) -> list[RuleResult]:
        return [result for result in self.walk() if result.outcome is outcome]

    @property
    def files(self) -> list[str]:
        return [change.path for change in self.changes]

    @property
    def diff(self) -> str:
        return "".join(change.diff for change in self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "outcome": self.outcome.value,
            "status": self.status.value,
            "weight": self.weight,
            "files": self.files,
            "changes": [change.to_dict() for change in self.changes],
            "started_at": self.started_at.isoformat(),
            "duration": round(self.duration, 6),
            "reason": self.reason,
            "error": self.error,
            "rules": [result.to_dict() for result in self.rules],
        }


@dataclass
class RunResult:
    """The record of one enforce run over one repository."""

    root: str
    run_id: str
    version: str
    dry_run: bool = False
    repo: str | None = None
    laws: list[LawResult] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration: float = 0.0
    error: str | None = None
    #: The run's net changes over all laws, one entry per path.
    changes: list[FileChange] = field(default_factory=list)
    #: What happened to the repository; None: judged from the laws' outcomes alone.
    action: Status | None = None
    #: What the run did with git (None: a run that never got that far).
    git: GitRecord | None = None
    #: What it did to the bot branch's pull request (None: no forge, or not asked).
    pull_request: PullRequestRecord | None = None
    #: Where the repository stands in its bot branch's campaign (None: no bot branch).
    campaign: CampaignRecord | None = None
    timings: Timings | None = None
    #: The law sources the run was given (pull-request bodies name them, to re-run).
    law_sources: list[str] | None = None
    #: The maintenance window, when it was closed: nothing was written.
    window: ClosedWindow | None = None

    @property
    def status(self) -> Status:
        """What the run did to the repository (failed whenever a law failed)."""
        if self.outcome is Outcome.FAILED:
            return Status.FAILED
        if self.action is not None:
            return self.action
        return Status.FILES_CHANGED if self.changed else Status.NOTHING_TO_CHANGE

    @property
    def outcome(self) -> Outcome:
        if self.error:
            return Outcome.FAILED
        return combine([law.outcome for law in self.laws])

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAILED

    @property
    def changed(self) -> bool:
        return any(law.outcome is Outcome.CHANGED for law in self.laws) or any(
            result.outcome is Outcome.CHANGED for result in self.walk()
        )

    def walk(self) -> Iterator[RuleResult]:
        for law in self.laws:
            yield from law.walk()

    @property
    def files(self) -> list[str]:
        return [change.path for change in self.changes]

    @property
    def diff(self) -> str:
        return "".join(change.diff for change in self.changes)

    def failures(self) -> list[str]:
        """One line per failure, naming the law, the rule and (in the message) the file."""
        lines = [f"run: {self.error}"] if self.error else []
        for law in self.laws:
            if law.error:
                lines.append(f"law {law.name!r}: {law.error}")
            for rule in law.walk():
                if rule.outcome is Outcome.FAILED:
                    lines.append(f"law {law.name!r}, rule {rule.rule!r}: {rule.error}")
        return lines

    def counts(self) -> dict[str, int]:
        """Rule results per outcome, chains included."""
        counts = {outcome.value: 0 for outcome in Outcome}
        for result in self.walk():
            counts[result.outcome.value] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        laws = self.laws
        return {
            "run_id": self.run_id,
            "version": self.version,
            "root": self.root,
            "repo": self.repo,
            "dry_run": self.dry_run,
            "outcome": self.outcome.value,
            "status": self.status.value,
            "started_at": self.started_at.isoformat(),
            "duration": round(self.duration, 6),
            "error": self.error,
            "counts": self.counts(),
            "files": self.files,
            # The original Hammurabi's report keys, kept for compatibility.
            "passed": [law.name for law in laws if law.outcome is not Outcome.FAILED],
            "failed": [law.name for law in laws if law.outcome is Outcome.FAILED],
            "skipped": [law.name for law in laws if law.outcome is Outcome.SKIPPED],
            "laws": [law.to_dict() for law in laws],
            **self.records(),
        }

    def records(self) -> dict[str, Any]:
        """The report's keys for the records beyond the laws (only those the run has)."""
        data: dict[str, Any] = {}
        if self.git is not None:
            data["git"] = self.git.to_dict()
        if self.pull_request is not None:
            data["pull_request"] = self.pull_request.to_dict()
        if self.campaign is not None:
            data["campaign"] = self.campaign.to_dict()
        if self.timings is not None:
            data["timings"] = self.timings.to_dict()
        if self.law_sources is not None:
            data["provenance"] = {"laws": list(self.law_sources)}
        if self.window is not None:
            data["window"] = self.window.to_dict()
        return data

    def to_json(self) -> str:
        import json  # here: a run that prints text does not import it

        return json.dumps(self.to_dict(), indent=2, default=str) + "\n"
