"""The built-in ``metrics`` plugin: record every repository run in QuestDB.

When a run ends (``hammurabi_run_finished``) its record becomes rows, validated here (a row
that fails is kept in the spool's ``rejected`` table with the reason); the rows are appended
to the spool, and the spool is replayed into QuestDB for at most ``metrics.drain_timeout``
seconds (a request under way may take that long again): at once, unless an earlier run of
this process sent less than ``SEND_EVERY`` seconds ago (a fleet), in which case the rows go
with a later run or as the process exits (:meth:`MetricsPlugin.flush`). What QuestDB did not
acknowledge stays in the spool, made durable, for the next run or ``hammurabi metrics
flush``; after a failure, the runs of the next ``RETRY_AFTER`` seconds only spool (a fleet
does not wait for a server that is down once per repository). Nothing here ever fails the
run: errors are logged.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import time
from typing import TYPE_CHECKING

from hammurabi.core.errors import ConfigError
from hammurabi.core.hooks import hookimpl
from hammurabi.core.results import RunResult
from hammurabi.integrations.metrics.config import MetricsConfig, UnavailableError
from hammurabi.integrations.metrics.rows import FleetRuns, Row, RowError, run_rows, validate
from hammurabi.integrations.metrics.spool import ShipReport, Spool
from hammurabi.loading.settings import Settings

if TYPE_CHECKING:
    from hammurabi.integrations.metrics.questdb import QuestDB

log = logging.getLogger(__name__)

#: After QuestDB could not be reached, runs only spool for this many seconds.
RETRY_AFTER = 30.0
#: While runs keep ending (a fleet), their rows are sent at most this often, so QuestDB
#: takes many repositories' rows per transaction; what is left goes as the process exits.
SEND_EVERY = 5.0

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


class MetricsPlugin:
    """The plugin the entry point ``metrics`` names: one instance per plugin manager."""

    def __init__(self) -> None:
        self.fleet = FleetRuns()
        #: What the last replay did (None before one, or while QuestDB is taken for down).
        self.last_report: ShipReport | None = None
        self._lock = threading.Lock()  # one run's rows at a time
        self._down_until = self._next_send = 0.0
        self._unsent: MetricsConfig | None = None  # rows of ours wait in this one's spool
        self._warned = self._said_off = False
        self._questdb: QuestDB | None = None  # connected once, for every run
        self._spool: Spool | None = None  # opened once, for every run

    @hookimpl
    def hammurabi_run_finished(self, result: RunResult, settings: Settings) -> None:
        """Record the repository run (never raises)."""
        try:
            self.record(result, MetricsConfig.from_settings(settings.metrics))
        except ConfigError as exc:
            log.warning("metrics off: %s", exc)
        except Exception:
            log.exception("metrics: recording the run failed")

    def record(self, result: RunResult, config: MetricsConfig) -> ShipReport | None:
        """Spool the run's rows and send what the spool holds; return what the replay did
        (None if nothing was sent: metrics off, spool only, or QuestDB taken for down)."""
        if not config.enabled and not config.spool_only:
            if not self._said_off:
                log.info(
                    "metrics off: no QuestDB configured (--metrics, HAMMURABI_QUESTDB_CONF or "
                    "[tool.hammurabi.metrics] conf); set metrics.spool_only to keep rows"
                )
                self._said_off = True
            return None
        rows, refused = build_rows(result, self.fleet)
        with self._lock:
            spool = self._open(config)
            if refused:
                spool.reject(refused, "client")
                log.warning(
                    "metrics: %d row(s) refused by validation and kept in %s: %s",
                    len(refused),
                    spool.path,
                    refused[0][2],
                )
            spool.append(rows, durable=False)
            report = None
            if config.enabled and time.monotonic() >= self._next_send:
                report = self._send(spool, config)
            elif config.enabled and self._unsent is None:
                self._unsent = config
                atexit.register(self.flush)
            if report is None or report.remaining:
                spool.sync()  # what was not acknowledged survives a crash of the machine
        if not config.enabled:
            log.info("metrics: %d row(s) spooled to %s (no QuestDB set)", len(rows), spool.path)
        return report

    def flush(self) -> ShipReport | None:
        """Send the rows of this plugin's runs still in the spool (at exit, or at once)."""
        with self._lock:
            config, self._unsent = self._unsent, None
            if config is None:
                return None
            atexit.unregister(self.flush)
            spool = self._open(config)
            report = self._send(spool, config)
            if report is None or report.remaining:
                spool.sync()
        return report

    def _open(self, config: MetricsConfig) -> Spool:
        """The spool of ``config``, opened once (a fleet's runs share it), closed at exit."""
        if self._spool is None or self._spool.path != config.spool:
            self._close()
            self._spool = Spool(config.spool)
            atexit.register(self._close)  # after flush, which is registered later
        return self._spool

    def _close(self) -> None:
        spool, self._spool = self._spool, None
        if spool is not None:
            atexit.unregister(self._close)
            spool.close()

    def _connection(self, config: MetricsConfig, timeout: float) -> QuestDB:
        """The connection to ``config``'s QuestDB, its tables made the first time."""
        from hammurabi.integrations.metrics.questdb import QuestDB

        if self._questdb is None or self._questdb.config != config:
            questdb = QuestDB(config, timeout=timeout)
            created = questdb.ensure_tables(config.ttl_days)
            if created:
                log.info("metrics: created tables %s", ", ".join(created))
            self._questdb = questdb
        return self._questdb

    def _send(self, spool: Spool, config: MetricsConfig) -> ShipReport | None:
        """Replay the spool into QuestDB, unless it was found down a moment ago."""
        if time.monotonic() < self._down_until:
            return None
        self._next_send = time.monotonic() + SEND_EVERY
        timeout = max(config.drain_timeout, 0.1)
        try:
            until = time.monotonic() + timeout
            questdb = self._connection(config, timeout)
            report = spool.ship(questdb, batch=10_000, lock_timeout=timeout, until=until)
        except UnavailableError as exc:
            report = ShipReport(remaining=spool.state().pending, error=str(exc))
        self.last_report = report
        if report.rejected:
            log.warning(
                "metrics: QuestDB refused %d row(s); kept in %s (see `hammurabi metrics "
                "status`): %s",
                len(report.rejected),
                spool.path,
                report.rejected[0].reason,
            )
        if report.error:
            self._down_until = time.monotonic() + RETRY_AFTER
            log.log(
                logging.INFO if self._warned else logging.WARNING,
                "metrics: %s; rows kept in %s (run `hammurabi metrics flush` later)",
                report.error,
                spool.path,
            )
            self._warned = True
        else:
            log.info(
                "metrics: %d row(s) written to QuestDB, %d left", report.sent, report.remaining
            )
        return report
