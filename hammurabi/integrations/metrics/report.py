"""The fleet's health read back from QuestDB: what ``hammurabi health`` shows."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from hammurabi.core.errors import ConfigError
from hammurabi.integrations.metrics.questdb import QuestDB, in_list, ts_literal
from hammurabi.integrations.metrics.schema import REPO_HEALTH, RULE_RUNS

#: At most this many rows are read per query; more means the window is too wide.
MAX_ROWS = 200_000
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
#: Each run's score, outcome and rule counts from its rule rows that match ``{where}``, as
#: ``rows.health`` computes them, under the names of a ``hammurabi_repo_health`` row.
_SCORED = (
    "SELECT run_id, repo, ts, rules_compliant, rules_total,"
    " CASE WHEN w_all > 0 THEN w_ok / w_all END score,"
    " CASE WHEN n_failed > 0 THEN 'failed' WHEN n_changed > 0 THEN 'changed'"
    " WHEN rules_total > 0 THEN 'unchanged' ELSE 'skipped' END outcome"
    " FROM (SELECT run_id, repo, min(ts) ts,"
    " sum(CASE WHEN outcome = 'unchanged' THEN law_weight ELSE 0.0 END) w_ok,"
    " sum(CASE WHEN outcome != 'skipped' THEN law_weight ELSE 0.0 END) w_all,"
    " sum(CASE WHEN outcome = 'unchanged' THEN 1 ELSE 0 END) rules_compliant,"
    " sum(CASE WHEN outcome != 'skipped' THEN 1 ELSE 0 END) rules_total,"
    " sum(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) n_failed,"
    " sum(CASE WHEN outcome = 'changed' THEN 1 ELSE 0 END) n_changed"
    f" FROM {RULE_RUNS.name} WHERE {{where}} GROUP BY run_id, repo)"
)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """Parse ``30d``, ``12h``, ``90m``, ``2w`` (ago) or an ISO date/time (UTC if naive)."""
    now = now or datetime.now(UTC)
    if match := re.fullmatch(r"(\d+)\s*([mhdw])", text.strip()):
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--since {text!r}: give an age like 30d, 12h, 2w or a date like 2026-01-31"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class RunPoint:
    """One repository run as read back: when, its score, outcome and pull request."""

    ts: datetime
    run_id: str
    score: float | None
    outcome: str
    rules_compliant: int | None = None
    rules_total: int | None = None
    pr_number: int | None = None
    pr_state: str | None = None
    pr_url: str | None = None
    pr_age_s: float | None = None


@dataclass
class RepoTrend:
    """A repository's runs in the window, oldest first."""

    repo: str
    points: list[RunPoint]

    @property
    def latest(self) -> RunPoint:
        return self.points[-1]

    @property
    def score(self) -> float | None:
        return self.points[-1].score

    @property
    def pull_request(self) -> RunPoint | None:
        """The latest run that reported a pull request, if it is the latest run."""
        return self.latest if self.latest.pr_number is not None else None

    def to_dict(self) -> dict[str, Any]:
        pr = self.pull_request
        return {
            "repo": self.repo,
            "score": self.score,
            "runs": len(self.points),
            "last_run": self.latest.ts.isoformat(),
            "outcome": self.latest.outcome,
            "trend": [point.score for point in self.points],
            "pull_request": pr
            and {
                "number": pr.pr_number,
                "state": pr.pr_state,
                "url": pr.pr_url,
                "age_s": pr.pr_age_s,
            },
        }


@dataclass
class FailingRule:
    """A rule out of compliance in the window: how often, and in how many repositories."""

    law: str
    rule: str
    failed: int
    changed: int
    repos: int


