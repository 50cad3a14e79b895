"""The QuestDB tables Hammurabi writes, as data: DDL and row validation both come from here.

Every table is a WAL table partitioned by day, with its designated timestamp ``ts`` set to the
real time of the event (never the server's clock) and ``DEDUP UPSERT KEYS`` that identify one
event, so a batch written twice (a retried request, a replayed spool) is stored once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column: name, QuestDB type (TIMESTAMP, SYMBOL, VARCHAR, LONG, DOUBLE, BOOLEAN),
    whether a row must have a value, and the longest text accepted (VARCHAR values are cut
    to it, SYMBOL values must fit)."""

    name: str
    type: str
    required: bool = False
    max_len: int = 0


@dataclass(frozen=True)
class Table:
    """A table: its columns (``ts`` first, the designated timestamp) and its dedup keys."""

    name: str
    columns: tuple[Column, ...]
    dedup_keys: tuple[str, ...]

    @functools.cached_property
    def by_name(self) -> dict[str, Column]:
        """The columns after ``ts``, by name."""
        return {column.name: column for column in self.columns[1:]}

    @functools.cached_property
    def required(self) -> tuple[str, ...]:
        """The names of the required columns after ``ts``."""
        return tuple(column.name for column in self.columns[1:] if column.required)

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


def _c(name: str, type_: str, required: bool = False, max_len: int = 0) -> Column:
    if not max_len and type_ in ("SYMBOL", "VARCHAR"):
        max_len = 255 if type_ == "SYMBOL" else 4000
    return Column(name, type_, required, max_len)


#: One row per rule result (chains included, depth first) of one repository run.
RULE_RUNS = Table(
    "hammurabi_rule_runs",
    (
        _c("ts", "TIMESTAMP", True),  # when the rule started
        _c("run_id", "VARCHAR", True, 64),
        _c("repo", "SYMBOL", True),
        _c("law", "SYMBOL", True),
        _c("rule", "SYMBOL", True),
        _c("rule_id", "SYMBOL"),
        _c("seq", "LONG", True),  # position in the run, depth first
        _c("outcome", "SYMBOL", True),  # changed, unchanged, skipped, failed
        _c("duration_ms", "DOUBLE"),
        _c("files_changed", "LONG"),
        _c("law_weight", "DOUBLE"),
        _c("dry_run", "BOOLEAN"),
        _c("error", "VARCHAR"),
        _c("reason", "VARCHAR"),  # why it was skipped
    ),
    ("ts", "run_id", "repo", "seq"),
)

#: One row per repository run: the health score and the state of its pull request.
REPO_HEALTH = Table(
    "hammurabi_repo_health",
    (
        _c("ts", "TIMESTAMP", True),  # when the repository run started
        _c("run_id", "VARCHAR", True, 64),
        _c("repo", "SYMBOL", True),
        _c("score", "DOUBLE"),  # 0..1; NULL when no rule applied
        _c("outcome", "SYMBOL", True),
        _c("laws_compliant", "LONG"),
        _c("laws_total", "LONG"),
        _c("rules_compliant", "LONG"),
        _c("rules_total", "LONG"),
        _c("rules_changed", "LONG"),
        _c("rules_failed", "LONG"),
        _c("rules_skipped", "LONG"),
        _c("weight_compliant", "DOUBLE"),
        _c("weight_total", "DOUBLE"),
        _c("duration_ms", "DOUBLE"),
        _c("dry_run", "BOOLEAN"),
        _c("pr_number", "LONG"),
        _c("pr_state", "SYMBOL"),  # open, closed, merged
        _c("pr_action", "SYMBOL"),  # what this run did: opened, updated, ...
        _c("pr_url", "VARCHAR", False, 2000),
        _c("pr_created_at", "TIMESTAMP"),
        _c("pr_age_s", "DOUBLE"),  # seconds from the PR's creation to this run
        _c("status", "SYMBOL"),  # what the run did: pr-opened, up-to-date, blocked, ...
    ),
    ("ts", "run_id", "repo"),
)

#: One row per run id: a fleet run over several repositories is upserted as each one ends.
RUNS = Table(
    "hammurabi_runs",
    (
        _c("ts", "TIMESTAMP", True),  # when the first repository run started
        _c("run_id", "VARCHAR", True, 64),
        _c("repos", "LONG", True),
        _c("repos_failed", "LONG"),
        _c("repos_changed", "LONG"),
        _c("rules", "LONG"),
        _c("duration_ms", "DOUBLE"),
        _c("outcome", "SYMBOL", True),
        _c("version", "SYMBOL"),
        _c("host", "SYMBOL"),
        _c("dry_run", "BOOLEAN"),
    ),
    ("ts", "run_id"),
)

#: One row per repository run of a campaign (a bot branch): where the repository stands and
#: the state of its pull request as read in that run.
PULL_REQUESTS = Table(
    "hammurabi_pull_requests",
    (
        _c("ts", "TIMESTAMP", True),  # when the repository run started
        _c("run_id", "VARCHAR", True, 64),
        _c("repo", "SYMBOL", True),
        _c("campaign", "SYMBOL", True),  # the bot branch, one per law source
        _c("stage", "SYMBOL", True),  # compliant, merged, approved, passing, failing, ...
        _c("status", "SYMBOL"),  # what the run did: pr-opened, up-to-date, blocked, ...
        _c("pr_number", "LONG"),
        _c("pr_state", "SYMBOL"),  # open, closed, merged
        _c("pr_url", "VARCHAR", False, 2000),
        _c("draft", "BOOLEAN"),
        _c("review", "SYMBOL"),  # approved, changes-requested, none
        _c("approvals", "LONG"),
        _c("checks", "SYMBOL"),  # passing, failing, pending, none
        _c("checks_failing", "VARCHAR"),  # names, comma-separated
        _c("checks_pending", "VARCHAR"),
        _c("mergeable", "BOOLEAN"),
        _c("mergeable_state", "SYMBOL"),  # clean, blocked, behind, dirty, unstable, ...
        _c("pr_created_at", "TIMESTAMP"),
        _c("pr_age_s", "DOUBLE"),  # seconds from the PR's creation to this run
        _c("api_calls", "LONG"),  # REST requests the run sent for this repository
        _c("api_not_modified", "LONG"),  # of which answered 304: free of rate limit
        _c("dry_run", "BOOLEAN"),
    ),
    ("ts", "run_id", "repo", "campaign"),
)

TABLES: dict[str, Table] = {t.name: t for t in (RULE_RUNS, REPO_HEALTH, RUNS, PULL_REQUESTS)}
#: Every column name of every table (``ts`` first), in a stable order: the spool's columns.
COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(column.name for table in TABLES.values() for column in table.columns)
)
