"""Where metrics go: the effective configuration (checked here, once), and the errors.

The connection is a QuestDB client configuration string (``http::addr=HOST:9000;``). It
comes from, first to last: ``--metrics`` (whose environment variable is
``HAMMURABI_QUESTDB_CONF``), the ``metrics.conf`` setting (``[tool.hammurabi.metrics]`` or
``HAMMURABI_METRICS_CONF``), and ``HAMMURABI_QUESTDB_CONF`` when nothing else sets it. Only
ILP over HTTP(S) is accepted: over TCP the server drops bad rows without telling anyone. Of
its keys, ``addr``, ``username``/``password``, ``token``, ``tls_verify``, ``tls_roots`` and
``request_timeout`` are used; the others are accepted and ignored, as the client does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from hammurabi.core.errors import ConfigError, HammurabiError

if TYPE_CHECKING:
    from hammurabi.loading.settings import MetricsSettings

CONF_ENV = "HAMMURABI_QUESTDB_CONF"
_SECRETS = ("password", "token", "token_x", "token_y", "tls_roots_password")
#: Why metrics are off, and how to switch them on (every message that says so says this).
OFF = (
    "no QuestDB configured: pass --metrics 'http::addr=HOST:9000;', set "
    f"{CONF_ENV} or conf in [tool.hammurabi.metrics]"
)


class MetricsError(HammurabiError):
    """Metrics could not be written or read."""


class UnavailableError(MetricsError):
    """QuestDB could not be reached (down, slow, refused, or misconfigured address)."""


class QueryError(MetricsError):
    """QuestDB rejected a query; ``position`` points into the SQL (None: not said)."""

    def __init__(self, error: str, position: int | None = None) -> None:
        at = "" if position is None else f" (at {position})"
        super().__init__(f"QuestDB rejected a query: {error}{at}")
        self.position = position


def parse_conf(conf: str) -> tuple[str, dict[str, str]]:
    """Split ``schema::key=value;...`` into the schema and its keys (``;;`` is a ``;``)."""
    schema, sep, rest = conf.strip().partition("::")
    if not sep or not schema:
        raise ConfigError("the metrics conf must look like 'http::addr=HOST:PORT;'")
    pairs = re.findall(r"([^=;]*)=((?:[^;]|;;)*)(?:;|$)", rest)
    return schema.lower(), {k.strip(): v.replace(";;", ";") for k, v in pairs if k.strip()}


def redact(conf: str) -> str:
    """Return ``conf`` with passwords and tokens hidden."""
    try:
        schema, params = parse_conf(conf)
    except ConfigError:
        return "<unparsable conf>"
    shown = [f"{k}={'***' if k in _SECRETS else v.replace(';', ';;')}" for k, v in params.items()]
    return f"{schema}::{';'.join(shown)};"


class MetricsConfig(NamedTuple):
    """The effective metrics configuration of one run or command."""

    conf: str = ""
    url: str = ""
    spool: Path = Path("metrics-spool.sqlite3")
    spool_only: bool = False
    ttl_days: int = 90
    drain_timeout: float = 10.0

    @classmethod
    def from_settings(
        cls,
        settings: MetricsSettings,
        *,
        conf: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> MetricsConfig:
        """Resolve and check the configuration (``conf``, ``--metrics``, wins over the
        settings): what cannot work is a :class:`ConfigError` before any work is done."""
        env = os.environ if env is None else env
        chosen = (conf or settings.conf or env.get(CONF_ENV, "")).strip()
        if chosen:
            schema, params = parse_conf(chosen)
            shown = f"metrics conf {redact(chosen)!r}"
            if schema not in ("http", "https"):
                raise ConfigError(
                    f"{shown}: use ILP over HTTP ('http::' or 'https::'), not {schema!r}: "
                    "over TCP the server drops bad rows silently"
                )
            try:
                addr = urlsplit(f"{schema}://{params.get('addr', '')}")
                addr.port  # noqa: B018 - a port that is not a number raises ValueError
            except ValueError as exc:
                raise ConfigError(f"{shown}: {exc}") from None
            if not addr.hostname:
                raise ConfigError(f"{shown} has no addr=HOST:PORT")
        if settings.ttl_days < 0:
            raise ConfigError("metrics.ttl_days must not be negative")
        state = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        spool = settings.spool or f"{state}/hammurabi/metrics-spool.sqlite3"
        return cls(
            conf=chosen,
            url=settings.url.strip(),
            spool=Path(spool).expanduser(),
            spool_only=settings.spool_only,
            ttl_days=settings.ttl_days,
            drain_timeout=max(settings.drain_timeout, 0.0),
        )

    @property
    def enabled(self) -> bool:
        """Whether a QuestDB server is configured."""
        return bool(self.conf)


def metrics_note(settings: MetricsSettings, env: Mapping[str, str] | None = None) -> str | None:
    """Return the line a run prints when its metrics do not go to QuestDB, else None (also
    for a conf that does not parse: the run refused it already)."""
    try:
        config = MetricsConfig.from_settings(settings, env=env)
    except ConfigError:
        return None
    if config.enabled:
        return None
    if config.spool_only:
        return (
            f"metrics: spooled to {config.spool} (no QuestDB configured; "
            "send them with `hammurabi metrics flush --metrics ...`)"
        )
    return f"metrics: off ({OFF})"
