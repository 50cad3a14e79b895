"""The QuestDB tables Hammurabi writes, as data: their DDL, their dedup keys and the validation
of every row come from here.

Every table is a WAL table partitioned by day, with its designated timestamp ``ts`` set to the
real time of the event (never the server's clock) and ``DEDUP UPSERT KEYS`` that identify one
event, so a batch written twice (a retried request, a replayed spool) is stored once.

A :class:`Row` is plain data (table, event time in nanoseconds, column values), so it can be
spooled and replayed later exactly as it was built. :func:`validate` checks every value against
its column: fixable values are fixed (control characters in names replaced, long texts cut,
non-finite numbers dropped), the rest raise :class:`RowError` with the reason.
"""

from __future__ import annotations

import json
import math
from typing import Any, NamedTuple

#: Event times outside 2000..2200 are refused (a clock or a parser went wrong).
MIN_TS_NS, MAX_TS_NS = 946_684_800 * 10**9, 7_258_118_400 * 10**9
_LONG_MIN, _LONG_MAX = -(2**63) + 1, 2**63 - 1  # QuestDB's LONG NULL is -2**63
_CONTROL = {i: " " for i in range(32)} | {127: " "}


class Column(NamedTuple):
    """One column: name, QuestDB type (TIMESTAMP, SYMBOL, VARCHAR, LONG, DOUBLE, BOOLEAN),
    whether a row must have a value, the longest text accepted (VARCHAR values are cut to it,
    SYMBOL values must fit), and what it holds."""

    name: str
    type: str
    required: bool = False
    max_len: int = 0
    note: str = ""


class Table:
    """A table: its columns (``ts`` first, the designated timestamp) and its dedup keys, from
    a description of a line per column (or per columns of one type): ``NAME... TYPE[(LEN)][!]``
    (``!``: required), then, two spaces on, what it holds."""

    def __init__(self, name: str, dedup_keys: str, description: str, doc: str) -> None:
        self.name, self.dedup_keys, self.doc = name, tuple(dedup_keys.split()), doc
        columns = []
        for line in description.strip().splitlines():
            spec, _, note = line.strip().partition("  ")
            *names, kind = spec.split()
            type_, _, size = kind.rstrip("!").partition("(")
            max_len = int(size.rstrip(")") or {"SYMBOL": 255, "VARCHAR": 4000}.get(type_, 0))
            columns += [Column(n, type_, kind.endswith("!"), max_len, note) for n in names]
        self.columns = tuple(columns)
        #: The columns after ``ts``, by name, and the names of the required ones.
        self.by_name = {column.name: column for column in columns[1:]}
        self.required = tuple(column.name for column in columns[1:] if column.required)

    def create_sql(self, ttl_days: int = 90) -> str:
        """Return the ``CREATE TABLE IF NOT EXISTS`` statement (``ttl_days`` 0: no TTL)."""
        columns = ",\n  ".join(f"{c.name} {c.type}" for c in self.columns)
        ttl = f" TTL {int(ttl_days)} DAYS" if ttl_days > 0 else ""
        return (
            f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {columns}\n)"
            f" TIMESTAMP(ts) PARTITION BY DAY{ttl} WAL"
            f" DEDUP UPSERT KEYS({', '.join(self.dedup_keys)})"
        )

    def ttl_sql(self, ttl_days: int) -> str:
        """Return the ``ALTER TABLE`` statement that sets the retention (0: keep forever)."""
        return f"ALTER TABLE {self.name} SET TTL {max(int(ttl_days), 0)} DAYS"


