"""The way to one QuestDB: its tables checked once, then a connected writer.

Used by a run's shipper thread and by a courier process alike; the courier imports this module
rather than the plugin's, so it loads only what sending needs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from hammurabi.metrics.config import MetricsConfig

if TYPE_CHECKING:
    from hammurabi.metrics.questdb import QuestDBWriter

log = logging.getLogger(__name__)


class Link:
    """A writer for one QuestDB, connected after the tables were checked once."""

    def __init__(self, config: MetricsConfig) -> None:
        self.config = config
        self._writer: QuestDBWriter | None = None
        self._ensured = False

    def connect(self) -> QuestDBWriter:
        """Return the writer, connected (UnavailableError if QuestDB cannot be reached)."""
        if not self._ensured:
            from hammurabi.metrics.read import QuestDBHttp

            with QuestDBHttp.from_config(self.config, timeout=10.0, light=True) as http:
                created = http.ensure_tables(self.config.ttl_days)
            if created:
                log.info("metrics: created tables %s", ", ".join(created))
            self._ensured = True
        if self._writer is None:
            from hammurabi.metrics.questdb import QuestDBWriter

            self._writer = QuestDBWriter(self.config.conf)
        self._writer.connect()
        return self._writer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
