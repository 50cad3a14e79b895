"""The built-in ``metrics`` plugin: record every repository run in QuestDB.

``hammurabi_run_starting`` has a :class:`Shipper` start a courier process
(:mod:`hammurabi.metrics.courier`) that imports the client, creates the tables and connects
while the rules run, on another CPU and without taking the run's interpreter lock (on a
single CPU the shipper's thread does that itself). ``hammurabi_run_finished`` turns
the run's record into rows (validated here; a row that fails validation is kept in the spool's
``rejected`` table with the reason) and appends them to the spool in the run's own thread, in
one short SQLite transaction without an fsync: the rows survive a crash of the process at once.
The shipper's thread then fsyncs the spool (so they survive a crash of the machine) and
replays it into QuestDB (through the courier if there is one, else itself: in a fleet run,
which forks workers, or after the courier died), at once for the first run of a process and
then at most every ``SHIP_EVERY`` seconds while runs keep coming (a fleet run sends many
repositories' rows per request). The run never waits for the disk or the network, and its
thread and the shipper's rarely contend for the interpreter. At exit the process waits up to
``metrics.drain_timeout`` seconds for the sync and the sending; rows not acknowledged by then
stay in the spool for the next run or ``hammurabi metrics flush`` (a courier still sending
finishes its replay). Nothing here ever fails the run: errors are logged.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hammurabi.errors import ConfigError
from hammurabi.metrics.config import MetricsConfig, UnavailableError, redact
from hammurabi.metrics.link import Link
from hammurabi.metrics.rows import FleetRuns, Row, RowError, run_rows, validate
from hammurabi.metrics.spool import ShipReport, Spool
from hammurabi.plugin import hookimpl
from hammurabi.results import RunResult
from hammurabi.settings import Settings

if TYPE_CHECKING:
    from hammurabi.metrics.courier import Courier

log = logging.getLogger(__name__)

#: After QuestDB was unreachable, runs of this process only spool for this many seconds.
RETRY_AFTER = 30.0
#: While runs keep coming, spooled rows are sent at most this often (seconds), so a fleet
#: run sends the rows of many repositories per request; a drain (at exit) sends at once.
SHIP_EVERY = 1.0

Refused = tuple[str, str, str]  # (table, row JSON, reason)


def build_rows(
    result: RunResult, fleet: FleetRuns | None = None
) -> tuple[list[Row], list[Refused]]:
    """Return the run's valid rows and the refused ones with their reasons."""
    rows: list[Row] = []
    refused: list[Refused] = []
    for row in run_rows(result, fleet):
        try:
            rows.append(validate(row))
        except RowError as exc:
            text = json.dumps({"ts": row.ts, **row.values}, default=str)
            refused.append((row.table, text, f"refused by validation: {exc}"))
    return rows, refused