RULE_RUNS = Table(
    "hammurabi_rule_runs",
    "ts run_id repo seq",
    """
    ts TIMESTAMP!  when the rule started
    run_id VARCHAR(64)!
    repo law rule SYMBOL!
    rule_id SYMBOL
    seq LONG!  position in the run, depth first
    outcome SYMBOL!  changed, unchanged, skipped, failed
    duration_ms DOUBLE
    files_changed LONG
    law_weight DOUBLE
    dry_run BOOLEAN
    error VARCHAR
    reason VARCHAR  why it was skipped
    """,
    "One row per rule result (chains included, depth first) of one repository run.",
)
REPO_HEALTH = Table(
    "hammurabi_repo_health",
    "ts run_id repo",
    """
    ts TIMESTAMP!  when the repository run started
    run_id VARCHAR(64)!
    repo SYMBOL!
    score DOUBLE  0..1; NULL when no rule applied
    outcome SYMBOL!
    laws_compliant laws_total rules_compliant rules_total LONG
    rules_changed rules_failed rules_skipped LONG
    weight_compliant weight_total duration_ms DOUBLE
    dry_run BOOLEAN
    pr_number LONG
    pr_state SYMBOL  open, closed, merged
    pr_action SYMBOL  what this run did: opened, updated, ...
    pr_url VARCHAR(2000)
    pr_created_at TIMESTAMP
    pr_age_s DOUBLE  seconds from the PR's creation to this run
    status SYMBOL  what the run did: pr-opened, up-to-date, blocked, ...
    """,
    "One row per repository run: the health score and the state of its pull request.",
)
RUNS = Table(
    "hammurabi_runs",
    "ts run_id",
    """
    ts TIMESTAMP!  when the first repository run started
    run_id VARCHAR(64)!
    repos LONG!
    repos_failed rules LONG
    repos_changed LONG  repositories this run changed: files edited, bot branch pushed
    duration_ms DOUBLE
    outcome SYMBOL!
    version host SYMBOL
    dry_run BOOLEAN
    """,
    "One row per run id: a fleet run over several repositories is upserted as each one ends.",
)
PULL_REQUESTS = Table(
    "hammurabi_pull_requests",
    "ts run_id repo campaign",
    """
    ts TIMESTAMP!  when the repository run started
    run_id VARCHAR(64)!
    repo SYMBOL!
    campaign SYMBOL!  the bot branch, one per law source
    stage SYMBOL!  compliant, merged, approved, passing, failing, ...
    status SYMBOL  what the run did: pr-opened, up-to-date, blocked, ...
    pr_number LONG
    pr_state SYMBOL  open, closed, merged
    pr_url VARCHAR(2000)
    draft BOOLEAN
    review SYMBOL  approved, changes-requested, none
    approvals LONG
    checks SYMBOL  passing, failing, pending, none
    checks_failing checks_pending VARCHAR  check names, comma-separated
    mergeable BOOLEAN
    mergeable_state SYMBOL  clean, blocked, behind, dirty, unstable, ...
    pr_created_at TIMESTAMP
    pr_age_s DOUBLE  seconds from the PR's creation to this run
    api_calls LONG  REST requests the run sent for this repository
    api_not_modified LONG  of which answered 304: free of rate limit
    dry_run BOOLEAN
    """,
    "One row per repository run of a campaign (a bot branch): where the repository stands and"
    " the state of its pull request as read in that run.",
)
TABLES: dict[str, Table] = {t.name: t for t in (RULE_RUNS, REPO_HEALTH, RUNS, PULL_REQUESTS)}


class RowError(ValueError):
    """A row cannot be written: the message says which value and why."""


class Row(NamedTuple):
    """One row: table name, designated timestamp in ns (the event's real time), values."""

    table: str
    ts: int
    values: dict[str, Any]

    def to_json(self) -> str:
        """Return the values and timestamp as compact JSON (how refused rows are kept)."""
        return json.dumps({"ts": self.ts, **self.values}, separators=(",", ":"))

    @classmethod
    def from_json(cls, table: str, text: str) -> Row:
        values = json.loads(text)
        return cls(table, values.pop("ts"), values)


def validate(row: Row) -> Row:
    """Return a clean copy of ``row``, or raise :class:`RowError` saying what is wrong."""
    table = TABLES.get(row.table)
    if table is None:
        raise RowError(f"unknown table {row.table!r}")
    if isinstance(row.ts, bool) or not isinstance(row.ts, int):
        raise RowError(f"{row.table}.ts must be an integer of nanoseconds, not {row.ts!r}")
    if not MIN_TS_NS <= row.ts < MAX_TS_NS:
        raise RowError(f"{row.table}.ts {row.ts} is outside 2000..2200")
    if unknown := sorted(set(row.values) - set(table.by_name)):
        raise RowError(f"{row.table}: unknown columns {unknown}")
    clean = {}
    for name, value in row.values.items():
        if value is not None:
            value = _clean(value, table.by_name[name], f"{row.table}.{name}")
        if value is not None:
            clean[name] = value
    if missing := [name for name in table.required if name not in clean]:
        raise RowError(f"{row.table}.{missing[0]} is required")
    return Row(row.table, row.ts, clean)


def _clean(value: Any, column: Column, where: str) -> Any:
    type_, max_len = column.type, column.max_len
    if type_ in ("SYMBOL", "VARCHAR"):
        if not isinstance(value, str):
            raise RowError(f"{where} must be text, not {type(value).__name__}")
        if not (value.isascii() and value.isprintable()):  # else nothing to fix (most text)
            value = value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
            value = value.translate(_CONTROL) if type_ == "SYMBOL" else value.replace("\x00", "")
        if type_ == "VARCHAR":
            return (value if len(value) <= max_len else value[: max_len - 1] + "…") or None
        if len(value := value.strip()) > max_len:
            raise RowError(f"{where} is longer than {max_len} characters")
        return value or None
    if type_ == "BOOLEAN":
        if not isinstance(value, bool):
            raise RowError(f"{where} must be true or false, not {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RowError(f"{where} must be a number, not {value!r}")
    if type_ == "DOUBLE":
        return float(value) if math.isfinite(value) else None
    if isinstance(value, float):
        if not value.is_integer():
            raise RowError(f"{where} must be a whole number, not {value!r}")
        value = int(value)
    if type_ == "TIMESTAMP" and not MIN_TS_NS // 1000 <= value < MAX_TS_NS // 1000:
        raise RowError(f"{where} {value} (microseconds) is outside 2000..2200")
    if not _LONG_MIN <= value <= _LONG_MAX:
        raise RowError(f"{where} {value} does not fit a 64-bit integer")
    return value
