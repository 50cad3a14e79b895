"""QuestDB, the only module that talks to it: rows go to ``/write`` as InfluxDB line protocol
(ILP over HTTP), SQL to ``/exec``, both with the standard library's ``http.client`` (loaded by
PyGithub already): the ``questdb`` client brings numpy (about 140 MB, 0.1 to 0.2 s to import
at a run's end) and httpx takes 0.1 to 0.3 s to import and make its first client.

``/exec`` has no parameter binding: every value put into SQL goes through
:func:`quote_literal` or :func:`ts_literal`; table and column names are this package's.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from typing import Any
from urllib.parse import urlencode, urlsplit

from hammurabi.core.errors import ConfigError
from hammurabi.integrations.metrics.config import (
    OFF,
    MetricsConfig,
    QueryError,
    UnavailableError,
    parse_conf,
)
from hammurabi.integrations.metrics.schema import TABLES, Row

_NAME_ESCAPES = str.maketrans(
    {"\\": "\\\\", " ": "\\ ", ",": "\\,", "=": "\\=", "\n": "\\\n", "\r": "\\\r"}
)
_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\\n", "\r": "\\\r"})
#: How a value of each column type is written in ILP (SYMBOLs go in the line's first part).
_FORMATS: dict[str, Callable[[Any], str]] = {
    "SYMBOL": lambda value: str(value).translate(_NAME_ESCAPES),
    "VARCHAR": lambda value: f'"{str(value).translate(_TEXT_ESCAPES)}"',
    "LONG": lambda value: f"{int(value)}i",
    "DOUBLE": lambda value: repr(float(value)),
    "BOOLEAN": lambda value: "t" if value else "f",
    "TIMESTAMP": lambda value: f"{int(value)}t",  # microseconds
}


def quote_literal(value: str) -> str:
    """Quote ``value`` as a QuestDB string literal: ``'`` doubled, NUL refused."""
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


def ilp(rows: Sequence[Row]) -> bytes:
    """Return the ILP text of validated ``rows`` (None values left out)."""
    lines = []
    for row in rows:
        columns = TABLES[row.table].by_name
        parts = sorted(
            (columns[name].type != "SYMBOL", name, _FORMATS[columns[name].type](value))
            for name, value in row.values.items()
            if value is not None
        )
        tags = "".join(f",{name}={text}" for field, name, text in parts if not field)
        values = ",".join(f"{name}={text}" for field, name, text in parts if field)
        lines.append(f"{row.table}{tags} {values} {int(row.ts)}\n")
    return "".join(lines).encode()


class QuestDB:
    """One QuestDB server: its REST API at ``url`` (the config's ``url``, else the conf's
    ``addr``), with the conf's credentials. ``timeout`` (seconds) bounds each request, unless
    the conf string sets ``request_timeout`` (milliseconds).

    Writes are not transactional: a batch sent again (after a refused row, a replay) is
    stored once thanks to the tables' ``DEDUP UPSERT KEYS``.
    """

    def __init__(self, config: MetricsConfig, *, timeout: float = 30.0) -> None:
        if not config.conf and not config.url:
            raise ConfigError(OFF)
        schema, params = parse_conf(config.conf) if config.conf else ("", {})
        self.config, self.headers = config, {}
        self.url = config.url.rstrip("/") or f"{schema}://{params['addr']}"
        if params.get("token"):
            self.headers["Authorization"] = f"Bearer {params['token']}"
        elif params.get("username"):
            raw = f"{params['username']}:{params.get('password', '')}".encode()
            self.headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        if params.get("request_timeout", "").isdigit():
            timeout = int(params["request_timeout"]) / 1000
        parts = urlsplit(self.url)
        connection: Callable[..., HTTPConnection] = HTTPConnection
        if parts.scheme == "https":
            import ssl  # only for TLS: not among the imports of every run

            tls = ssl.create_default_context(cafile=params.get("tls_roots") or None)
            if params.get("tls_verify") == "unsafe_off":
                tls.check_hostname = False
                tls.verify_mode = ssl.CERT_NONE
            connection = partial(HTTPSConnection, context=tls)
        self._path = parts.path
        self._connect = partial(connection, parts.hostname or "", parts.port, timeout=timeout)

    def _request(self, method: str, path: str, body: bytes = b"") -> tuple[int, dict[str, Any]]:
        """Send one request (a connection of its own); return the status and the answer's
        JSON object (``{"text": ...}`` for an answer that is not one)."""
        connection = self._connect()
        try:
            connection.request(method, self._path + path, body=body, headers=self.headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, HTTPException) as exc:
            raise UnavailableError(f"cannot reach QuestDB at {self.url}: {exc}") from exc
        finally:
            connection.close()
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        return response.status, answer if isinstance(answer, dict) else {"text": text}

    def exec(self, sql: str) -> dict[str, Any]:
        """Run ``sql``; raise :class:`QueryError` (HTTP 400) or :class:`UnavailableError`."""
        status, answer = self._request("GET", "/exec?" + urlencode({"query": sql}))
        if status == 400:
            raise QueryError(str(answer.get("error", answer.get("text"))), answer.get("position"))
        if status != 200:
            raise UnavailableError(f"QuestDB at {self.url} answered {status}: {answer}"[:300])
        return answer

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
        for table in TABLES.values():
            if table.name not in existing:
                self.exec(table.create_sql(ttl_days))
            elif set_ttl:
                self.exec(table.ttl_sql(ttl_days))
        return [name for name in TABLES if name not in existing]

    def send(self, rows: Sequence[Row]) -> tuple[int, str] | None:
        """Write ``rows`` in one request; return None, or the place in ``rows`` of the row the
        server refused (HTTP 400) and why.

        Raises :class:`UnavailableError` when the server cannot take the rows now (also for a
        refusal that names no row of them: it is the request's, not a row's).
        """
        status, answer = self._request("POST", "/write", ilp(rows))
        line = answer.get("line")
        if status == 400 and isinstance(line, int) and 1 <= line <= len(rows):
            message = str(answer.get("message", answer)).replace("\n", " ")
            return line - 1, f"refused by QuestDB: {message}"
        if status not in (200, 204):
            raise UnavailableError(f"QuestDB did not take the rows ({status}): {answer}"[:300])
        return None
