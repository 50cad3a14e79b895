"""What a fleet run did: one record per repository, and the run around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hammurabi.core.results import CHANGING, RunResult, Status

#: Statuses saying that the laws want the repository changed (``check`` exits 3).
NEEDS_CHANGES = CHANGING | {Status.HELD}


@dataclass
class RepoRun:
    """How one repository's run ended."""

    name: str
    status: Status
    reason: str | None = None
    #: What happened to the bot branch (created, updated, unchanged, deleted, ...).
    branch: str | None = None
    #: The pull request: action (opened, updated, closed, open, ...), number, url, title,
    #: and as read in the run: state, checks, review, mergeable_state, age_s.
    pull: dict[str, Any] = field(default_factory=dict)
    #: Where the repository stands in the campaign (``hammurabi.core.pullstate.Stage``).
    stage: str | None = None
    #: Finished in an earlier attempt of the same run (resumed from the state file).
    earlier: bool = False
    seconds: float = 0.0
    #: The repository's own record (not kept for runs finished earlier).
    result: RunResult | None = field(default=None, repr=False)
    #: Read back from a JSON report (no record): its files, failures, diff and timings.
    detail: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def diff(self) -> str:
        if self.result is None:
            return str(self.detail.get("diff") or "")
        return self.result.diff

    def summary(self) -> dict[str, Any]:
        """The short form kept in the state file."""
        return {
            "status": self.status.value,
            "reason": self.reason,
            "branch": self.branch,
            "pull": self.pull,
            "stage": self.stage,
        }

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            **self.summary(),
            "earlier": self.earlier,
            "seconds": round(self.seconds, 3),
        }
        if self.result is not None:
            data["files"] = self.result.files
            data["failures"] = self.result.failures()
            data["diff"] = self.result.diff
            timings = self.result.timings
            data["timings"] = timings.to_dict() if timings is not None else {}
        else:
            data.update(self.detail)
        return data


@dataclass
class FleetResult:
    """The record of a fleet run."""

    run_id: str
    dry_run: bool
    repos: list[RepoRun] = field(default_factory=list)
    #: ``K/N`` when the run was one shard of the fleet.
    shard: str | None = None
    #: The shards a merged report joins (``hammurabi report merge``), in order.
    shards: list[str] = field(default_factory=list)
    #: The bot branch and the names of the laws enforced: what tells runs of other laws apart.
    branch: str | None = None
    laws: list[str] = field(default_factory=list)
    #: Archived repositories left out of the listing.
    archived: list[str] = field(default_factory=list)
    #: A canary rollout's survey and decision (``--canary``), else None.
    canary: dict[str, Any] | None = None
    #: The batched reads of every repository's pull requests (GraphQL queries and their
    #: cost in points), else None.
    reads: dict[str, Any] | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    seconds: float = 0.0
    interrupted: bool = False

    def counts(self) -> dict[str, int]:
        """Repositories per status, and pull requests opened, updated and closed."""
        counts = {status.value: 0 for status in Status}
        for repo in self.repos:
            counts[repo.status.value] += 1
        for action in ("opened", "updated", "closed", "open", "update", "close"):
            counts[f"pr_{action}"] = sum(
                1 for repo in self.repos if repo.pull.get("action") == action and not repo.earlier
            )
        return counts

    def stages(self) -> dict[str, int]:
        """Repositories per campaign stage, worst first (stages no repository is in left out)."""
        from hammurabi.core.pullstate import STAGES

        found = [repo.stage for repo in self.repos]
        return {stage.value: found.count(stage.value) for stage in STAGES if stage.value in found}

    @property
    def failed(self) -> list[RepoRun]:
        return [repo for repo in self.repos if repo.status is Status.FAILED]

    @property
    def changed(self) -> list[RepoRun]:
        """Repositories the laws want changed (whether or not proposed already)."""
        return [
            repo
            for repo in self.repos
            if repo.status in NEEDS_CHANGES or (repo.result is not None and repo.result.changed)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "shard": self.shard,
            "shards": self.shards,
            "branch": self.branch,
            "laws": self.laws,
            "started_at": self.started_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "interrupted": self.interrupted,
            "counts": self.counts(),
            "stages": self.stages(),
            "canary": self.canary,
            "reads": self.reads,
            "archived": self.archived,
            "repos": [repo.to_dict() for repo in self.repos],
        }
