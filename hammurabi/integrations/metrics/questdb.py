"""QuestDB, the only module that talks to it: rows go in through the ``questdb`` client
(ILP over HTTP), SQL goes to ``/exec`` with the standard library's ``http.client``.

Not httpx for SQL: a run's end checks the tables, and importing httpx and making its first
client cost 0.1 to 0.3 s, a tenth of the run or more (the client's import is hidden in a
thread, see the plugin). The ``questdb`` client is imported when first used.

``/exec`` has no parameter binding, so every value put into SQL goes through
:func:`quote_literal` (single quotes doubled; QuestDB has no backslash escapes) or
:func:`ts_literal`; table and column names are constants of this package.
"""

from __future__ import annotations

import json
import logging
import operator
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from typing import Any
from urllib.parse import urlencode, urlsplit

from hammurabi.core.errors import ConfigError
from hammurabi.integrations.metrics.config import (
    MetricsConfig,
    MetricsError,
    QueryError,
    UnavailableError,
    parse_conf,
    redact,
)
from hammurabi.integrations.metrics.schema import COLUMNS, TABLES

log = logging.getLogger(__name__)

#: Adds one row, ``(key, table, *values in COLUMNS order)``, to a client buffer.
Adder = Callable[[Any, Sequence[Any]], None]


