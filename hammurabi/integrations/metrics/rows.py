"""Turn run records into table rows, and validate rows before they leave the process.

A :class:`Row` is plain data (table, event time in nanoseconds, column values), so it can be
spooled as JSON and replayed later exactly as it was built. :func:`validate` checks every value
against the table's schema: fixable values are fixed (control characters in names replaced,
long texts cut, non-finite numbers dropped), the rest raise :class:`RowError` with the reason.
"""

from __future__ import annotations

import json
import math
import socket
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hammurabi.core.records import PullRequestRecord, PullSummary
from hammurabi.core.results import Outcome, RunResult, combine
from hammurabi.integrations.metrics.health import health
from hammurabi.integrations.metrics.schema import (
    PULL_REQUESTS,
    REPO_HEALTH,
    RULE_RUNS,
    RUNS,
    TABLES,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Event times outside these bounds are refused (a clock or a parser went wrong).
MIN_TS_NS = int((datetime(2000, 1, 1, tzinfo=UTC) - EPOCH).total_seconds()) * 10**9
MAX_TS_NS = int((datetime(2200, 1, 1, tzinfo=UTC) - EPOCH).total_seconds()) * 10**9
_LONG_MIN, _LONG_MAX = -(2**63) + 1, 2**63 - 1  # QuestDB's LONG NULL is -2**63
_CONTROL = {i: " " for i in range(32)} | {127: " "}


class RowError(ValueError):
    """A row cannot be written: the message says which value and why."""


@dataclass(frozen=True, slots=True)
class Row:
    """One row: table name, designated timestamp in ns (the event's real time), values."""

    table: str
    ts: int
    values: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Return the values and timestamp as compact JSON (the spool's format)."""
        return json.dumps({"ts": self.ts, **self.values}, separators=(",", ":"))

    @classmethod
    def from_json(cls, table: str, text: str) -> Row:
        values = json.loads(text)
        return cls(table, values.pop("ts"), values)


def to_ns(moment: datetime) -> int:
    """Return nanoseconds since the epoch (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000


def parse_time(value: Any) -> datetime | None:
    """Parse an ISO 8601 string or a datetime; return None for anything else."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def repo_name(result: RunResult) -> str:
    """Return the repository's name: ``result.repo``, else its folder's name."""
    return result.repo or Path(result.root).name or result.root


# ----------------------------------------------------------------------------- validation


def validate(row: Row) -> Row:
    """Return a clean copy of ``row``, or raise :class:`RowError` saying what is wrong."""
    table = TABLES.get(row.table)
    if table is None:
        raise RowError(f"unknown table {row.table!r}")
    if isinstance(row.ts, bool) or not isinstance(row.ts, int):
        raise RowError(f"{row.table}.ts must be an integer of nanoseconds, not {row.ts!r}")
    if not MIN_TS_NS <= row.ts < MAX_TS_NS:
        raise RowError(f"{row.table}.ts {row.ts} is outside 2000..2200")
    columns = table.by_name
    clean: dict[str, Any] = {}
    for name, value in row.values.items():
        column = columns.get(name)
        if column is None:
            unknown = sorted(set(row.values) - set(columns))
            raise RowError(f"{row.table}: unknown columns {unknown}")
        if value is not None:
            value = _clean(value, column.type, column.max_len, f"{row.table}.{name}")
            if value is not None:
                clean[name] = value
    for name in table.required:
        if name not in clean:
            raise RowError(f"{row.table}.{name} is required")
    return Row(row.table, row.ts, clean)


def _clean(value: Any, type_: str, max_len: int, where: str) -> Any:
    if value is None:
        return None
    if type_ in ("SYMBOL", "VARCHAR"):
        if not isinstance(value, str):
            raise RowError(f"{where} must be text, not {type(value).__name__}")
        if not (value.isascii() and value.isprintable()):  # else nothing to fix (most text)
            value = value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
            value = value.translate(_CONTROL) if type_ == "SYMBOL" else value.replace("\x00", "")
        if type_ == "SYMBOL":
            value = value.strip()
            if len(value) > max_len:
                raise RowError(f"{where} is longer than {max_len} characters")
        elif len(value) > max_len:
            value = value[: max_len - 1] + "…"
        return value or None
    if type_ == "BOOLEAN":
        if not isinstance(value, bool):
            raise RowError(f"{where} must be true or false, not {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RowError(f"{where} must be a number, not {value!r}")
    if type_ == "DOUBLE":
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, float):
        if not value.is_integer():
            raise RowError(f"{where} must be a whole number, not {value!r}")
        value = int(value)
    if type_ == "TIMESTAMP" and not MIN_TS_NS // 1000 <= value < MAX_TS_NS // 1000:
        raise RowError(f"{where} {value} (microseconds) is outside 2000..2200")
    if not _LONG_MIN <= value <= _LONG_MAX:
        raise RowError(f"{where} {value} does not fit a 64-bit integer")
    return value


# ----------------------------------------------------------------------------- building


def rule_rows(result: RunResult, repo: str) -> list[Row]:
    """Return one ``hammurabi_rule_runs`` row per rule result, chains included.

    A law or run error that left no rule results gets a row of its own (``rule_id``
    ``law-error`` or ``run-error``), so it counts against the score like it does here.
    """
    rows: list[Row] = []
    base = {"run_id": result.run_id, "repo": repo, "dry_run": result.dry_run}
    for law in result.laws:
        for res in law.walk():
            rows.append(
                Row(
                    RULE_RUNS.name,
                    to_ns(res.started_at),
                    {
                        **base,
                        "law": law.name,
                        "rule": res.rule,
                        "rule_id": res.rule_id,
                        "seq": len(rows),
                        "outcome": res.outcome.value,
                        "duration_ms": res.duration * 1000.0,
                        "files_changed": len(res.changes),
                        "law_weight": float(law.weight),
                        "error": res.error,
                        "reason": res.reason,
                    },
                )
            )
        if law.error:
            rows.append(_error_row(base, law.name, "law-error", law.error, law, len(rows)))
    if result.error and not result.laws:
        rows.append(_error_row(base, "(run)", "run-error", result.error, result, len(rows)))
    return rows


def _error_row(
    base: dict[str, Any], law: str, rule_id: str, error: str, source: Any, seq: int
) -> Row:
    started: datetime = source.started_at
    return Row(
        RULE_RUNS.name,
        to_ns(started) + 1000 * seq,  # a microsecond apart from anything else in the run
        {
            **base,
            "law": law,
            "rule": f"({rule_id})",
            "rule_id": rule_id,
            "seq": seq,
            "outcome": Outcome.FAILED.value,
            "duration_ms": source.duration * 1000.0,
            "files_changed": 0,
            "law_weight": float(getattr(source, "weight", 1.0)),
            "error": error,
        },
    )


def health_row(result: RunResult, repo: str) -> Row:
    """Return the ``hammurabi_repo_health`` row of one repository run."""
    score = health(result)
    values: dict[str, Any] = {
        "run_id": result.run_id,
        "repo": repo,
        "score": score.score,
        "outcome": result.outcome.value,
        "status": result.status.value,
        "laws_compliant": score.laws_compliant,
        "laws_total": score.laws_total,
        "rules_compliant": score.rules_compliant,
        "rules_total": score.rules_total,
        "rules_changed": score.rules_changed,
        "rules_failed": score.rules_failed,
        "rules_skipped": score.rules_skipped,
        "weight_compliant": score.weight_compliant,
        "weight_total": score.weight_total,
        "duration_ms": result.duration * 1000.0,
        "dry_run": result.dry_run,
    }
    values.update(pull_request_values(result))
    return Row(REPO_HEALTH.name, to_ns(result.started_at), values)


def pull_request_values(
    result: RunResult, pr: PullRequestRecord | PullSummary | None = None
) -> dict[str, Any]:
    """The ``pr_*`` values of the run's pull request (or of ``pr``)."""
    if pr is None:
        pr = result.pull_request
    if pr is None:
        return {}
    values: dict[str, Any] = {}
    if pr.number is not None:
        values["pr_number"] = pr.number
    action = pr.action if isinstance(pr, PullRequestRecord) else None
    for key, value in (("state", pr.state), ("action", action), ("url", pr.url)):
        if value:
            values[f"pr_{key}"] = str(value)
    created = parse_time(pr.created_at)
    if created is not None:
        values["pr_created_at"] = to_ns(created) // 1000
        values["pr_age_s"] = max((result.started_at - created).total_seconds(), 0.0)
    return values


@dataclass
class _FleetRun:
    first_ns: int
    end_ns: int
    repos: dict[str, tuple[Outcome, int]]  # repo -> (outcome, rule results)
    version: str
    dry_run: bool


class FleetRuns:
    """Aggregate repository runs sharing a run id into one ``hammurabi_runs`` row.

    Each repository run returns the updated row; with the same ``ts`` and ``run_id`` the
    latest version replaces the earlier ones in QuestDB (DEDUP UPSERT). Remembers the last
    ``keep`` run ids of this process.
    """

    def __init__(self, keep: int = 64) -> None:
        self._runs: OrderedDict[str, _FleetRun] = OrderedDict()
        self._keep = keep

    def update(self, result: RunResult, repo: str) -> Row:
        start = to_ns(result.started_at)
        end = start + int(result.duration * 1e9)
        rules = sum(1 for _ in result.walk())
        run = self._runs.get(result.run_id)
        if run is None:
            run = _FleetRun(start, end, {}, result.version, result.dry_run)
            self._runs[result.run_id] = run
            while len(self._runs) > self._keep:
                self._runs.popitem(last=False)
        run.end_ns = max(run.end_ns, end)
        run.repos[repo] = (result.outcome, rules)
        outcomes = [outcome for outcome, _ in run.repos.values()]
        return Row(
            RUNS.name,
            run.first_ns,
            {
                "run_id": result.run_id,
                "repos": len(run.repos),
                "repos_failed": outcomes.count(Outcome.FAILED),
                "repos_changed": outcomes.count(Outcome.CHANGED),
                "rules": sum(count for _, count in run.repos.values()),
                "duration_ms": (run.end_ns - run.first_ns) / 1e6,
                "outcome": combine(outcomes).value,
                "version": run.version,
                "host": socket.gethostname(),
                "dry_run": run.dry_run,
            },
        )


def pull_request_row(result: RunResult, repo: str) -> Row | None:
    """Return the ``hammurabi_pull_requests`` row of one repository run (None outside a
    campaign: a run that edited files in place has no bot branch)."""
    campaign = result.campaign
    if campaign is None or not campaign.branch:
        return None
    values: dict[str, Any] = {
        "run_id": result.run_id,
        "repo": repo,
        "campaign": campaign.branch,
        "stage": campaign.stage.value,
        "status": result.status.value,
        "dry_run": result.dry_run,
    }
    if campaign.api_calls is not None:
        values["api_calls"] = campaign.api_calls
    if campaign.api_not_modified is not None:
        values["api_not_modified"] = campaign.api_not_modified
    pr: PullRequestRecord | PullSummary | None = result.pull_request
    if (pr is None or pr.number is None) and campaign.last_pull is not None:
        pr = campaign.last_pull  # laws hold: the pull request that was merged (or closed) last
    if pr is None or pr.number is None:
        return Row(PULL_REQUESTS.name, to_ns(result.started_at), values)
    health = pull_request_values(result, pr)
    for key in ("pr_number", "pr_state", "pr_url", "pr_created_at", "pr_age_s"):
        if key in health:
            values[key] = health[key]
    values["draft"] = pr.draft
    read = pr.read_state if isinstance(pr, PullRequestRecord) else None
    if read is not None:
        values.update(review=read.review.value, checks=read.checks.value, approvals=read.approvals)
        if read.mergeable_state:
            values["mergeable_state"] = read.mergeable_state
        if read.mergeable is not None:
            values["mergeable"] = read.mergeable
        for key, names in (("failing", read.failing), ("pending", read.pending)):
            if names:
                values[f"checks_{key}"] = ",".join(names)
    return Row(PULL_REQUESTS.name, to_ns(result.started_at), values)


def run_rows(result: RunResult, fleet: FleetRuns | None = None) -> list[Row]:
    """Return every row of one repository run: its rules, its health, its campaign stage and
    pull request, and the run's row."""
    repo = repo_name(result)
    rows = [*rule_rows(result, repo), health_row(result, repo)]
    pull = pull_request_row(result, repo)
    if pull is not None:
        rows.append(pull)
    rows.append((fleet or FleetRuns()).update(result, repo))
    return rows
