"""The built-in ``metrics`` plugin: record every repository run in QuestDB.

As a run ends (``hammurabi_run_finished``) its rows are appended to the spool. Then the spool is
replayed into QuestDB for at most ``metrics.drain_timeout`` seconds: at once, or, with
``send_later`` (the CLI: once its output is out; a fleet: once for all its repositories), at
:meth:`MetricsPlugin.flush` or as the process exits. What QuestDB did not acknowledge stays
spooled, made durable, for the next run or ``hammurabi metrics flush``; after a failure the
runs of the next ``RETRY_AFTER`` seconds only spool. Nothing here fails the run: errors are
logged. The spool, SQLite and the writer are imported only when metrics are on.
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
    from hammurabi.integrations.metrics.rows import FleetRuns
    from hammurabi.integrations.metrics.spool import ShipReport, Spool
    from hammurabi.loading.settings import Settings

log = logging.getLogger(__name__)

#: After QuestDB could not be reached, runs only spool for this many seconds.
RETRY_AFTER = 30.0


class MetricsPlugin:
    """The plugin the entry point ``metrics`` names: one instance per plugin manager."""

    def __init__(self) -> None:
        self._fleet: FleetRuns | None = None  # the run rows of this process's run ids
        self._lock = threading.Lock()  # one run's rows at a time
        self._down_until = 0.0
        self._unsent: MetricsConfig | None = None  # rows of ours wait in this one's spool
        self._warned = self._said_off = False
        self._questdb: QuestDB | None = None  # its tables made once, for every run
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
        (None if nothing was sent: metrics off, spool only, sent later, or QuestDB down)."""
        if not config.enabled and not config.spool_only:
            if not self._said_off:
                from hammurabi.integrations.metrics.config import OFF

                log.info("metrics off: %s (or set metrics.spool_only to keep rows)", OFF)
                self._said_off = True
            return None
        from hammurabi.integrations.metrics.rows import FleetRuns, run_rows

        self._fleet = self._fleet or FleetRuns()
        rows = run_rows(result, self._fleet)
        with self._lock:
            spool = self._open(config)
            spool.append(rows, durable=not config.enabled)  # else the send makes them durable
            if not config.enabled:
                log.info("metrics: %d row(s) spooled to %s (no QuestDB set)", len(rows), spool.path)
                return None
            if self.send_later:
                if self._unsent is None:
                    atexit.register(self.flush)
                self._unsent = config
                return None
            return self._send(spool, config)

    def flush(self) -> ShipReport | None:
        """Send the rows of this plugin's runs still in the spool (at exit, or at once)."""
        with self._lock:
            config, self._unsent = self._unsent, None
            if config is None:
                return None
            atexit.unregister(self.flush)
            return self._send(self._open(config), config)

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
        found down a moment ago; what is left is made durable."""
        from hammurabi.integrations.metrics.config import UnavailableError
        from hammurabi.integrations.metrics.questdb import QuestDB
        from hammurabi.integrations.metrics.spool import ShipReport

        if time.monotonic() < self._down_until:
            spool.sync()  # what was not acknowledged survives a crash of the machine
            return None
        timeout = max(config.drain_timeout, 0.1)
        until = time.monotonic() + timeout
        try:
            if self._questdb is None or self._questdb.config != config:
                self._questdb = QuestDB(config, timeout=timeout)
                self._questdb.ensure_tables(config.ttl_days)
            report = spool.ship(self._questdb, batch=10_000, lock_timeout=timeout, until=until)
        except UnavailableError as exc:
            self._questdb = None
            report = ShipReport(remaining=spool.state().pending, error=str(exc))
        if report.remaining:
            spool.sync()
        if report.refused:
            log.warning(
                "metrics: %d row(s) refused; kept in %s (`hammurabi metrics status`): %s",
                *(len(report.refused), spool.path, report.refused[0].reason),
            )
        if report.error:
            self._down_until = time.monotonic() + RETRY_AFTER
            log.log(
                logging.INFO if self._warned else logging.WARNING,
                "metrics: %s; rows kept in %s (run `hammurabi metrics flush` later)",
                *(report.error, spool.path),
            )
            self._warned = True
        else:
            log.info(
                "metrics: %d row(s) written to QuestDB, %d left", report.sent, report.remaining
            )
        return report
