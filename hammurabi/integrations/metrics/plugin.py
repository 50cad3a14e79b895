"""The built-in ``metrics`` plugin: record every repository run in QuestDB.

As a run ends (``hammurabi_run_finished``) its rows are validated (a refused row is kept in the
spool's ``rejected`` table with the reason), appended to the spool and, unless this process
sent less than ``SEND_EVERY`` seconds ago (a fleet: those rows go with a later run or as the
process exits), the spool is replayed into QuestDB for at most ``metrics.drain_timeout``
seconds. What QuestDB did not acknowledge stays spooled, made durable, for the next run or
``hammurabi metrics flush``; after a failure the runs of the next ``RETRY_AFTER`` seconds only
spool. Nothing here fails the run: errors are logged. The spool, SQLite and the writer are
imported only when metrics are on, so a run without them pays nothing.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from typing import TYPE_CHECKING

from hammurabi.core.hooks import hookimpl

if TYPE_CHECKING:
    from hammurabi.core.results import RunResult
    from hammurabi.integrations.metrics.config import MetricsConfig
    from hammurabi.integrations.metrics.questdb import QuestDB
    from hammurabi.integrations.metrics.rows import FleetRuns, Row
    from hammurabi.integrations.metrics.spool import ShipReport, Spool
    from hammurabi.loading.settings import Settings

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
    from hammurabi.integrations.metrics.rows import RowError, run_rows, validate

    rows: list[Row] = []
    refused: list[Refused] = []
    for row in run_rows(result, fleet):
        try:
            rows.append(validate(row))
        except RowError as exc:
            refused.append((row.table, row.to_json(), f"refused by validation: {exc}"))
    return rows, refused


class MetricsPlugin:
    """The plugin the entry point ``metrics`` names: one instance per plugin manager."""

    def __init__(self) -> None:
        self._fleet: FleetRuns | None = None  # the run rows of this process's run ids
        self._lock = threading.Lock()  # one run's rows at a time
        self._down_until = self._next_send = 0.0
        self._unsent: MetricsConfig | None = None  # rows of ours wait in this one's spool
        self._warned = self._said_off = False
        self._questdb: QuestDB | None = None  # connected once, for every run
        self._spool: Spool | None = None  # opened once, for every run; closed at exit
        #: Only spool as runs end; :meth:`flush` sends (the CLI's, once its output is out).
        self.send_later = False

    @hookimpl
    def hammurabi_run_finished(self, result: RunResult, settings: Settings) -> None:
        """Record the repository run (never raises)."""
        from hammurabi.core.errors import ConfigError
        from hammurabi.integrations.metrics.config import MetricsConfig

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
        from hammurabi.integrations.metrics.rows import FleetRuns

        self._fleet = self._fleet or FleetRuns()
        rows, refused = build_rows(result, self._fleet)
        with self._lock:
            spool = self._open(config)
            if refused:
                spool.reject(refused, "client")
                log.warning(
                    "metrics: %d row(s) refused by validation and kept in %s: %s",
                    *(len(refused), spool.path, refused[0][2]),
                )
            spool.append(rows, durable=False)
            report = None
            if config.enabled and not self.send_later and time.monotonic() >= self._next_send:
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
        from hammurabi.integrations.metrics.spool import Spool

        if self._spool is None or self._spool.path != config.spool:
            self._close()
            self._spool = Spool(config.spool)
            atexit.register(self._close)  # runs after flush, which is registered later
        return self._spool

    def _close(self) -> None:
        spool, self._spool = self._spool, None
        if spool is not None:
            atexit.unregister(self._close)
            spool.close()

    def _send(self, spool: Spool, config: MetricsConfig) -> ShipReport | None:
        """Replay the spool into QuestDB (its tables made the first time), unless it was
        found down a moment ago."""
        from hammurabi.integrations.metrics.config import UnavailableError
        from hammurabi.integrations.metrics.questdb import QuestDB
        from hammurabi.integrations.metrics.spool import ShipReport

        if time.monotonic() < self._down_until:
            return None
        self._next_send = time.monotonic() + SEND_EVERY
        timeout = max(config.drain_timeout, 0.1)
        until = time.monotonic() + timeout
        try:
            if self._questdb is None or self._questdb.config != config:
                self._questdb = QuestDB(config, timeout=timeout)
                if created := self._questdb.ensure_tables(config.ttl_days):
                    log.info("metrics: created tables %s", ", ".join(created))
            report = spool.ship(self._questdb, batch=10_000, lock_timeout=timeout, until=until)
        except UnavailableError as exc:
            self._questdb = None
            report = ShipReport(remaining=spool.state().pending, error=str(exc))
        if report.rejected:
            log.warning(
                "metrics: QuestDB refused %d row(s); kept in %s (`hammurabi metrics status`): %s",
                *(len(report.rejected), spool.path, report.rejected[0].reason),
            )
        if report.error:
            self._down_until = time.monotonic() + RETRY_AFTER
            level = logging.INFO if self._warned else logging.WARNING
            log.log(
                level,
                "metrics: %s; rows kept in %s (run `hammurabi metrics flush` later)",
                *(report.error, spool.path),
            )
            self._warned = True
        else:
            log.info(
                "metrics: %d row(s) written to QuestDB, %d left", report.sent, report.remaining
            )
        return report
