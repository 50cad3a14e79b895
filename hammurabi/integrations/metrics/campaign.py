"""A campaign read back from QuestDB: what ``hammurabi campaign`` shows.

A campaign is one bot branch (one law source) across the fleet. Each repository run wrote a
``hammurabi_pull_requests`` row saying where the repository stands; the latest row of each
repository is the campaign now, and each day's last rows (a repository not run that day
keeps its earlier stage) are the burn-down. Dry runs are left out: they change nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any

from hammurabi.core.errors import ConfigError
from hammurabi.core.pullstate import STAGES, Stage
from hammurabi.integrations.metrics.questdb import QuestDB, quote_literal
from hammurabi.integrations.metrics.report import MAX_ROWS, window_where
from hammurabi.integrations.metrics.schema import PULL_REQUESTS


@dataclass
class CampaignRepo:
    """One repository's latest state in the campaign."""

    repo: str
    stage: Stage
    ts: datetime
    run_id: str
    status: str | None = None
    pr_number: int | None = None
    pr_state: str | None = None
    pr_url: str | None = None
    review: str | None = None
    approvals: int | None = None
    checks: str | None = None
    checks_failing: str | None = None
    checks_pending: str | None = None
    mergeable_state: str | None = None
    pr_created_at: datetime | None = None
    pr_age_s: float | None = None
    api_calls: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "stage": self.stage.value,
            "last_run": self.ts.isoformat(),
            "run_id": self.run_id,
            "status": self.status,
            "pull_request": (
                {
                    "number": self.pr_number,
                    "state": self.pr_state,
                    "url": self.pr_url,
                    "review": self.review,
                    "approvals": self.approvals,
                    "checks": self.checks,
                    "failing": _names(self.checks_failing),
                    "pending": _names(self.checks_pending),
                    "mergeable_state": self.mergeable_state,
                    "created_at": self.pr_created_at.isoformat() if self.pr_created_at else None,
                    "age_s": self.pr_age_s,
                }
                if self.pr_number is not None
                else None
            ),
            "api_calls": self.api_calls,
        }


def _names(text: str | None) -> list[str]:
    return [name for name in (text or "").split(",") if name]


@dataclass
class CampaignReport:
    """Everything ``hammurabi campaign`` shows."""

    campaign: str
    since: datetime
    until: datetime | None
    #: The latest state of each repository: worst stage first, then the oldest pull request.
    repos: list[CampaignRepo] = field(default_factory=list)
    #: Per UTC day with runs: repositories per stage at the end of that day.
    history: list[tuple[date, dict[str, int]]] = field(default_factory=list)
    truncated: bool = False

    @property
    def stages(self) -> dict[str, int]:
        """Repositories per stage now, worst first (every stage, zeros included)."""
        return _count(self.repos)

    @property
    def done(self) -> int:
        return sum(1 for repo in self.repos if repo.stage.done)

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "repos_total": len(self.repos),
            "repos_done": self.done,
            "stages": self.stages,
            "repos": [repo.to_dict() for repo in self.repos],
            "history": [
                {"day": day.isoformat(), "stages": counts, "remaining": remaining(counts)}
                for day, counts in self.history
            ],
            "truncated": self.truncated,
        }


def remaining(counts: dict[str, int]) -> int:
    """How many repositories of ``{stage: count}`` still need something."""
    return sum(n for stage, n in counts.items() if not Stage(stage).done)


def campaigns(client: QuestDB, since: datetime, until: datetime | None = None) -> list[str]:
    """The campaigns (bot branches) with real runs in the window, by name."""
    if PULL_REQUESTS.name not in client.tables():
        return []
    sql = (
        f"SELECT DISTINCT campaign FROM {PULL_REQUESTS.name}"
        f" WHERE {window_where(since, until)} AND dry_run = false ORDER BY campaign"
    )
    return [row["campaign"] for row in client.rows(sql)]


def fetch_campaign(
    client: QuestDB, campaign: str | None, *, since: datetime, until: datetime | None = None
) -> CampaignReport:
    """Read a campaign in the window; without a name, the only campaign there is."""
    if campaign is None:
        found = campaigns(client, since, until)
        if len(found) != 1:
            listed = ", ".join(found) if found else "none"
            raise ConfigError(
                f"name the campaign with --branch (campaigns with runs in the window: {listed})"
            )
        campaign = found[0]
    report = CampaignReport(campaign, since, until)
    if PULL_REQUESTS.name not in client.tables():
        return report
    names = ", ".join(f.name for f in fields(CampaignRepo))
    sql = (
        f"SELECT {names} FROM {PULL_REQUESTS.name} WHERE {window_where(since, until)}"
        f" AND campaign = {quote_literal(campaign)} AND dry_run = false"
        f" ORDER BY ts LIMIT {MAX_ROWS}"
    )
    rows = client.rows(sql)
    report.truncated = len(rows) >= MAX_ROWS
    latest: dict[str, CampaignRepo] = {}
    day: date | None = None
    for row in rows:  # oldest first: at each new day, count the day before
        repo = _repo(row)
        today = repo.ts.astimezone(UTC).date()
        if day is not None and today != day:
            report.history.append((day, _count(latest.values())))
        day, latest[repo.repo] = today, repo
    if day is not None:
        report.history.append((day, _count(latest.values())))
    report.repos = sorted(latest.values(), key=_worst_oldest)
    return report


def _count(repos: Iterable[CampaignRepo]) -> dict[str, int]:
    found = Counter(repo.stage for repo in repos)
    return {stage.value: found[stage] for stage in STAGES}


def _worst_oldest(repo: CampaignRepo) -> tuple[Any, ...]:
    created = repo.pr_created_at.timestamp() if repo.pr_created_at else float("inf")
    return (STAGES.index(repo.stage), created, repo.repo)


def _repo(row: dict[str, Any]) -> CampaignRepo:
    try:
        stage = Stage(row["stage"])
    except ValueError:
        stage = Stage.FAILED  # written by a newer Hammurabi: shown, never hidden
    created = row["pr_created_at"] and datetime.fromisoformat(row["pr_created_at"])
    ts = datetime.fromisoformat(row["ts"])
    return CampaignRepo(**{**row, "stage": stage, "ts": ts, "pr_created_at": created})
