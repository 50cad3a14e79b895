"""Send rows to QuestDB with the ``questdb`` client over HTTP: the only module that imports it.

The client is imported when the first :class:`QuestDBWriter` is made, so commands that never
write (``--help``, ``health``) do not pay for it.
"""

from __future__ import annotations

import errno
import json
import logging
import operator
from collections.abc import Callable, Sequence
from typing import Any

from hammurabi.metrics.config import MetricsError, UnavailableError, redact
from hammurabi.metrics.rows import Row
from hammurabi.metrics.schema import TABLES

log = logging.getLogger(__name__)

#: How often a request interrupted by a signal is made (see :func:`_again_if_interrupted`).
INTERRUPTED_TRIES = 10
_INTERRUPTED = f"(os error {errno.EINTR})"  # how the client reports EINTR
#: Adds one row (values in a given column order) to a buffer.
Adder = Callable[[Any, Sequence[Any]], None]
#: What adding a bad value (or a row of an unknown table) raises, besides ``QuestDBError``.
ADD_ERRORS: tuple[type[Exception], ...] = (TypeError, ValueError, OverflowError, KeyError)


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

    Rows go into a buffer (:meth:`new_buffer`, :meth:`adder`) as tuples of values in a
    column order of the caller's choice, so a replay from the spool builds no dicts on the
    way; :meth:`flush` sends a buffer in one request. :meth:`send` does both for
    :class:`Row` objects. A request may hold several tables and is not transactional: a batch
    sent again (after a refused row, or a retry) is stored once thanks to the tables'
    ``DEDUP UPSERT KEYS``. Errors: :class:`RowRejected` for bad data, :class:`UnavailableError`
    when the server cannot take the batch now; in both cases the caller still has its rows.
    """

    def __init__(self, conf: str) -> None:
        import questdb

        self._questdb = questdb
        self.conf = conf
        self._sender: Any = None
        #: What adding a bad value to a buffer raises.
        self.add_errors: tuple[type[Exception], ...] = (*ADD_ERRORS, questdb.QuestDBError)
        self._adders: dict[tuple[str, tuple[str, ...]], Adder] = {}

    def _connect(self) -> Any:
        if self._sender is None:
            sender = self._questdb.Sender.from_conf(self.conf)
            try:
                _again_if_interrupted(sender.establish, self._questdb.QuestDBError)
            except self._questdb.QuestDBError as exc:
                sender.close()
                where = redact(self.conf)
                raise UnavailableError(f"cannot reach QuestDB at {where}: {exc}") from exc
            self._sender = sender
        return self._sender

    def connect(self) -> None:
        """Connect now (a later request reuses the connection); UnavailableError if down."""
        self._connect()

    def new_buffer(self) -> Any:
        """Return an empty buffer for :meth:`adder` functions and :meth:`flush`."""
        return self._connect().new_buffer()

    def send(self, rows: Sequence[Row]) -> None:
        """Write ``rows`` in one request."""
        if rows:
            self.flush(self.buffer_of(rows))

    def buffer_of(self, rows: Sequence[Row]) -> Any:
        """Return a buffer holding ``rows`` (RowRejected for a value the client refuses)."""
        buffer = self.new_buffer()
        for index, row in enumerate(rows):
            names = TABLES[row.table].names
            values = (row.ts, *(row.values.get(name) for name in names[1:]))
            try:
                self.adder(row.table, names)(buffer, values)
            except self.add_errors as exc:
                raise RowRejected(f"refused by the client: {exc}", index) from exc
        return buffer

    def flush(self, buffer: Any) -> None:
        """Send ``buffer`` in one request; it is cleared if the request succeeded.

        A request that a signal interrupted is sent again (see :func:`_again_if_interrupted`);
        rows that had arrived are stored once.
        """
        sender = self._connect()
        try:
            _again_if_interrupted(
                lambda: sender.flush(buffer, transactional=False), self._questdb.QuestDBError
            )
        except self._questdb.QuestDBError as exc:
            rejected = _rejection(exc)
            if rejected is not None:
                raise rejected from exc
            self.close()
            raise UnavailableError(f"QuestDB did not take the rows: {exc}") from exc

    def adder(self, table: str, columns: Sequence[str]) -> Adder:
        """Return ``add(buffer, values)`` writing one row of ``table``, typed by the schema.

        ``values`` holds the values of ``columns`` (``ts`` among them), None for no value.
        Raises what :data:`ADD_ERRORS` lists, or ``questdb.QuestDBError``, for a bad value.
        """
        key = (table, tuple(columns))
        known = self._adders.get(key)
        if known is not None:
            return known
        schema = TABLES[table]
        where = {name: index for index, name in enumerate(columns)}
        ts_at = where["ts"]

        def of(*types: str) -> tuple[tuple[str, ...], Callable[[Sequence[Any]], tuple[Any, ...]]]:
            """Names of the columns of these types, and a getter of their values (C speed)."""
            names = tuple(c.name for c in schema.columns[1:] if c.type in types)
            places = [where[name] for name in names]
            if len(places) > 1:
                return names, operator.itemgetter(*places)
            return names, lambda values: tuple(values[i] for i in places)

        # None values are skipped by the client, so the dicts are built without filtering;
        # zip() is not strict: the getters return exactly as many values as there are names.
        symbol_names, symbol_values = of("SYMBOL")
        plain_names, plain_values = of("VARCHAR", "LONG", "DOUBLE")
        flags = [(c.name, where[c.name]) for c in schema.columns[1:] if c.type == "BOOLEAN"]
        stamps = [(c.name, where[c.name]) for c in schema.columns[1:] if c.type == "TIMESTAMP"]
        nanos, micros = self._questdb.TimestampNanos, self._questdb.TimestampMicros

        def add(buffer: Any, values: Sequence[Any]) -> None:
            cols = dict(zip(plain_names, plain_values(values)))  # noqa: B905
            for name, i in flags:
                if values[i] is not None:
                    cols[name] = values[i] == 1  # SQLite gives 0/1
            for name, i in stamps:
                if values[i] is not None:
                    cols[name] = micros(values[i])
            buffer.row(
                table,
                symbols=dict(zip(symbol_names, symbol_values(values))),  # noqa: B905
                columns=cols,
                at=nanos(values[ts_at]),
            )

        self._adders[key] = add
        return add

    def close(self) -> None:
        """Close the connection (a later :meth:`send` opens a new one)."""
        sender, self._sender = self._sender, None
        if sender is not None:
            try:
                sender.close()
            except Exception:  # closing flushes nothing we still need
                log.debug("closing the QuestDB sender failed", exc_info=True)


def _again_if_interrupted(request: Callable[[], object], error: type[Exception]) -> None:
    """Make ``request``; again, up to :data:`INTERRUPTED_TRIES` times, while it fails with
    EINTR, which the client does not retry (a signal handled while the thread waits, or the
    process frozen and thawed). Other errors, and the last one, are raised."""
    for attempt in range(1, INTERRUPTED_TRIES + 1):
        try:
            request()
            return
        except error as exc:
            if _INTERRUPTED not in str(exc) or attempt == INTERRUPTED_TRIES:
                raise
            log.debug("a signal interrupted a request to QuestDB; making it again")


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
