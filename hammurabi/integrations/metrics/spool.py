"""The local spool: a durable queue of rows on their way to QuestDB.

One SQLite database in WAL mode: ``queue`` holds the rows QuestDB has not acknowledged, in
order, one typed column per column name of the Hammurabi tables (columns a newer schema adds
are added on open); ``rejected`` keeps the rows refused by the validation (``client``), the
encoding or the server (``server``), as JSON with the reason, until queued again or purged.

A committed append survives the death of the process at once, and a crash of the machine
after :meth:`Spool.sync`. :meth:`Spool.ship` deletes a batch only after QuestDB acknowledged
it: a crash in between sends it again, and the tables' ``DEDUP UPSERT KEYS`` store it once.
One replay runs at a time (``flock`` on ``<spool>.lock``), so upserts keep their order.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hammurabi.integrations.metrics.config import MetricsError, UnavailableError
from hammurabi.integrations.metrics.schema import COLUMNS, TABLES, Row, RowError, validate

if TYPE_CHECKING:
    from hammurabi.integrations.metrics.questdb import QuestDB

_COLS = ", ".join(f'"{name}"' for name in COLUMNS)
_INSERT = f"INSERT INTO queue (tbl, added, {_COLS}) VALUES (?, ?{', ?' * len(COLUMNS)})"
_SELECT = f"SELECT id, tbl, {_COLS} FROM queue ORDER BY id LIMIT ?"
_REJECT = "INSERT INTO rejected (tbl, row, reason, source, rejected_at) VALUES (?, ?, ?, ?, ?)"
_BOOLEANS = {c.name for table in TABLES.values() for c in table.columns if c.type == "BOOLEAN"}
#: A queued row as read back: id, table, then the values of ``COLUMNS``.
Item = tuple[Any, ...]


def _values(row: Row) -> tuple[Any, ...]:
    return (row.table, time.time(), row.ts, *map(row.values.get, COLUMNS[1:]))


def _row(item: Item) -> Row:
    """The :class:`Row` of a queued item (SQLite gives booleans back as 0/1)."""
    names = zip(COLUMNS[1:], item[3:], strict=True)
    values = {k: bool(v) if k in _BOOLEANS else v for k, v in names if v is not None}
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


class Spool:
    """A spool file. A handle may serve several threads, one at a time (callers lock)."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = db = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only takes on a new file
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # commits reach the WAL; sync() fsyncs
        if setconfig := getattr(db, "setconfig", None):  # Python 3.12+: closing checkpoints
            setconfig(1006, True)  # no more (two fsyncs as a run ends): NO_CKPT_ON_CLOSE
        db.executescript(
            "CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            f" tbl TEXT NOT NULL, added REAL NOT NULL, {_COLS});"
            "CREATE TABLE IF NOT EXISTS rejected (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " tbl TEXT NOT NULL, row TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL,"
            " rejected_at REAL NOT NULL);"
        )
        have = {row[1] for row in db.execute("PRAGMA table_info(queue)")}
        for name in (name for name in COLUMNS if name not in have):  # a newer schema's
            db.execute(f'ALTER TABLE queue ADD COLUMN "{name}"')

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, work: Callable[..., Any], *args: Any, durable: bool = True) -> Any:
        """Run ``work(*args)`` in one write transaction; ``durable``: fsync once committed."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            result = work(*args)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        if durable:
            self.sync()
        return result

    def append(self, rows: Sequence[Row], *, durable: bool = True) -> int:
        """Append validated ``rows`` in one transaction; ``durable=False`` skips the fsync
        (the rows survive the death of the process, and a machine crash after :meth:`sync`)."""
        if rows:
            self._write(self._db.executemany, _INSERT, map(_values, rows), durable=durable)
        return len(rows)

    def sync(self) -> None:
        """Make every committed write durable: fsync the write-ahead log (or the file)."""
        for path in (f"{self.path}-wal", self.path):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                return os.fsync(fd)
            finally:
                os.close(fd)

    def reject(self, items: Iterable[tuple[str, str, str]], source: str) -> int:
        """Keep ``(table, row_json, reason)`` items aside as refused by ``source``."""
        values = [(table, row, reason, source, time.time()) for table, row, reason in items]
        if values:
            self._write(self._db.executemany, _REJECT, values)
        return len(values)

    def state(self) -> SpoolState:
        pending, oldest = self._db.execute("SELECT count(*), min(added) FROM queue").fetchone()
        (rejected,) = self._db.execute("SELECT count(*) FROM rejected").fetchone()
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return SpoolState(self.path, pending, rejected, oldest, size)

    def pending(self, limit: int = 100) -> list[Row]:
        """Return the first ``limit`` pending rows."""
        return [_row(item) for item in self._db.execute(_SELECT, (limit,))]

    def rejected(self, limit: int = 100) -> list[RejectedRow]:
        """Return the latest ``limit`` refused rows, newest first."""
        sql = "SELECT * FROM rejected ORDER BY id DESC LIMIT ?"
        return [RejectedRow(*item) for item in self._db.execute(sql, (limit,))]

    def retry_rejected(self) -> tuple[int, int]:
        """Queue refused rows again if they now validate; return (requeued, still refused)."""

        def work() -> tuple[int, int]:
            kept = self._db.execute("SELECT id, tbl, row FROM rejected ORDER BY id").fetchall()
            requeued = 0
            for rid, table, text in kept:
                try:
                    row = validate(Row.from_json(table, text))
                except (RowError, ValueError, KeyError, TypeError, AttributeError):
                    continue
                self._db.execute(_INSERT, _values(row))
                self._db.execute("DELETE FROM rejected WHERE id = ?", (rid,))
                requeued += 1
            return requeued, len(kept) - requeued

        result: tuple[int, int] = self._write(work)
        return result

    def purge_rejected(self) -> int:
        """Forget every refused row; return how many there were."""
        count: int = self._write(lambda: self._db.execute("DELETE FROM rejected").rowcount)
        return count

    def ship(
        self,
        questdb: QuestDB,
        *,
        batch: int = 50_000,
        max_rejected: int = 100,
        lock_timeout: float = 30.0,
        until: float | None = None,
    ) -> ShipReport:
        """Send pending rows in order, a batch per request, until the queue is empty.

        Stops at the first :class:`UnavailableError` (the rows stay pending), after
        ``max_rejected`` refused rows (likely systematic, e.g. a table made by hand with
        other types), or once ``time.monotonic()`` passed ``until`` (between batches).
        """
        started = time.perf_counter()
        report = ShipReport()
        fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + lock_timeout
            while True:  # the replay lock, within lock_timeout
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise UnavailableError("another process is replaying this spool") from None
                    time.sleep(0.02)
            while (until is None or time.monotonic() < until) and (
                items := self._db.execute(_SELECT, (max(batch, 1),)).fetchall()
            ):
                done: list[Item] = []
                refused: list[tuple[Item, str]] = []
                try:
                    _deliver(questdb, items, done, refused, max_rejected)
                finally:
                    self._write(self._settle, done, refused, report, durable=bool(refused))
        except MetricsError as exc:
            report.error = str(exc)
        finally:
            os.close(fd)  # releases the lock
        (report.remaining,) = self._db.execute("SELECT count(*) FROM queue").fetchone()
        free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
        if report.remaining == 0 and report.sent and free >= 256:  # emptied: compact
            self._db.execute("PRAGMA incremental_vacuum")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        report.seconds = time.perf_counter() - started
        return report

    def _settle(
        self, done: list[Item], refused: list[tuple[Item, str]], report: ShipReport
    ) -> None:
        """Delete the delivered rows, move the refused ones aside (only a refusal is fsynced:
        a lost delete sends rows again, which are stored once)."""
        self._db.executemany("DELETE FROM queue WHERE id = ?", [(item[0],) for item in done])
        for item, reason in refused:
            source = "client" if reason.startswith("refused by the client") else "server"
            values = (item[1], _row(item).to_json(), reason, source, time.time())
            rid = self._db.execute(_REJECT, values).lastrowid
            self._db.execute("DELETE FROM queue WHERE id = ?", (item[0],))
            report.rejected.append(RejectedRow(rid or 0, *values))
        report.sent += len(done)


def _deliver(
    questdb: QuestDB,
    items: list[Item],
    done: list[Item],
    refused: list[tuple[Item, str]],
    max_rejected: int,
) -> None:
    """Send ``items`` into ``done``, leaving out the rows refused (the server names one, or
    bisection finds them), which go to ``refused`` with the reason."""
    from hammurabi.integrations.metrics.questdb import RowRejected

    while items:
        try:
            questdb.send(items)
        except RowRejected as exc:
            index = exc.index
            if index is None or index >= len(items):
                if len(items) > 1:  # the server did not say which row: bisect
                    half = len(items) // 2
                    _deliver(questdb, items[:half], done, refused, max_rejected)
                    return _deliver(questdb, items[half:], done, refused, max_rejected)
                index = 0
            refused.append((items[index], exc.reason))
            if len(refused) > max_rejected:
                raise MetricsError(
                    f"stopped after {max_rejected} refused rows; last: {exc.reason}"
                ) from None
            if index:  # the rows before it may or may not have been stored: again
                _deliver(questdb, items[:index], done, refused, max_rejected)
            items = items[index + 1 :]
        else:
            done.extend(items)
            return
