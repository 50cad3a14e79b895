"""The local spool: a durable, append-only queue of rows on their way to QuestDB.

Design: one SQLite database in WAL mode with ``synchronous=FULL`` (each append is fsynced
before it returns, so a committed row survives a crash of the process or the machine):

- ``pending(id INTEGER PRIMARY KEY AUTOINCREMENT, tbl, row, added)``: rows not yet
  acknowledged by QuestDB, in order; ``row`` is the row's JSON (see ``Row.to_json``).
- ``rejected(id, tbl, row, reason, source, rejected_at)``: rows refused by the client-side
  validation (``source='client'``) or by the server with HTTP 400 (``'server'``), kept with the
  reason until someone retries (``retry_rejected``) or purges them. Nothing is dropped silently.

Replay (:meth:`Spool.ship`) reads pending rows in id order, sends each table's rows in one
transactional request, and deletes them only after the server acknowledged them. A crash
between the acknowledgement and the delete sends them again on the next replay; the tables'
``DEDUP UPSERT KEYS`` then store them once: exactly-once in effect. One replay runs at a time
(an exclusive ``flock`` on ``<spool>.lock``), so the order of upserts is kept. After a replay
empties the queue the file is compacted (incremental vacuum, WAL truncated).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hammurabi.metrics.config import MetricsError, UnavailableError
from hammurabi.metrics.rows import Row, RowError, validate

if TYPE_CHECKING:
    from hammurabi.metrics.questdb import QuestDBWriter

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
  id INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, row TEXT NOT NULL, added REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
  id INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, row TEXT NOT NULL,
  reason TEXT NOT NULL, source TEXT NOT NULL, rejected_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class RejectedRow:
    """A row kept aside with the reason it was refused."""

    id: int
    table: str
    row: str
    reason: str
    source: str
    rejected_at: float


@dataclass
class ShipReport:
    """What one replay did."""

    sent: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    remaining: int = 0
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether everything was delivered and nothing was refused."""
        return self.error is None and not self.rejected and self.remaining == 0


@dataclass(frozen=True)
class SpoolState:
    """Counts of the spool, for ``metrics status``."""

    path: Path
    pending: int
    rejected: int
    oldest_pending: float | None
    size_bytes: int


class _TooManyRejected(MetricsError):
    pass


