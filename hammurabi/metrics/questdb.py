"""Send rows to QuestDB with the ``questdb`` client over HTTP: the only module that imports it.

The client is imported when the first :class:`QuestDBWriter` is made, so commands that never
write (``--help``, ``health``) do not pay for it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from hammurabi.metrics.config import MetricsError, UnavailableError, redact
from hammurabi.metrics.rows import Row
from hammurabi.metrics.schema import TABLES

log = logging.getLogger(__name__)


class RowRejected(MetricsError):
    """The server (HTTP 400) or the client refused a row; ``index`` is its place in the batch.

    ``index`` is None when the server did not say which row it refused.
    """

    def __init__(self, reason: str, index: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.index = index


class QuestDBWriter:
    """Write batches of rows through one reused ``questdb.Sender`` (ILP over HTTP).

    :meth:`send` raises :class:`RowRejected` for bad data and :class:`UnavailableError` when
    the server cannot take the batch now; in both cases the caller still has its rows.
    """

    def __init__(self, conf: str) -> None:
        import questdb

        self._questdb = questdb
        self.conf = conf
        self._sender: Any = None
        self._layouts: dict[str, Callable[[Any, Row], None]] = {}

    def _connect(self) -> Any:
        if self._sender is None:
            sender = self._questdb.Sender.from_conf(self.conf)
            try:
                sender.establish()
            except self._questdb.QuestDBError as exc:
                sender.close()
                where = redact(self.conf)
                raise UnavailableError(f"cannot reach QuestDB at {where}: {exc}") from exc
            self._sender = sender
        return self._sender

    def send(self, rows: Sequence[Row]) -> None:
        """Write ``rows`` in one request (all-or-nothing when they share one table)."""
        if not rows:
            return
        sender = self._connect()
        buffer = sender.new_buffer()
        for index, row in enumerate(rows):
            try:
                self._writer(row.table)(buffer, row)
            except (self._questdb.QuestDBError, TypeError, ValueError, OverflowError) as exc:
                raise RowRejected(f"refused by the client: {exc}", index) from exc
        single_table = len({row.table for row in rows}) == 1
        try:
            sender.flush(buffer, transactional=single_table)
        except self._questdb.QuestDBError as exc:
            rejected = _rejection(exc)
            if rejected is not None:
                raise rejected from exc
            self.close()
            raise UnavailableError(f"QuestDB did not take the rows: {exc}") from exc

    def _writer(self, table: str) -> Callable[[Any, Row], None]:
        """Return a function adding one row of ``table`` to a buffer, typed by the schema."""
        known = self._layouts.get(table)
        if known is not None:
            return known
        schema = TABLES[table]
        symbols = [c.name for c in schema.columns[1:] if c.type == "SYMBOL"]
        stamps = [c.name for c in schema.columns[1:] if c.type == "TIMESTAMP"]
        plain = [c.name for c in schema.columns[1:] if c.type not in ("SYMBOL", "TIMESTAMP")]
        nanos, micros = self._questdb.TimestampNanos, self._questdb.TimestampMicros

        def write(buffer: Any, row: Row) -> None:
            values = row.values
            columns = {name: values[name] for name in plain if values.get(name) is not None}
            for name in stamps:
                if values.get(name) is not None:
                    columns[name] = micros(values[name])
            buffer.row(
                table,
                symbols={name: values[name] for name in symbols if values.get(name) is not None},
                columns=columns,
                at=nanos(row.ts),
            )

        self._layouts[table] = write
        return write

    def close(self) -> None:
        """Close the connection (a later :meth:`send` opens a new one)."""
        sender, self._sender = self._sender, None
        if sender is not None:
            try:
                sender.close()
            except Exception:  # closing flushes nothing we still need
                log.debug("closing the QuestDB sender failed", exc_info=True)


def _rejection(exc: Exception) -> RowRejected | None:
    """Return a RowRejected if ``exc`` is the server refusing data (HTTP 400), else None."""
    text = str(exc)
    start = text.find("{")
    if start < 0:
        return None
    try:
        body = json.loads(text[start:])
    except ValueError:
        return None
    if not isinstance(body, dict) or not ("line" in body or body.get("code") == "invalid"):
        return None
    line = body.get("line")
    index = line - 1 if isinstance(line, int) and line >= 1 else None
    message = str(body.get("message", text)).replace("\n", " ")
    return RowRejected(f"refused by QuestDB: {message}", index)