def _usable_cpus() -> int:
    """How many CPUs this thread may run on (all of them where that cannot be asked)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


@dataclass
class ShipperStats:
    """What a shipper did so far in this process."""

    submitted: int = 0
    spooled: int = 0
    ships: int = 0
    sent: int = 0
    rejected: int = 0
    last_error: str | None = None
    last_report: ShipReport | None = field(default=None, repr=False)


class Shipper:
    """Spool rows in the caller's thread, sync and send them in a background thread.

    See the module docstring. The caller's append skips the fsync (the thread does it), so
    a run's end costs a short SQLite transaction and never waits for the disk or the network.
    """

    def __init__(self, config: MetricsConfig) -> None:
        self.config = config
        self.stats = ShipperStats()
        self._cond = threading.Condition()
        self._local = threading.local()  # each calling thread's spool connection
        self._busy = False
        self._unsynced = False  # appended without an fsync yet
        self._unsent = False  # spooled by this shipper and not sent yet
        self._warm = False  # asked to get ready (courier, or client and tables) before rows
        self._warmed = False  # warm() was called
        self._down_until = 0.0
        self._warned_down = False
        self._closing = False
        self._draining = 0
        self._next_ship = 0.0
        self._link = Link(config)
        self._courier: Courier | None = None
        self._thread = threading.Thread(target=self._loop, name="hammurabi-metrics", daemon=True)
        self._thread.start()

    @property
    def courier_pid(self) -> int | None:
        """The process id of the courier sending this shipper's rows, if one does."""
        return None if self._courier is None else self._courier.pid

    def warm(self) -> None:
        """Start a courier process that gets ready to send (see ``_get_ready``); returns at once.

        Called as a run starts, so the run's end only spools and has the courier send. Only
        the first call does anything: the rows that earlier processes left are sent then, and
        the rows of later runs in this process every ``SHIP_EVERY`` seconds, not as each run
        starts.
        """
        if self.config.enabled and not self._warmed:
            with self._cond:
                self._warm = self._warmed = True
                self._cond.notify_all()

    def submit(self, rows: list[Row], refused: list[Refused]) -> None:
        """Append a run's rows to the spool (no fsync: the thread syncs), wake the thread."""
        spool = getattr(self._local, "spool", None)
        if spool is None:
            spool = self._local.spool = Spool(self.config.spool)
        self._spool(spool, rows, refused)
        with self._cond:
            self.stats.submitted += len(rows)
            self._unsynced = True
            self._unsent = self._unsent or (self.config.enabled and bool(rows))
            self._cond.notify_all()

    def drain(self, timeout: float) -> bool:
        """Wait until every row submitted was synced and a send was tried; True if so."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._draining += 1
            self._cond.notify_all()
            try:
                while self._unsynced or self._unsent or self._busy or self._warm:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
            finally:
                self._draining -= 1
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Drain, then stop the thread."""
        self.drain(timeout)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._courier is not None:
            self._courier.close()
        spool = getattr(self._local, "spool", None)
        if spool is not None:
            self._local.spool = None
            spool.close()

    def _wait_for_work(self) -> tuple[bool, bool, bool] | None:
        """Wait for something to do: (sync, send, warm); None when closing with nothing left."""
        with self._cond:
            while True:
                due = bool(self._draining) or self._closing or time.monotonic() >= self._next_ship
                if self._unsynced or (self._unsent and due) or self._warm:
                    break
                if self._closing:
                    return None
                wait = max(self._next_ship - time.monotonic(), 0.001) if self._unsent else None
                self._cond.wait(wait)
            sync, send, warm = self._unsynced, self._unsent and due, self._warm
            self._unsynced = self._warm = False
            if send:
                self._unsent = False
            self._busy = True
            return sync, send, warm

    def _loop(self) -> None:
        spool: Spool | None = None
        while (work := self._wait_for_work()) is not None:
            sync, send, warm = work
            try:
                spool = spool or Spool(self.config.spool)
                if sync:
                    spool.sync()
                if warm:
                    self._get_ready()
                    send = send or bool(spool.pending(1))  # what earlier runs left
                if send and self.config.enabled and time.monotonic() >= self._down_until:
                    self._next_ship = time.monotonic() + SHIP_EVERY
                    self._report(self._ship(spool))
            except UnavailableError as exc:
                self._unavailable(str(exc))
            except Exception as exc:  # never let the thread die
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("metrics: shipping rows failed")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        self._link.close()
        if spool is not None:
            spool.close()

    def _get_ready(self) -> None:
        """Start the courier; on a single CPU, where it would only compete with the run, or
        if it cannot start, import the client and connect in this thread instead. Called once
        per shipper (see :meth:`warm`)."""
        if _usable_cpus() > 1:
            from hammurabi.metrics.courier import Courier, CourierGone

            try:
                self._courier = Courier(self.config)
                return
            except (OSError, CourierGone) as exc:
                log.debug("metrics: no courier process (%s); sending from this process", exc)
        if time.monotonic() < self._down_until:
            return
        try:
            self._link.connect()
        except UnavailableError as exc:  # the send tries again
            log.debug("metrics: not ready yet: %s", exc)

    def _ship(self, spool: Spool) -> ShipReport:
        """Replay the spool through the courier if there is one, else from this thread."""
        if self._courier is not None:
            from hammurabi.metrics.courier import CourierGone

            try:
                return self._courier.ship()
            except CourierGone as exc:
                log.debug("metrics: %s; sending from this process", exc)
                self._courier = None
        return spool.ship(self._link.connect(), lock_timeout=5.0)

    def _spool(self, spool: Spool, rows: list[Row], refused: list[Refused]) -> None:
        if refused:
            spool.reject(refused, "client")
            self.stats.rejected += len(refused)
            log.warning(
                "metrics: %d row(s) refused by validation and kept in %s: %s",
                len(refused),
                spool.path,
                refused[0][2],
            )
        self.stats.spooled += spool.append(rows, durable=False)
        if not self.config.enabled:
            log.info("metrics: %d row(s) spooled to %s (no QuestDB set)", len(rows), spool.path)

    def _report(self, report: ShipReport) -> None:
        self.stats.last_report = report
        self.stats.ships += 1
        self.stats.sent += report.sent
        self.stats.rejected += len(report.rejected)
        if report.rejected:
            log.warning(
                "metrics: QuestDB refused %d row(s); kept in %s (see `hammurabi metrics "
                "status`): %s",
                len(report.rejected),
                self.config.spool,
                report.rejected[0].reason,
            )
        if report.error:
            self._unavailable(report.error)
        else:
            log.info("metrics: %d row(s) written to QuestDB", report.sent)

    def _unavailable(self, error: str) -> None:
        self.stats.last_error = error
        self._down_until = time.monotonic() + RETRY_AFTER
        level = logging.INFO if self._warned_down else logging.WARNING
        self._warned_down = True
        log.log(
            level,
            "metrics: %s; rows kept in %s (run `hammurabi metrics flush` later)",
            error,
            self.config.spool,
        )


