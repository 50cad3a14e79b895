"""The local spool: a durable queue of rows on their way to QuestDB.

One SQLite database in WAL mode: ``pending`` holds the rows QuestDB has not acknowledged, in
order, as JSON (:meth:`Row.to_json`); ``rejected`` keeps the rows refused by the validation
(``client``, as a replay reads them), by the server (``server``), or unreadable (``spool``),
with the reason, until queued again.

A committed append survives the death of the process at once, and a crash of the machine
after :meth:`Spool.sync`. :meth:`Spool.ship` deletes a batch only after QuestDB acknowledged
it: a crash in between sends it again, and the tables' ``DEDUP UPSERT KEYS`` store it once.
One replay runs at a time (``flock`` on ``<spool>.lock``), so upserts keep their order.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from hammurabi.integrations.metrics.config import MetricsError, UnavailableError
from hammurabi.integrations.metrics.schema import Row, RowError, validate

if TYPE_CHECKING:
    from hammurabi.integrations.metrics.config import MetricsConfig
    from hammurabi.integrations.metrics.questdb import QuestDB

_INSERT = "INSERT INTO pending (tbl, row, added) VALUES (?, ?, ?)"
_SELECT = "SELECT id, tbl, row FROM pending ORDER BY id LIMIT ?"
_REJECT = "INSERT INTO rejected (tbl, row, reason, source, rejected_at) VALUES (?, ?, ?, ?, ?)"
#: A spooled row: its id in ``pending``, and the row.
Item = tuple[int, Row]


class RejectedRow(NamedTuple):
    """A row kept aside with the reason it was refused (``id``: its place in ``rejected``;
    in ``pending`` until a replay moves it)."""

    id: int
    table: str
    row: str
    reason: str
    source: str
    rejected_at: float

    def to_dict(self) -> dict[str, Any]:
        """The refused row as JSON shows it: its values, or its text if it is unreadable."""
        try:
            row = json.loads(self.row)
        except ValueError:
            row = self.row
        return {**self._asdict(), "row": row}


@dataclass
class ShipReport:
    """What one replay did (``requeued``: refused rows it queued again first)."""

    requeued: int = 0
    sent: int = 0
    refused: list[RejectedRow] = field(default_factory=list)
    remaining: int = 0
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether everything was delivered and nothing was refused."""
        return self.error is None and not self.refused and self.remaining == 0


class SpoolState(NamedTuple):
    """Counts of the spool, for ``metrics status``."""

    path: Path
    pending: int
    rejected: int
    oldest_pending: float | None
    bytes: int


