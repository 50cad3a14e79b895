"""The local spool: a durable queue of rows on their way to QuestDB.

One SQLite database in WAL mode:

- ``queue(id INTEGER PRIMARY KEY AUTOINCREMENT, tbl, added, <one column per column name of
  the Hammurabi tables>)``: rows not yet acknowledged by QuestDB, in order, one typed SQLite
  row each. Columns a newer schema adds are added on open; a queue of the older JSON format
  (``pending``) is converted on open.
- ``rejected(id, tbl, row, reason, source, rejected_at)``: rows refused by the validation
  (``source='client'``), by the client while encoding, or by the server with HTTP 400
  (``'server'``), as JSON with the reason, until retried (``retry_rejected``) or purged.

A committed append survives the death of the process at once (the WAL is in the file
system), and a crash of the machine after :meth:`Spool.sync` (an fsync). :meth:`Spool.ship`
replays pending rows in id order, a batch per request, and deletes a batch only after QuestDB
acknowledged it: a crash in between sends it again, and the tables' ``DEDUP UPSERT KEYS``
store it once. One replay runs at a time (an exclusive ``flock`` on ``<spool>.lock``), so the
order of upserts is kept.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hammurabi.integrations.metrics.config import MetricsError, UnavailableError
from hammurabi.integrations.metrics.rows import Row, RowError, validate
from hammurabi.integrations.metrics.schema import COLUMNS, TABLES

if TYPE_CHECKING:
    from hammurabi.integrations.metrics.questdb import QuestDB

#: A replay that empties the queue compacts the file when at least this many pages are free.
COMPACT_PAGES = 256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, added REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
  id INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, row TEXT NOT NULL,
  reason TEXT NOT NULL, source TEXT NOT NULL, rejected_at REAL NOT NULL
);
"""
_COLS = ", ".join(f'"{name}"' for name in COLUMNS)
_INSERT = f"INSERT INTO queue (tbl, added, {_COLS}) VALUES (?, ?{', ?' * len(COLUMNS)})"
_SELECT = f"SELECT id, tbl, {_COLS} FROM queue WHERE id > ? ORDER BY id LIMIT ?"
_REJECT = "INSERT INTO rejected (tbl, row, reason, source, rejected_at) VALUES (?, ?, ?, ?, ?)"
_BOOLEANS = {c.name for table in TABLES.values() for c in table.columns if c.type == "BOOLEAN"}
#: A queued row as read back: id, table, then the values of ``COLUMNS``.
Item = tuple[Any, ...]


def _values(row: Row) -> tuple[Any, ...]:
    """Return the row's values in ``COLUMNS`` order (``ts`` first)."""
    return (row.ts, *map(row.values.get, COLUMNS[1:]))