@dataclass
class HealthReport:
    """Everything ``hammurabi health`` shows."""

    since: datetime
    until: datetime | None
    repos_filter: list[str]
    laws_filter: list[str]
    repos: list[RepoTrend] = field(default_factory=list)
    failing_rules: list[FailingRule] = field(default_factory=list)
    fleet_trend: list[tuple[datetime, float]] = field(default_factory=list)
    truncated: bool = False

    @property
    def fleet_score(self) -> float | None:
        """The mean of the repositories' latest scores (those with a score)."""
        scores = [r.score for r in self.repos if r.score is not None]
        return sum(scores) / len(scores) if scores else None

    @property
    def compliant_repos(self) -> int:
        return sum(1 for r in self.repos if r.score is not None and r.score >= 1.0)

    def to_dict(self) -> dict[str, Any]:
        """What ``hammurabi health --format json`` prints."""
        return {
            "since": self.since.isoformat(),
            "until": self.until and self.until.isoformat(),
            "filters": {"repos": self.repos_filter, "laws": self.laws_filter},
            "fleet": {
                "repos": len(self.repos),
                "score": self.fleet_score,
                "compliant": self.compliant_repos,
                "trend": [{"day": d.isoformat(), "score": s} for d, s in self.fleet_trend],
            },
            "repos": [trend.to_dict() for trend in self.repos],
            "failing_rules": [asdict(rule) for rule in self.failing_rules],
            "truncated": self.truncated,
        }


def window_where(since: datetime, until: datetime | None) -> str:
    """The SQL condition on ``ts`` for a window."""
    return f"ts >= {ts_literal(since)}" + (f" AND ts <= {ts_literal(until)}" if until else "")


def fetch_health(
    client: QuestDB,
    *,
    since: datetime,
    until: datetime | None = None,
    repos: Sequence[str] = (),
    laws: Sequence[str] = (),
    top_rules: int = 10,
) -> HealthReport:
    """Read the fleet's health in the window; with ``laws``, score only those laws' rules."""
    report = HealthReport(since, until, list(repos), list(laws))
    where = window_where(since, until) + (f" AND {in_list('repo', repos)}" if repos else "")
    rule_where = where + (f" AND {in_list('law', laws)}" if laws else "")
    points = _points(client, rule_where, bool(laws))
    report.truncated = sum(len(p) for p in points.values()) >= MAX_ROWS
    report.repos = sorted(
        (RepoTrend(repo, runs) for repo, runs in points.items()),
        key=lambda t: (t.score is None, t.score or 0.0, t.repo),
    )
    report.fleet_trend = _fleet_trend(report.repos)
    report.failing_rules = _failing_rules(client, rule_where, top_rules)
    return report


def _points(client: QuestDB, where: str, laws: bool) -> dict[str, list[RunPoint]]:
    """Each repository's runs in the window as recorded; for ``laws``, scored from the rule
    rows of those laws alone (their pull requests left out)."""
    names = [f.name for f in fields(RunPoint)]
    source = f"{REPO_HEALTH.name} WHERE {where}"
    if laws:
        names = [name for name in names if not name.startswith("pr_")]
        source = f"({_SCORED.format(where=where)})"
    sql = f"SELECT repo, {', '.join(names)} FROM {source} ORDER BY ts LIMIT {MAX_ROWS}"
    points: dict[str, list[RunPoint]] = defaultdict(list)
    for row in client.rows(sql):
        row["ts"] = datetime.fromisoformat(row["ts"])
        points[row.pop("repo")].append(RunPoint(**row))
    return points


def _failing_rules(client: QuestDB, where: str, limit: int) -> list[FailingRule]:
    sql = (
        "SELECT law, rule, failed, changed, repos FROM (SELECT law, rule,"
        " sum(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) failed,"
        " sum(CASE WHEN outcome = 'changed' THEN 1 ELSE 0 END) changed,"
        " count() total, count_distinct(repo) repos"
        f" FROM {RULE_RUNS.name} WHERE {where} AND outcome IN ('changed', 'failed')"
        f" GROUP BY law, rule) ORDER BY total DESC, law, rule LIMIT {int(limit)}"
    )
    return [FailingRule(**row) for row in client.rows(sql)]


def _fleet_trend(trends: Sequence[RepoTrend]) -> list[tuple[datetime, float]]:
    """Per UTC day: the mean over repositories of each one's last score that day."""
    days: dict[datetime, dict[str, float]] = defaultdict(dict)
    for trend in trends:
        for point in trend.points:
            if point.score is not None:
                day = point.ts.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
                days[day][trend.repo] = point.score
    return [(day, sum(s.values()) / len(s)) for day, s in sorted(days.items())]