class Spool:
    """A spool file. A handle may serve several threads, one at a time (callers lock)."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = db = sqlite3.connect(  # ``with self._db``: a transaction (BEGIN IMMEDIATE)
            self.path, timeout=timeout, isolation_level="IMMEDIATE", check_same_thread=False
        )
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only takes on a new file
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # commits reach the WAL; sync() fsyncs
        if setconfig := getattr(db, "setconfig", None):  # Python 3.12+: closing checkpoints
            setconfig(1006, True)  # no more (two fsyncs as a run ends): NO_CKPT_ON_CLOSE
        db.executescript(
            "CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " tbl TEXT NOT NULL, row TEXT NOT NULL, added REAL NOT NULL);"
            "CREATE TABLE IF NOT EXISTS rejected (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " tbl TEXT NOT NULL, row TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL,"
            " rejected_at REAL NOT NULL);"
        )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(self, rows: Sequence[Row], *, durable: bool = True) -> int:
        """Append ``rows`` in one transaction; ``durable=False`` skips the fsync (the rows
        survive the death of the process, and a machine crash after :meth:`sync`)."""
        with self._db:
            self._db.executemany(_INSERT, [(row.table, row.to_json(), time.time()) for row in rows])
        if durable and rows:
            self.sync()
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

    def state(self) -> SpoolState:
        pending, oldest = self._db.execute("SELECT count(*), min(added) FROM pending").fetchone()
        (rejected,) = self._db.execute("SELECT count(*) FROM rejected").fetchone()
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return SpoolState(self.path, pending, rejected, oldest, size)

    def pending(self, limit: int = 100) -> list[Row]:
        """Return the first ``limit`` pending rows (those that validate)."""
        return [row for _, row in self._load(limit, [])]

    def rejected(self, limit: int = 100) -> list[RejectedRow]:
        """Return the latest ``limit`` refused rows, newest first."""
        sql = "SELECT * FROM rejected ORDER BY id DESC LIMIT ?"
        return [RejectedRow(*item) for item in self._db.execute(sql, (limit,))]

    def retry_rejected(self) -> int:
        """Queue every refused row again (after a fix), behind the pending ones; a replay
        refuses again those still invalid. Return how many were queued."""
        sql = "INSERT INTO pending (tbl, row, added) SELECT tbl, row, ? FROM rejected ORDER BY id"
        with self._db:
            self._db.execute(sql, (time.time(),))
            requeued = self._db.execute("DELETE FROM rejected").rowcount
        self.sync()
        return requeued

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
            while until is None or time.monotonic() < until:
                done: list[Item] = []
                refused: list[RejectedRow] = []
                if not (items := self._load(max(batch, 1), refused)) and not refused:
                    break
                try:
                    _deliver(questdb, items, done, refused, max_rejected, len(report.refused))
                finally:
                    self._settle(done, refused, report)
        except MetricsError as exc:
            report.error = str(exc)
        finally:
            os.close(fd)  # releases the lock
        (report.remaining,) = self._db.execute("SELECT count(*) FROM pending").fetchone()
        free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
        if report.remaining == 0 and report.sent and free >= 256:  # emptied: compact
            self._db.execute("PRAGMA incremental_vacuum")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        report.seconds = time.perf_counter() - started
        return report

    def _load(self, limit: int, refused: list[RejectedRow]) -> list[Item]:
        """The first ``limit`` pending rows, validated; the others go to ``refused``."""
        items = []
        for id_, table, text in self._db.execute(_SELECT, (limit,)).fetchall():
            try:
                items.append((id_, validate(Row.from_json(table, text))))
            except RowError as exc:
                reason, source = f"refused by validation: {exc}", "client"
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                reason, source = f"unreadable spool entry: {exc!r}", "spool"
            else:
                continue
            refused.append(RejectedRow(id_, table, text, reason, source, time.time()))
        return items

    def _settle(self, done: list[Item], refused: list[RejectedRow], report: ShipReport) -> None:
        """Delete the delivered rows, move the refused ones aside (only a refusal is fsynced:
        a lost delete sends rows again, which are stored once)."""
        with self._db:
            gone = [(id_,) for id_, _ in done] + [(item.id,) for item in refused]
            self._db.executemany("DELETE FROM pending WHERE id = ?", gone)
            for item in refused:
                rid = self._db.execute(_REJECT, item[1:]).lastrowid or 0
                report.refused.append(item._replace(id=rid))
        if refused:
            self.sync()
        report.sent += len(done)


def flush(
    config: MetricsConfig, *, retry_rejected: bool = False, batch: int = 50_000
) -> ShipReport:
    """Send every spooled row to QuestDB, its tables made first (``hammurabi metrics flush``);
    with ``retry_rejected``, queue the refused rows again before."""
    from hammurabi.integrations.metrics.questdb import QuestDB

    questdb = QuestDB(config)
    with Spool(config.spool) as spool:
        requeued = spool.retry_rejected() if retry_rejected else 0
        questdb.ensure_tables(config.ttl_days)
        report = spool.ship(questdb, batch=batch)
    report.requeued = requeued
    return report


def _deliver(
    questdb: QuestDB,
    items: list[Item],
    done: list[Item],
    refused: list[RejectedRow],
    most: int,
    earlier: int = 0,
) -> None:
    """Send ``items`` into ``done``, leaving out the rows the server refuses (it names each),
    which go to ``refused`` with the reason; stop after ``most`` in all, ``earlier`` of them
    refused by the replay's earlier batches."""
    while items:
        if (refusal := questdb.send([row for _, row in items])) is None:
            done.extend(items)
            return
        index, reason = refusal
        id_, row = items[index]
        refused.append(RejectedRow(id_, row.table, row.to_json(), reason, "server", time.time()))
        if earlier + len(refused) > most:
            raise MetricsError(f"stopped after {most} refused rows: {reason}")
        if index:  # the rows before it may or may not have been stored: again
            _deliver(questdb, items[:index], done, refused, most, earlier)
        items = items[index + 1 :]