class RowRejected(MetricsError):
    """The server (HTTP 400) or the client refused a row; ``index`` is its place in the batch,
    None when the server did not say which row."""

    def __init__(self, reason: str, index: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.index = index


def quote_literal(value: str) -> str:
    """Quote ``value`` as a QuestDB string literal: ``'`` doubled, NUL refused."""
    if not isinstance(value, str):
        raise TypeError(f"expected text, not {type(value).__name__}")
    if "\x00" in value:
        raise ConfigError("a filter value must not contain a NUL character")
    return "'" + value.replace("'", "''") + "'"


def ts_literal(moment: datetime) -> str:
    """Format ``moment`` as a UTC timestamp literal (microseconds)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return "'" + moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") + "'"


def in_list(column: str, values: Sequence[str]) -> str:
    """Return ``column IN ('a', 'b')`` with every value quoted."""
    return f"{column} IN ({', '.join(quote_literal(v) for v in values)})"


class QuestDB:
    """One QuestDB server: SQL over ``/exec`` and rows through one reused ``questdb.Sender``.

    ``timeout`` (seconds) bounds each request, and the client's retries of a request the
    server could not take, unless the conf string sets ``request_timeout``/``retry_timeout``.
    Writes are not transactional: a batch sent again (after a refused row, a retry, a replay)
    is stored once thanks to the tables' ``DEDUP UPSERT KEYS``.
    """

    def __init__(self, config: MetricsConfig, *, timeout: float = 30.0) -> None:
        self.config = config
        self.url, self._headers = config.http()
        self._timeout = timeout
        self._sender: Any = None
        self._adders: dict[str, Adder] = {}

    def __enter__(self) -> QuestDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the sender's connection (it is opened again when needed)."""
        sender, self._sender = self._sender, None
        if sender is not None:
            try:
                sender.close()
            except Exception:  # closing flushes nothing we still need
                log.debug("closing the QuestDB sender failed", exc_info=True)

    # ------------------------------------------------------------------ SQL

    def exec(self, sql: str) -> dict[str, Any]:
        """Run ``sql``; raise :class:`QueryError` (HTTP 400) or :class:`UnavailableError`."""
        parts = urlsplit(self.url)
        kind = HTTPSConnection if parts.scheme == "https" else HTTPConnection
        connection = kind(parts.hostname or "", parts.port, timeout=self._timeout)
        try:
            connection.request(
                "GET", f"{parts.path}/exec?{urlencode({'query': sql})}", headers=self._headers
            )
            response = connection.getresponse()
            status, text = response.status, response.read().decode("utf-8", "replace")
        except (OSError, HTTPException) as exc:
            raise UnavailableError(f"cannot reach QuestDB at {self.url}: {exc}") from exc
        finally:
            connection.close()
        if status == 400:
            try:
                body = json.loads(text)
            except ValueError:
                body = {"error": text}
            raise QueryError(sql, body.get("error", text), body.get("position"))
        if status != 200:
            raise UnavailableError(f"QuestDB at {self.url} answered {status}: {text[:200]}")
        result: dict[str, Any] = json.loads(text)
        return result

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """Run ``sql`` and return its rows as dicts keyed by column name."""
        result = self.exec(sql)
        names = [column["name"] for column in result.get("columns", [])]
        return [dict(zip(names, row, strict=True)) for row in result.get("dataset", [])]

    def tables(self) -> set[str]:
        """Return the names of the existing tables."""
        return {row["table_name"] for row in self.rows("SELECT table_name FROM tables()")}

    def ensure_tables(self, ttl_days: int, *, set_ttl: bool = False) -> list[str]:
        """Create the missing Hammurabi tables (with ``set_ttl``, set the others' retention);
        return the names of the tables created."""
        existing = self.tables()
        created = []
        for table in TABLES.values():
            if table.name not in existing:
                self.exec(table.create_sql(ttl_days))
                created.append(table.name)
            elif set_ttl:
                self.exec(table.ttl_sql(ttl_days))
        return created

    def wait_applied(self, table: str, timeout: float = 30.0) -> bool:
        """Wait until the table's WAL is applied (rows written are visible); False on timeout."""
        sql = (
            f"SELECT writerTxn, sequencerTxn FROM wal_tables() WHERE name = {quote_literal(table)}"
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dataset = self.exec(sql).get("dataset", [])
            if dataset and dataset[0][0] == dataset[0][1]:
                return True
            time.sleep(0.02)
        return False

    # ------------------------------------------------------------------ rows

    def _connect(self) -> Any:
        import questdb

        if self._sender is None:
            _, params = parse_conf(self.config.conf)
            conf = self.config.conf.rstrip().rstrip(";") + ";"
            for key in ("request_timeout", "retry_timeout"):
                if key not in params:
                    conf += f"{key}={max(int(self._timeout * 1000), 1)};"
            sender = questdb.Sender.from_conf(conf)
            try:
                sender.establish()
            except questdb.QuestDBError as exc:
                sender.close()
                raise UnavailableError(
                    f"cannot reach QuestDB at {redact(self.config.conf)}: {exc}"
                ) from exc
            self._sender = sender
        return self._sender

    def send(self, items: Sequence[Sequence[Any]]) -> None:
        """Write ``items`` in one request: each is ``(key, table, *values)``, with the values
        of :data:`~hammurabi.integrations.metrics.schema.COLUMNS` (None: no value); the key is
        the caller's.

        Raises :class:`RowRejected` for a row the client or the server refuses, and
        :class:`UnavailableError` when the server cannot take the rows now.
        """
        import questdb

        sender = self._connect()
        buffer = sender.new_buffer()
        for index, item in enumerate(items):
            try:
                (self._adders.get(item[1]) or self._adder(item[1]))(buffer, item)
            except (TypeError, ValueError, OverflowError, KeyError, questdb.QuestDBError) as exc:
                raise RowRejected(f"refused by the client: {exc}", index) from exc
        try:
            sender.flush(buffer, transactional=False)
        except questdb.QuestDBError as exc:
            rejected = _rejection(exc)
            if rejected is not None:
                raise rejected from exc
            self.close()
            raise UnavailableError(f"QuestDB did not take the rows: {exc}") from exc

    def _adder(self, table: str) -> Adder:
        """Return ``add(buffer, item)`` writing one row of ``table``, typed by the schema;
        None values are left out (the client skips them in dicts)."""
        import questdb

        schema = TABLES[table]
        where = {name: index for index, name in enumerate(("_key", "_table", *COLUMNS))}
        ts_at = where["ts"]
        by_type: dict[str, list[str]] = {}
        for column in schema.columns[1:]:
            by_type.setdefault(column.type, []).append(column.name)
        symbol_names = tuple(by_type.get("SYMBOL", ()))
        plain_names = tuple(
            name for kind in ("VARCHAR", "LONG", "DOUBLE") for name in by_type.get(kind, ())
        )
        symbols, plain = (
            _getter([where[name] for name in names]) for names in (symbol_names, plain_names)
        )
        flags = [(name, where[name]) for name in by_type.get("BOOLEAN", ())]
        stamps = [(name, where[name]) for name in by_type.get("TIMESTAMP", ())]
        nanos, micros = questdb.TimestampNanos, questdb.TimestampMicros

        def add(buffer: Any, values: Sequence[Any]) -> None:
            cols = dict(zip(plain_names, plain(values), strict=True))
            for name, i in flags:
                if values[i] is not None:
                    cols[name] = values[i] == 1  # True, or SQLite's 1
            for name, i in stamps:
                if values[i] is not None:
                    cols[name] = micros(values[i])
            symbol_values = dict(zip(symbol_names, symbols(values), strict=True))
            buffer.row(table, symbols=symbol_values, columns=cols, at=nanos(values[ts_at]))

        self._adders[table] = add
        return add


def _getter(places: list[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """Return a function picking the values at ``places`` as a tuple (at C speed)."""
    if len(places) > 1:
        return operator.itemgetter(*places)
    return lambda values: tuple(values[i] for i in places)


def _rejection(exc: Exception) -> RowRejected | None:
    """Return a RowRejected if ``exc`` is the server refusing data (HTTP 400), else None.

    The client gives the server's JSON answer only in its message; it names the refused line.
    """
    text = str(exc)
    start = text.find("{")
    try:
        body = json.loads(text[start:]) if start >= 0 else None
    except ValueError:
        return None
    if not isinstance(body, dict) or not ("line" in body or body.get("code") == "invalid"):
        return None
    line = body.get("line")
    index = line - 1 if isinstance(line, int) and line >= 1 else None
    message = str(body.get("message", text)).replace("\n", " ")
    return RowRejected(f"refused by QuestDB: {message}", index)