def _row(item: Item) -> Row:
    """Return the :class:`Row` of a queued row (booleans come back from SQLite as 0/1)."""
    values = {
        name: bool(value) if name in _BOOLEANS else value
        for name, value in zip(COLUMNS[1:], item[3:], strict=True)
        if value is not None
    }
    return Row(item[1], item[2], values)


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
    """A spool file. A handle may serve several threads, one at a time (callers lock)."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only takes on a new file
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # commits reach the WAL; sync() fsyncs
        self._db.executescript(_SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(queue)")}
        if set(COLUMNS) - have or self._has_table("pending"):
            with self._transaction() as db:
                self._upgrade(db)

    def _has_table(self, name: str) -> bool:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return self._db.execute(sql, (name,)).fetchone() is not None

    def _upgrade(self, db: sqlite3.Connection) -> None:
        """Add value columns a newer schema brought; move the rows of the former JSON queue
        (``pending``) into ``queue``, in order (unreadable ones aside, with the reason)."""
        have = {row[1] for row in db.execute("PRAGMA table_info(queue)")}
        for name in COLUMNS:
            if name not in have:
                db.execute(f'ALTER TABLE queue ADD COLUMN "{name}"')
        if not self._has_table("pending"):
            return
        for table, text, added in db.execute("SELECT tbl, row, added FROM pending ORDER BY id"):
            try:
                row = Row.from_json(table, text)
                db.execute(_INSERT, (row.table, added, *_values(row)))
            except (ValueError, KeyError, TypeError, AttributeError, sqlite3.Error) as exc:
                reason = f"unreadable spool entry: {exc}"
                db.execute(_REJECT, (table, text, reason, "spool", time.time()))
        db.execute("DROP TABLE pending")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """Run a write transaction; ``durable``: fsync once it is committed."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        if durable:
            self.sync()

    # ------------------------------------------------------------------ writing

    def append(self, rows: Sequence[Row], *, durable: bool = True) -> int:
        """Append ``rows`` (already validated) in one transaction; return the count.

        ``durable=False`` skips the fsync: the rows survive the death of the process at once,
        and a crash of the machine after :meth:`sync`.
        """
        if rows:
            now = time.time()
            with self._transaction(durable) as db:
                db.executemany(_INSERT, [(row.table, now, *_values(row)) for row in rows])
        return len(rows)

    def sync(self) -> None:
        """Make every committed write durable: fsync the write-ahead log (or the file)."""
        for path in (Path(f"{self.path}-wal"), self.path):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            return

    def reject(self, items: Iterable[tuple[str, str, str]], source: str) -> int:
        """Keep ``(table, row_json, reason)`` items aside as refused by ``source``."""
        now = time.time()
        values = [(table, row, reason, source, now) for table, row, reason in items]
        if values:
            with self._transaction() as db:
                db.executemany(_REJECT, values)
        return len(values)

    # ------------------------------------------------------------------ reading

    def state(self) -> SpoolState:
        pending, oldest = self._db.execute("SELECT count(*), min(added) FROM queue").fetchone()
        (rejected,) = self._db.execute("SELECT count(*) FROM rejected").fetchone()
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return SpoolState(self.path, pending, rejected, oldest, size)

    def pending(self, limit: int = 100) -> list[Row]:
        """Return the first ``limit`` pending rows."""
        return [_row(item) for item in self._db.execute(_SELECT, (0, limit))]

    def rejected(self, limit: int = 100) -> list[RejectedRow]:
        """Return the latest ``limit`` refused rows, newest first."""
        sql = "SELECT id, tbl, row, reason, source, rejected_at FROM rejected ORDER BY id DESC"
        return [RejectedRow(*item) for item in self._db.execute(f"{sql} LIMIT ?", (limit,))]

    def retry_rejected(self) -> tuple[int, int]:
        """Queue refused rows again if they now validate; return (requeued, still refused)."""
        requeued = kept = 0
        with self._transaction() as db:
            for rid, table, text in db.execute("SELECT id, tbl, row FROM rejected ORDER BY id"):
                try:
                    row = validate(Row.from_json(table, text))
                except (RowError, ValueError, KeyError, TypeError, AttributeError):
                    kept += 1
                    continue
                db.execute(_INSERT, (row.table, time.time(), *_values(row)))
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
        questdb: QuestDB,
        *,
        batch: int = 50_000,
        max_rejected: int = 100,
        lock_timeout: float = 30.0,
        until: float | None = None,
    ) -> ShipReport:
        """Send pending rows in order until the queue is empty; see the module docstring.

        Stops at the first :class:`UnavailableError` (the rows stay pending), after
        ``max_rejected`` refused rows (the cause is likely systematic, e.g. a table created
        by hand with other types), or once ``time.monotonic()`` passed ``until`` (between
        batches).
        """
        started = time.perf_counter()
        report = ShipReport()
        with self._replay_lock(lock_timeout) as locked:
            try:
                if not locked:
                    raise UnavailableError("another process is replaying this spool")
                while (until is None or time.monotonic() < until) and (
                    items := self._db.execute(_SELECT, (0, max(batch, 1))).fetchall()
                ):
                    done: list[Item] = []
                    refused: list[tuple[Item, str]] = []
                    try:
                        self._deliver(questdb, items, done, refused, max_rejected)
                    finally:
                        self._settle(done, refused, report, whole=len(done) == len(items))
            except (UnavailableError, _TooManyRejected) as exc:
                report.error = str(exc)
        (report.remaining,) = self._db.execute("SELECT count(*) FROM queue").fetchone()
        if report.remaining == 0 and report.sent:
            (free,) = self._db.execute("PRAGMA freelist_count").fetchone()
            if free >= COMPACT_PAGES:
                self.compact()
        report.seconds = time.perf_counter() - started
        return report

    def _deliver(
        self,
        questdb: QuestDB,
        items: list[Item],
        done: list[Item],
        refused: list[tuple[Item, str]],
        max_rejected: int,
    ) -> None:
        """Send ``items`` into ``done``, leaving out the rows refused (the server names one,
        or they are found by bisection), which go to ``refused`` with the reason."""
        from hammurabi.integrations.metrics.questdb import RowRejected

        while items:
            try:
                questdb.send(items)
            except RowRejected as exc:
                index = exc.index
                if index is None or index >= len(items):
                    if len(items) > 1:  # the server did not say which row
                        half = len(items) // 2
                        for part in (items[:half], items[half:]):
                            self._deliver(questdb, part, done, refused, max_rejected)
                        return
                    index = 0
                refused.append((items[index], exc.reason))
                if len(refused) > max_rejected:
                    raise _TooManyRejected(
                        f"stopped after {max_rejected} refused rows; last: {exc.reason}"
                    ) from None
                if index:  # the rows before it may or may not have been stored: again
                    self._deliver(questdb, items[:index], done, refused, max_rejected)
                items = items[index + 1 :]
            else:
                done.extend(items)
                return

    def _settle(
        self, done: list[Item], refused: list[tuple[Item, str]], report: ShipReport, whole: bool
    ) -> None:
        """Delete the delivered rows (``whole``: the batch, the first rows of the queue) and
        move the refused ones aside, in one transaction. Only a refusal is fsynced: if a
        delete is lost, the rows go again and are stored once.
        """
        now = time.time()
        with self._transaction(durable=bool(refused)) as db:
            if whole and done:
                db.execute("DELETE FROM queue WHERE id <= ?", (done[-1][0],))
            else:
                db.executemany("DELETE FROM queue WHERE id = ?", [(item[0],) for item in done])
            for item, reason in refused:
                source = "client" if reason.startswith("refused by the client") else "server"
                text = _row(item).to_json()
                rid = db.execute(_REJECT, (item[1], text, reason, source, now)).lastrowid
                db.execute("DELETE FROM queue WHERE id = ?", (item[0],))
                report.rejected.append(RejectedRow(rid or 0, item[1], text, reason, source, now))
        report.sent += len(done)

    def compact(self) -> None:
        """Give free pages back to the file system and truncate the WAL."""
        self._db.execute("PRAGMA incremental_vacuum")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