class MetricsPlugin:
    """The plugin object registered under the entry point ``metrics``."""

    def __init__(self) -> None:
        self.fleet = FleetRuns()
        self._shippers: dict[tuple[str, str, bool], Shipper] = {}
        self._lock = threading.Lock()
        self._said_off = False
        self._atexit = False

    def shipper(self, config: MetricsConfig) -> Shipper:
        """Return this process's shipper for ``config``, starting it if needed."""
        key = (config.conf, str(config.spool), config.spool_only)
        with self._lock:
            shipper = self._shippers.get(key)
            if shipper is None:
                shipper = self._shippers[key] = Shipper(config)
                if not self._atexit:
                    atexit.register(self.drain)
                    self._atexit = True
            return shipper

    def drain(self, timeout: float | None = None) -> bool:
        """Wait for every shipper (each up to its ``drain_timeout``); True if all finished."""
        with self._lock:
            shippers = list(self._shippers.values())
        done = True
        for shipper in shippers:
            wait = shipper.config.drain_timeout if timeout is None else timeout
            done = shipper.drain(wait) and done
        return done

    def close(self) -> None:
        """Drain and stop every shipper (tests and benchmarks; exit only drains)."""
        with self._lock:
            shippers, self._shippers = list(self._shippers.values()), {}
        for shipper in shippers:
            shipper.close(shipper.config.drain_timeout)

    @hookimpl
    def hammurabi_run_starting(self, settings: Settings) -> None:
        """Get the shipper ready in the background (never raises)."""
        try:
            config = MetricsConfig.from_settings(settings.metrics)
            if config.enabled:
                self.shipper(config).warm()
        except ConfigError:
            pass  # said when the run finishes
        except Exception:
            log.exception("metrics: getting ready failed")

    @hookimpl
    def hammurabi_run_finished(self, result: RunResult, settings: Settings) -> None:
        """Record the repository run (never raises)."""
        try:
            self.record(result, MetricsConfig.from_settings(settings.metrics))
        except ConfigError as exc:
            log.warning("metrics off: %s", exc)
        except Exception:
            log.exception("metrics: recording the run failed")

    def record(self, result: RunResult, config: MetricsConfig) -> Shipper | None:
        """Build the run's rows and queue them; return the shipper (None if metrics are off)."""
        if not config.enabled and not config.spool_only:
            if not self._said_off:
                log.info(
                    "metrics off: no QuestDB configured (--metrics, HAMMURABI_QUESTDB_CONF or "
                    "[tool.hammurabi.metrics] conf); set metrics.spool_only to keep rows"
                )
                self._said_off = True
            return None
        rows, refused = build_rows(result, self.fleet)
        shipper = self.shipper(config)
        shipper.submit(rows, refused)
        if config.enabled:
            log.debug("metrics: %d row(s) queued for %s", len(rows), redact(config.conf))
        return shipper


#: The instance the ``hammurabi`` entry point ``metrics`` names.
plugin = MetricsPlugin()
