"""Fixtures of the metrics tests: a private spool, a clean environment, a fresh plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

from hammurabi.integrations.metrics.config import MetricsConfig
from hammurabi.integrations.metrics.plugin import MetricsPlugin
from hammurabi.loading.settings import MetricsSettings
from tests.questdb_server import QuestDBServer


@pytest.fixture(autouse=True)
def _metrics_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep every spool under tmp_path and ignore the developer's metrics settings."""
    for name in ("HAMMURABI_QUESTDB_CONF", "HAMMURABI_METRICS_CONF", "HAMMURABI_METRICS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HAMMURABI_METRICS_SPOOL", str(tmp_path / "spool.sqlite3"))


@pytest.fixture
def spool_path(tmp_path: Path) -> Path:
    return tmp_path / "spool.sqlite3"


@pytest.fixture
def config(questdb: QuestDBServer, spool_path: Path) -> MetricsConfig:
    """Metrics pointed at the test server, with the test's spool."""
    return MetricsConfig.from_settings(
        MetricsSettings(conf=questdb.conf, spool=str(spool_path), drain_timeout=30.0)
    )


@pytest.fixture
def plugin() -> MetricsPlugin:
    """A plugin instance of the test's own."""
    return MetricsPlugin()
