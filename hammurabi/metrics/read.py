"""Read metrics back from QuestDB's REST API (``/exec``) with httpx.

``/exec`` has no parameter binding, so every value put into SQL goes through
:func:`quote_literal` (single quotes doubled; QuestDB has no backslash escapes) or is
formatted from a parsed ``datetime``; table and column names are constants of this package.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hammurabi.errors import ConfigError
from hammurabi.metrics.config import MetricsConfig, QueryError, UnavailableError
from hammurabi.metrics.schema import REPO_HEALTH, RULE_RUNS, TABLES

#: At most this many rows are read per query; more means the window is too wide.
MAX_ROWS = 200_000
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def quote_literal(value: str) -> str:
    """Quote ``value`` as a QuestDB string literal: ``'`` doubled, NUL refused."""
    if not isinstance(value, str):
        raise TypeError(f"expected text, not {type(value).__name__}")
    if "\x00" in value:
        raise ConfigError("a filter value must not contain a NUL character")
    return "'" + value.replace("'", "''") + "'"


def ts_literal(moment: datetime) -> str:
    """Format ``moment`` as a UTC timestamp literal (microseconds)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return "'" + moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") + "'"


def in_list(column: str, values: Sequence[str]) -> str:
    """Return ``column IN ('a', 'b')`` with every value quoted."""
    return f"{column} IN ({', '.join(quote_literal(v) for v in values)})"


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """Parse ``30d``, ``12h``, ``90m``, ``2w`` (ago) or an ISO date/time (UTC if naive)."""
    now = now or datetime.now(UTC)
    text = text.strip()
    match = re.fullmatch(r"(\d+)\s*([mhdw])", text)
    if match:
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"--since {text!r}: give an age like 30d, 12h, 2w or a date like 2026-01-31"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class QuestDBHttp:
    """A small client for ``/exec``: run SQL, get rows as dicts.

    Over httpx; with ``light=True`` over the standard library's ``http.client`` instead, which
    imports in a fraction of the time: the metrics plugin checks its tables that way at the
    end of a run, where every import delays the exit.
    """

    def __init__(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        *,
        timeout: float = 30.0,
        light: bool = False,
    ) -> None:
        self.url = url.rstrip("/")
        self._headers = headers or {}
        self._timeout = timeout
        self._client: Any = None
        if not light:
            import httpx

            self._httpx = httpx
            self._client = httpx.Client(base_url=self.url, headers=self._headers, timeout=timeout)

    @classmethod
    def from_config(
        cls, config: MetricsConfig, *, timeout: float = 30.0, light: bool = False
    ) -> QuestDBHttp:
        url, headers = config.http()
        return cls(url, headers, timeout=timeout, light=light)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> QuestDBHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, sql: str) -> tuple[int, str]:
        """GET ``/exec?query=sql``; return the status and the body."""
        if self._client is not None:
            try:
                response = self._client.get("/exec", params={"query": sql})
            except self._httpx.HTTPError as exc:
                raise UnavailableError(f"cannot reach QuestDB at {self.url}: {exc}") from exc
            return response.status_code, response.text
        import http.client
        from urllib.parse import urlencode, urlsplit

        parts = urlsplit(self.url)
        connection_type = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_type(parts.hostname or "", parts.port, timeout=self._timeout)
        try:
            path = f"{parts.path}/exec?{urlencode({'query': sql})}"
            connection.request("GET", path, headers=self._headers)
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            raise UnavailableError(f"cannot reach QuestDB at {self.url}: {exc}") from exc
        finally:
            connection.close()

    def exec(self, sql: str) -> dict[str, Any]:
        """Run ``sql``; raise :class:`QueryError` (HTTP 400) or :class:`UnavailableError`."""
        status, text = self._get(sql)
        if status == 400:
            try:
                body = json.loads(text)
            except ValueError:
                body = {"error": text}
            raise QueryError(sql, body.get("error", text), body.get("position"))
        if status != 200:
            raise UnavailableError(f"QuestDB at {self.url} answered {status}: {text[:200]}")
        result: dict[str, Any] = json.loads(text)
        return result

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """Run ``sql`` and return its rows as dicts keyed by column name."""
        result = self.exec(sql)
        names = [column["name"] for column in result.get("columns", [])]
        return [dict(zip(names, row, strict=True)) for row in result.get("dataset", [])]

    def tables(self) -> set[str]:
        """Return the names of the existing tables."""
        return {row["table_name"] for row in self.rows("SELECT table_name FROM tables()")}

    def ensure_tables(self, ttl_days: int, *, set_ttl: bool = False) -> list[str]:
        """Create missing Hammurabi tables; with ``set_ttl``, apply the TTL to existing ones.

        Returns the names of the tables created.
        """
        existing = self.tables()
        created = []
        for table in TABLES.values():
            if table.name not in existing:
                self.exec(table.create_sql(ttl_days))
                created.append(table.name)
            elif set_ttl:
                self.exec(table.ttl_sql(ttl_days))
        return created

    def wait_applied(self, table: str, timeout: float = 30.0) -> bool:
        """Wait until the table's WAL is applied (rows written are visible); False on timeout."""
        import time

        sql = (
            f"SELECT writerTxn, sequencerTxn FROM wal_tables() WHERE name = {quote_literal(table)}"
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dataset = self.exec(sql).get("dataset", [])
            if dataset and dataset[0][0] == dataset[0][1]:
                return True
            time.sleep(0.02)
        return False


# ----------------------------------------------------------------------------- health report


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
        return self.latest.score

    @property
    def pull_request(self) -> RunPoint | None:
        """The latest run that reported a pull request, if it is the latest run."""
        return self.latest if self.latest.pr_number is not None else None


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
        def when(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "since": when(self.since),
            "until": when(self.until),
            "filters": {"repos": self.repos_filter, "laws": self.laws_filter},
            "fleet": {
                "repos": len(self.repos),
                "score": self.fleet_score,
                "compliant": self.compliant_repos,
                "trend": [{"day": when(day), "score": score} for day, score in self.fleet_trend],
            },
            "repos": [
                {
                    "repo": trend.repo,
                    "score": trend.score,
                    "runs": len(trend.points),
                    "last_run": when(trend.latest.ts),
                    "outcome": trend.latest.outcome,
                    "trend": [p.score for p in trend.points],
                    "pull_request": (
                        {
                            "number": trend.latest.pr_number,
                            "state": trend.latest.pr_state,
                            "url": trend.latest.pr_url,
                            "age_s": trend.latest.pr_age_s,
                        }
                        if trend.pull_request
                        else None
                    ),
                }
                for trend in self.repos
            ],
            "failing_rules": [asdict(rule) for rule in self.failing_rules],
            "truncated": self.truncated,
        }


def _parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _window(since: datetime, until: datetime | None) -> str:
    where = f"ts >= {ts_literal(since)}"
    if until is not None:
        where += f" AND ts <= {ts_literal(until)}"
    return where


def fetch_health(
    client: QuestDBHttp,
    *,
    since: datetime,
    until: datetime | None = None,
    repos: Sequence[str] = (),
    laws: Sequence[str] = (),
    top_rules: int = 10,
) -> HealthReport:
    """Read the fleet's health in the window; with ``laws``, score only those laws' rules."""
    report = HealthReport(since, until, list(repos), list(laws))
    where = _window(since, until)
    if repos:
        where += " AND " + in_list("repo", repos)
    if laws:
        points = _law_points(client, where + " AND " + in_list("law", laws))
    else:
        points = _health_points(client, where)
    report.truncated = sum(len(p) for p in points.values()) >= MAX_ROWS
    trends = [RepoTrend(repo, runs) for repo, runs in points.items() if runs]
    trends.sort(key=lambda t: (t.score is None, t.score if t.score is not None else 0.0, t.repo))
    report.repos = trends
    report.fleet_trend = _fleet_trend(trends)
    rule_where = where + (" AND " + in_list("law", laws) if laws else "")
    report.failing_rules = _failing_rules(client, rule_where, top_rules)
    return report


def _health_points(client: QuestDBHttp, where: str) -> dict[str, list[RunPoint]]:
    sql = (
        "SELECT ts, repo, run_id, score, outcome, rules_compliant, rules_total, pr_number,"
        f" pr_state, pr_url, pr_age_s FROM {REPO_HEALTH.name} WHERE {where}"
        f" ORDER BY ts LIMIT {MAX_ROWS}"
    )
    points: dict[str, list[RunPoint]] = defaultdict(list)
    for row in client.rows(sql):
        points[row["repo"]].append(
            RunPoint(
                ts=_parse_ts(row["ts"]),
                run_id=row["run_id"],
                score=row["score"],
                outcome=row["outcome"],
                rules_compliant=row["rules_compliant"],
                rules_total=row["rules_total"],
                pr_number=row["pr_number"],
                pr_state=row["pr_state"],
                pr_url=row["pr_url"],
                pr_age_s=row["pr_age_s"],
            )
        )
    return points


def _law_points(client: QuestDBHttp, where: str) -> dict[str, list[RunPoint]]:
    """Score each run from its rule rows of the selected laws (weights as in health.py)."""
    sql = (
        "SELECT * FROM (SELECT run_id, repo, min(ts) ts,"
        " sum(CASE WHEN outcome = 'unchanged' THEN law_weight ELSE 0.0 END) w_ok,"
        " sum(CASE WHEN outcome != 'skipped' THEN law_weight ELSE 0.0 END) w_all,"
        " sum(CASE WHEN outcome = 'unchanged' THEN 1 ELSE 0 END) n_ok,"
        " sum(CASE WHEN outcome != 'skipped' THEN 1 ELSE 0 END) n_all,"
        " sum(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) n_failed,"
        " sum(CASE WHEN outcome = 'changed' THEN 1 ELSE 0 END) n_changed"
        f" FROM {RULE_RUNS.name} WHERE {where} GROUP BY run_id, repo)"
        f" ORDER BY ts LIMIT {MAX_ROWS}"
    )
    points: dict[str, list[RunPoint]] = defaultdict(list)
    for row in client.rows(sql):
        if row["n_failed"]:
            outcome = "failed"
        elif row["n_changed"]:
            outcome = "changed"
        else:
            outcome = "unchanged" if row["n_all"] else "skipped"
        points[row["repo"]].append(
            RunPoint(
                ts=_parse_ts(row["ts"]),
                run_id=row["run_id"],
                score=row["w_ok"] / row["w_all"] if row["w_all"] else None,
                outcome=outcome,
                rules_compliant=row["n_ok"],
                rules_total=row["n_all"],
            )
        )
    return points


def _failing_rules(client: QuestDBHttp, where: str, limit: int) -> list[FailingRule]:
    sql = (
        "SELECT * FROM (SELECT law, rule,"
        " sum(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) failed,"
        " sum(CASE WHEN outcome = 'changed' THEN 1 ELSE 0 END) changed,"
        " count() total, count_distinct(repo) repos"
        f" FROM {RULE_RUNS.name} WHERE {where} AND outcome IN ('changed', 'failed')"
        f" GROUP BY law, rule) ORDER BY total DESC, law, rule LIMIT {int(limit)}"
    )
    return [
        FailingRule(r["law"], r["rule"], r["failed"], r["changed"], r["repos"])
        for r in client.rows(sql)
    ]


def _fleet_trend(trends: Sequence[RepoTrend]) -> list[tuple[datetime, float]]:
    """Per UTC day: the mean over repositories of each one's last score that day."""
    days: dict[datetime, dict[str, float]] = defaultdict(dict)
    for trend in trends:
        for point in trend.points:
            if point.score is not None:
                day = point.ts.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
                days[day][trend.repo] = point.score
    return [(day, sum(s.values()) / len(s)) for day, s in sorted(days.items())]
