"""The local spool: a durable, append-only queue of rows on their way to QuestDB.

Design: one SQLite database in WAL mode; appends use ``synchronous=FULL`` (each append is
fsynced before it returns, so a committed row survives a crash of the process or the machine),
or skip the fsync and leave it to a later :meth:`Spool.sync` (the metrics plugin appends from
the run's thread and syncs from its own, so a run never waits for the disk):

- ``queue(id INTEGER PRIMARY KEY AUTOINCREMENT, tbl, added, <one column per column name of
  the Hammurabi tables>)``: rows not yet acknowledged by QuestDB, in order, one typed SQLite
  row each (no per-row JSON: a replay reads tuples straight into the ILP buffer). Columns a
  newer schema adds are added on open; a queue of the older JSON format (``pending``) is
  converted on open.
- ``rejected(id, tbl, row, reason, source, rejected_at)``: rows refused by the client-side
  validation (``source='client'``), by the client while encoding, or by the server with HTTP
  400 (``'server'``), as JSON with the reason, until someone retries (``retry_rejected``) or
  purges them. Nothing is dropped silently.

Replay (:meth:`Spool.ship`) reads pending rows in id order in batches (each batch table by
table, reading only that table's columns), sends each batch in one request, and deletes it
only after the server acknowledged it; while one batch is on the wire the next one is read and
encoded. A crash between the acknowledgement and the delete sends the rows again on the next
replay; the tables' ``DEDUP UPSERT KEYS`` then store them once: exactly-once in effect (which
is also why the delete need not be fsynced). One replay runs at a time (an exclusive ``flock``
on ``<spool>.lock``), so the order of upserts is kept. When a replay empties a queue that had
grown, the file is compacted (incremental vacuum, WAL truncated).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hammurabi.metrics.config import MetricsError, UnavailableError
from hammurabi.metrics.rows import Row, RowError, validate
from hammurabi.metrics.schema import TABLES

if TYPE_CHECKING:
    from hammurabi.metrics.questdb import Adder, QuestDBWriter

log = logging.getLogger(__name__)

#: Every column name of every table, in a stable order: the queue's value columns.
COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(column.name for table in TABLES.values() for column in table.columns)
)
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


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


_COLS = _quoted(COLUMNS)
_INSERT = f"INSERT INTO queue (tbl, added, {_COLS}) VALUES (?, ?{', ?' * len(COLUMNS)})"
#: Per table: the insert of its rows, naming its columns only (a third of the values to bind),
#: and the names of its columns after ``ts``.
_INSERT_TABLE = {
    name: f"INSERT INTO queue (tbl, added, {_quoted(table.names)})"
    f" VALUES (?, ?{', ?' * len(table.names)})"
    for name, table in TABLES.items()
}
_AFTER_TS = {name: table.names[1:] for name, table in TABLES.items()}
_SELECT = f"SELECT id, tbl, {_COLS} FROM queue WHERE id > ? ORDER BY id LIMIT ?"
_BATCH_END = "SELECT max(id), count(*) FROM (SELECT id FROM queue WHERE id > ? ORDER BY id LIMIT ?)"
#: What a queued row reads back as: id, table, then the values its layout names.
Item = tuple[Any, ...]
#: The layout of a row read with every column (``pending()``, tables this version lacks).
ALL_LAYOUT = ("_id", "_tbl", *COLUMNS)
#: The layout of a row read with its table's columns only (a replay: fewer values to convert).
LAYOUTS = {name: ("_id", "_tbl", *table.names) for name, table in TABLES.items()}
_SELECT_TABLE = {
    name: f"SELECT id, tbl, {_quoted(table.names)} FROM queue"
    f" WHERE id > ? AND id <= ? AND tbl = '{name}' ORDER BY id"
    for name, table in TABLES.items()
}
_SELECT_OTHER = (
    f"SELECT id, tbl, {_COLS} FROM queue WHERE id > ? AND id <= ?"
    f" AND tbl NOT IN ({', '.join(repr(name) for name in TABLES)}) ORDER BY id"
)
_BOOLEANS = {
    name: {c.name for c in table.columns if c.type == "BOOLEAN"} for name, table in TABLES.items()
}
#: A refused queued row: (id, table, row JSON, reason, source).
Refusal = tuple[int, str, str, str, str]


def _values(row: Row) -> tuple[Any, ...]:
    """Return the row's values in ``COLUMNS`` order (``ts`` first)."""
    get = row.values.get
    return (row.ts, *(get(name) for name in COLUMNS[1:]))


def _layout(table: str) -> tuple[str, ...]:
    """Return the layout of a row of ``table`` read by a replay."""
    return LAYOUTS.get(table, ALL_LAYOUT)


def _row(item: Item, layout: tuple[str, ...]) -> Row:
    """Return the :class:`Row` of a queued row (booleans come back from SQLite as 0/1)."""
    table, flags = item[1], _BOOLEANS.get(item[1], set())
    values = {}
    for name, value in zip(layout[3:], item[3:], strict=True):
        if value is not None:
            values[name] = bool(value) if name in flags else value
    return Row(table, item[2], values)


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