class Spool:
    """A spool file; open one per thread (SQLite connections are not shared)."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only takes on a new file
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ------------------------------------------------------------------ writing

    def append(self, rows: Sequence[Row]) -> int:
        """Append ``rows`` (already validated) in one durable transaction; return the count."""
        if not rows:
            return 0
        now = time.time()
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO pending (tbl, row, added) VALUES (?, ?, ?)",
                [(row.table, row.to_json(), now) for row in rows],
            )
        return len(rows)

    def reject(self, items: Iterable[tuple[str, str, str]], source: str) -> int:
        """Keep ``(table, row_json, reason)`` items aside as refused by ``source``."""
        now = time.time()
        values = [(table, row, reason, source, now) for table, row, reason in items]
        if values:
            with self._transaction() as db:
                db.executemany(
                    "INSERT INTO rejected (tbl, row, reason, source, rejected_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    values,
                )
        return len(values)

    # ------------------------------------------------------------------ reading

    def state(self) -> SpoolState:
        pending, oldest = self._db.execute("SELECT count(*), min(added) FROM pending").fetchone()
        (rejected,) = self._db.execute("SELECT count(*) FROM rejected").fetchone()
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return SpoolState(self.path, pending, rejected, oldest, size)

    def pending(self, limit: int = 100) -> list[Row]:
        """Return the first ``limit`` pending rows."""
        cursor = self._db.execute("SELECT tbl, row FROM pending ORDER BY id LIMIT ?", (limit,))
        return [Row.from_json(table, text) for table, text in cursor]

    def rejected(self, limit: int = 100) -> list[RejectedRow]:
        """Return the latest ``limit`` refused rows, newest first."""
        cursor = self._db.execute(
            "SELECT id, tbl, row, reason, source, rejected_at FROM rejected"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [RejectedRow(*item) for item in cursor]

    def retry_rejected(self) -> tuple[int, int]:
        """Queue refused rows again if they now validate; return (requeued, still refused)."""
        now = time.time()
        requeued = kept = 0
        with self._transaction() as db:
            for rid, table, text in db.execute("SELECT id, tbl, row FROM rejected ORDER BY id"):
                try:
                    row = validate(Row.from_json(table, text))
                except (RowError, ValueError, KeyError, TypeError):
                    kept += 1
                    continue
                db.execute(
                    "INSERT INTO pending (tbl, row, added) VALUES (?, ?, ?)",
                    (row.table, row.to_json(), now),
                )
                db.execute("DELETE FROM rejected WHERE id = ?", (rid,))
                requeued += 1
        return requeued, kept

    def purge_rejected(self) -> int:
        """Forget every refused row; return how many there were."""
        with self._transaction() as db:
            return db.execute("DELETE FROM rejected").rowcount

    # ------------------------------------------------------------------ replay

    @contextlib.contextmanager
    def _replay_lock(self, timeout: float) -> Iterator[bool]:
        with open(f"{self.path}.lock", "a+b") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.02)
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def ship(
        self,
        writer: QuestDBWriter,
        *,
        batch: int = 20_000,
        max_rows: int | None = None,
        max_rejected: int = 100,
        lock_timeout: float = 30.0,
    ) -> ShipReport:
        """Send pending rows in order until the queue is empty; see the module docstring.

        Stops at the first :class:`UnavailableError` (the rows stay pending), after
        ``max_rows`` rows, or after ``max_rejected`` refused rows (the cause is likely
        systematic, e.g. a table created by hand with other types).
        """
        started = time.perf_counter()
        report = ShipReport()
        with self._replay_lock(lock_timeout) as locked:
            if not locked:
                report.error = "another process is replaying this spool"
            else:
                self._ship_locked(writer, report, batch, max_rows, max_rejected)
        (report.remaining,) = self._db.execute("SELECT count(*) FROM pending").fetchone()
        if report.remaining == 0 and report.sent:
            self.compact()
        report.seconds = time.perf_counter() - started
        return report

    def _ship_locked(
        self,
        writer: QuestDBWriter,
        report: ShipReport,
        batch: int,
        max_rows: int | None,
        max_rejected: int,
    ) -> None:
        while max_rows is None or report.sent < max_rows:
            size = batch if max_rows is None else min(batch, max_rows - report.sent)
            items = self._db.execute(
                "SELECT id, tbl, row FROM pending ORDER BY id LIMIT ?", (size,)
            ).fetchall()
            if not items:
                return
            done: list[int] = []
            refused: list[tuple[int, str, str, str, str]] = []
            try:
                for table_items in _by_table(items, refused):
                    self._send(writer, table_items, done, refused, report, max_rejected)
            except (UnavailableError, _TooManyRejected) as exc:
                report.error = str(exc)
            self._settle(done, refused, report, last=items[-1][0] if report.error is None else None)
            if report.error is not None:
                return

    def _send(
        self,
        writer: QuestDBWriter,
        items: list[tuple[int, Row, str]],
        done: list[int],
        refused: list[tuple[int, str, str, str, str]],
        report: ShipReport,
        max_rejected: int,
    ) -> None:
        from hammurabi.metrics.questdb import RowRejected

        while items:
            try:
                writer.send([row for _, row, _ in items])
            except RowRejected as exc:
                index = exc.index
                if index is None or index >= len(items):
                    if len(items) > 1:  # the server did not say which row: bisect
                        half = len(items) // 2
                        self._send(writer, items[:half], done, refused, report, max_rejected)
                        self._send(writer, items[half:], done, refused, report, max_rejected)
                        return
                    index = 0
                rid, row, text = items[index]
                refused.append((rid, row.table, text, exc.reason, "server"))
                if len(refused) + len(report.rejected) > max_rejected:
                    raise _TooManyRejected(
                        f"stopped after {max_rejected} refused rows; last: {exc.reason}"
                    ) from None
                if index:
                    self._send(writer, items[:index], done, refused, report, max_rejected)
                items = items[index + 1 :]
            else:
                done.extend(rid for rid, _, _ in items)
                report.sent += len(items)
                return

    def _settle(
        self,
        done: list[int],
        refused: list[tuple[int, str, str, str, str]],
        report: ShipReport,
        last: int | None,
    ) -> None:
        """Delete delivered rows and move refused ones aside, in one transaction."""
        now = time.time()
        with self._transaction() as db:
            if last is not None:  # the whole batch was settled
                db.execute("DELETE FROM pending WHERE id <= ?", (last,))
            else:
                db.executemany("DELETE FROM pending WHERE id = ?", [(i,) for i in done])
            for rid, table, text, reason, source in refused:
                db.execute("DELETE FROM pending WHERE id = ?", (rid,))
                cursor = db.execute(
                    "INSERT INTO rejected (tbl, row, reason, source, rejected_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (table, text, reason, source, now),
                )
                report.rejected.append(
                    RejectedRow(cursor.lastrowid or 0, table, text, reason, source, now)
                )

    def compact(self) -> None:
        """Give free pages back to the file system and truncate the WAL."""
        self._db.execute("PRAGMA incremental_vacuum")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _by_table(
    items: list[tuple[int, str, str]], refused: list[tuple[int, str, str, str, str]]
) -> list[list[tuple[int, Row, str]]]:
    """Group pending items by table, keeping their order; unreadable ones are refused."""
    groups: dict[str, list[tuple[int, Row, str]]] = {}
    for rid, table, text in items:
        try:
            row = Row.from_json(table, text)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            refused.append((rid, table, text, f"unreadable spool entry: {exc}", "spool"))
            continue
        groups.setdefault(table, []).append((rid, row, text))
    return list(groups.values())