class _InFlight:
    """A batch being sent by a thread of its own (inline when no thread can start).

    Not a ``concurrent.futures`` pool: those refuse work once the interpreter is exiting,
    which is when the metrics plugin drains.
    """

    def __init__(
        self,
        items: list[Item],
        span: tuple[int, int],
        writer: QuestDBWriter,
        buffer: Any,
        *,
        inline: bool = False,
    ) -> None:
        self.items = items
        self.span = span
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if not inline:
            self._thread = threading.Thread(
                target=self._run, args=(writer, buffer), name="hammurabi-spool-send", daemon=True
            )
            try:
                self._thread.start()
            except RuntimeError:  # e.g. "can't create new thread at interpreter shutdown"
                self._thread = None
        if self._thread is None:
            self._run(writer, buffer)

    def _run(self, writer: QuestDBWriter, buffer: Any) -> None:
        try:
            writer.flush(buffer)
        except BaseException as exc:  # handed to result()
            self._error = exc

    def result(self) -> None:
        """Wait for the request; raise what it raised."""
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error


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
        self._upgrade()

    def _upgrade(self) -> None:
        """Add value columns a newer schema brought; convert a queue of the JSON format."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(queue)")}
        missing = [name for name in COLUMNS if name not in have]
        legacy = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pending'"
        ).fetchone()
        if not missing and not legacy:
            return
        with self._transaction() as db:
            have = {row[1] for row in db.execute("PRAGMA table_info(queue)")}
            for name in COLUMNS:
                if name not in have:
                    db.execute(f'ALTER TABLE queue ADD COLUMN "{name}"')
            if db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pending'"
            ).fetchone():
                self._convert_legacy(db)

    def _convert_legacy(self, db: sqlite3.Connection) -> None:
        """Move the rows of the former JSON queue (``pending``) into ``queue``, in order."""
        now = time.time()
        for table, text, added in db.execute("SELECT tbl, row, added FROM pending ORDER BY id"):
            try:
                row = Row.from_json(table, text)
                db.execute(_INSERT, (row.table, added, *_values(row)))
            except (ValueError, KeyError, TypeError, AttributeError, sqlite3.Error) as exc:
                db.execute(
                    "INSERT INTO rejected (tbl, row, reason, source, rejected_at)"
                    " VALUES (?, ?, ?, 'spool', ?)",
                    (table, text, f"unreadable spool entry: {exc}", now),
                )
        db.execute("DROP TABLE pending")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """Run a write transaction; ``durable=False`` skips the fsync at commit."""
        if not durable:
            self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        finally:
            if not durable:
                self._db.execute("PRAGMA synchronous=FULL")

    # ------------------------------------------------------------------ writing

    def append(self, rows: Sequence[Row], *, durable: bool = True) -> int:
        """Append ``rows`` (already validated) in one transaction; return the count.

        The rows are stored table by table, each table's in the order given, each naming its
        table's columns only (binding every column's value, NULLs included, took twice as long).

        ``durable=False`` skips the fsync: the rows survive a crash of the process at once,
        and of the machine after :meth:`sync`.
        """
        if not rows:
            return 0
        now = time.time()
        values: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            get = row.values.get
            item = (row.table, now, row.ts, *map(get, _AFTER_TS[row.table]))
            values.setdefault(row.table, []).append(item)
        with self._transaction(durable) as db:
            for table, items in values.items():
                db.executemany(_INSERT_TABLE[table], items)
        return len(rows)

    def sync(self) -> None:
        """Make every committed append durable: fsync the write-ahead log (or the file)."""
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
                db.executemany(
                    "INSERT INTO rejected (tbl, row, reason, source, rejected_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    values,
                )
        return len(values)

    # ------------------------------------------------------------------ reading

    def state(self) -> SpoolState:
        pending, oldest = self._db.execute("SELECT count(*), min(added) FROM queue").fetchone()
        (rejected,) = self._db.execute("SELECT count(*) FROM rejected").fetchone()
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return SpoolState(self.path, pending, rejected, oldest, size)

    def pending(self, limit: int = 100) -> list[Row]:
        """Return the first ``limit`` pending rows."""
        return [_row(item, ALL_LAYOUT) for item in self._db.execute(_SELECT, (0, limit))]

    def _read_batch(self, after: int, size: int) -> tuple[int, list[Item]]:
        """Return the last id of the next ``size`` pending rows, and those rows by table."""
        last, count = self._db.execute(_BATCH_END, (after, size)).fetchone()
        if not count:
            return after, []
        items: list[Item] = []
        for select in _SELECT_TABLE.values():
            items += self._db.execute(select, (after, last)).fetchall()
        if len(items) < count:  # rows of tables this version does not know
            items += self._db.execute(_SELECT_OTHER, (after, last)).fetchall()
        return last, items

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
                except (RowError, ValueError, KeyError, TypeError, AttributeError):
                    kept += 1
                    continue
                db.execute(_INSERT, (row.table, now, *_values(row)))
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
        batch: int = 50_000,
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
                try:
                    self._ship_locked(writer, report, max(batch, 1), max_rows, max_rejected)
                except (UnavailableError, _TooManyRejected) as exc:
                    report.error = str(exc)
        (report.remaining,) = self._db.execute("SELECT count(*) FROM queue").fetchone()
        if report.remaining == 0 and report.sent:
            (free,) = self._db.execute("PRAGMA freelist_count").fetchone()
            if free >= COMPACT_PAGES:
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
        """Read and encode batch n+1 while batch n is on the wire; settle each in order."""
        read = after = 0
        inflight: _InFlight | None = None
        try:
            while True:
                size = batch if max_rows is None else min(batch, max_rows - read)
                last, items = self._read_batch(after, size) if size > 0 else (after, [])
                buffer = self._encode(writer, items) if items else None
                if inflight is not None:
                    done, inflight = inflight, None
                    self._finish(writer, done, report, max_rejected)
                if not items:
                    return
                if buffer is None:  # the client refused a row: sort it out row by row
                    self._settle_each(writer, items, report, max_rejected)
                else:  # a short first batch is all there is: no thread for it
                    alone = not read and len(items) < size
                    inflight = _InFlight(items, (after, last), writer, buffer, inline=alone)
                after = last
                read += len(items)
        finally:
            if inflight is not None:  # stopped early: let the request end, keep the rows
                with contextlib.suppress(Exception):
                    inflight.result()

    def _encode(self, writer: QuestDBWriter, items: list[Item]) -> Any:
        """Return a buffer holding ``items``, or None if the client refuses one of them."""
        buffer = writer.new_buffer()
        adders: dict[str, Adder] = {}
        try:
            for item in items:
                add = adders.get(item[1])
                if add is None:
                    add = adders[item[1]] = writer.adder(item[1], _layout(item[1]))
                add(buffer, item)
        except writer.add_errors:
            return None
        return buffer

    def _finish(
        self, writer: QuestDBWriter, flight: _InFlight, report: ShipReport, max_rejected: int
    ) -> None:
        """Wait for a batch's request; settle it, or sort out a refused row."""
        from hammurabi.metrics.questdb import RowRejected

        try:
            flight.result()
        except RowRejected:
            self._settle_each(writer, flight.items, report, max_rejected)
            return
        report.sent += len(flight.items)
        self._settle([], [], report, span=flight.span)

    def _settle_each(
        self, writer: QuestDBWriter, items: list[Item], report: ShipReport, max_rejected: int
    ) -> None:
        """Send ``items`` again, leaving out refused rows (found by bisection); settle them."""
        done: list[Item] = []
        refused: list[Refusal] = []
        try:
            self._send(writer, items, done, refused, report, max_rejected)
        finally:
            self._settle(done, refused, report)

    def _send(
        self,
        writer: QuestDBWriter,
        items: list[Item],
        done: list[Item],
        refused: list[Refusal],
        report: ShipReport,
        max_rejected: int,
    ) -> None:
        from hammurabi.metrics.questdb import RowRejected

        while items:
            try:
                self._flush_items(writer, items)
            except RowRejected as exc:
                index = exc.index
                if index is None or index >= len(items):
                    if len(items) > 1:  # the server did not say which row: bisect
                        half = len(items) // 2
                        self._send(writer, items[:half], done, refused, report, max_rejected)
                        self._send(writer, items[half:], done, refused, report, max_rejected)
                        return
                    index = 0
                rid, table = items[index][0], items[index][1]
                text = _row(items[index], _layout(table)).to_json()
                source = "client" if exc.reason.startswith("refused by the client") else "server"
                refused.append((rid, table, text, exc.reason, source))
                if len(refused) + len(report.rejected) > max_rejected:
                    raise _TooManyRejected(
                        f"stopped after {max_rejected} refused rows; last: {exc.reason}"
                    ) from None
                if index:
                    self._send(writer, items[:index], done, refused, report, max_rejected)
                items = items[index + 1 :]
            else:
                done.extend(items)
                report.sent += len(items)
                return

    def _flush_items(self, writer: QuestDBWriter, items: list[Item]) -> None:
        """Send ``items`` in one request; a row the client refuses raises RowRejected."""
        from hammurabi.metrics.questdb import RowRejected

        buffer = writer.new_buffer()
        for index, item in enumerate(items):
            try:
                writer.adder(item[1], _layout(item[1]))(buffer, item)
            except writer.add_errors as exc:
                raise RowRejected(f"refused by the client: {exc!r}", index) from exc
        writer.flush(buffer)

    def _settle(
        self,
        done: list[Item],
        refused: list[Refusal],
        report: ShipReport,
        span: tuple[int, int] | None = None,
    ) -> None:
        """Delete delivered rows (``done``, or every id in ``span``: after, last] and move
        refused ones aside, in one transaction.

        Not fsynced: if the delete is lost, the rows are sent again and deduplicated.
        """
        now = time.time()
        with self._transaction(durable=False) as db:
            if span is not None:
                db.execute("DELETE FROM queue WHERE id > ? AND id <= ?", span)
            db.executemany("DELETE FROM queue WHERE id = ?", [(item[0],) for item in done])
            for rid, table, text, reason, source in refused:
                db.execute("DELETE FROM queue WHERE id = ?", (rid,))
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
