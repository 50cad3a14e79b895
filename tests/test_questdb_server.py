"""Tests of the QuestDB test server helpers, against the real server."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from questdb import QuestDBError, Sender, TimestampNanos

from tests.questdb_server import (
    CLASS_MAJOR,
    QUESTDB_VERSION,
    QuestDBQueryError,
    QuestDBServer,
    QuestDBServerError,
    cds_archive,
    class_major,
    find_java,
    install,
)

pytestmark = pytest.mark.questdb

CREATE_RULE_RUNS = """
CREATE TABLE IF NOT EXISTS rule_runs (
  ts TIMESTAMP, repo SYMBOL, law SYMBOL, rule SYMBOL, outcome SYMBOL,
  run_id VARCHAR, duration_ms DOUBLE, attempts LONG, changed BOOLEAN
) TIMESTAMP(ts) PARTITION BY DAY TTL 90 DAYS WAL DEDUP UPSERT KEYS(ts, repo, law, rule)
"""

T0 = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
T0_NANOS = int(T0.timestamp()) * 1_000_000_000 + T0.microsecond * 1000


def write_runs(conf: str, *, run_id: str = "run-1", rules: int = 3) -> None:
    """Write one rule_runs row per rule, ``i`` microseconds after T0."""
    with Sender.from_conf(conf) as sender:
        for i in range(rules):
            sender.row(
                "rule_runs",
                symbols={"repo": "org/repo", "law": "law-1", "rule": f"rule-{i}", "outcome": "ok"},
                columns={
                    "run_id": run_id,
                    "duration_ms": 1.5 + i,
                    "attempts": i,
                    "changed": i == 0,
                },
                at=TimestampNanos(T0_NANOS + i * 1000),
            )


def test_install_is_cached_and_targets_java_17() -> None:
    install()
    started = time.monotonic()
    lib = install()
    assert time.monotonic() - started < 3.0
    jar = lib / f"questdb-{QUESTDB_VERSION}.jar"
    assert class_major(jar) == CLASS_MAJOR == 61
    java = find_java()
    assert java.major >= 17
    assert cds_archive(QUESTDB_VERSION, java).is_file()


def test_bad_hammurabi_java_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAMMURABI_JAVA", "/nonexistent/java")
    with pytest.raises(QuestDBServerError, match="cannot run java"):
        find_java()


def test_server_answers_on_loopback(questdb: QuestDBServer) -> None:
    ports = questdb.ports
    assert len({ports.http, ports.pg, ports.ilp, ports.health}) == 4
    assert questdb.conf == f"http::addr=127.0.0.1:{ports.http};"
    assert httpx.get(f"{questdb.http_url}/ping").status_code == 204
    assert httpx.get(f"http://127.0.0.1:{ports.health}/").status_code == 200
    assert questdb.query("select 1")["dataset"] == [[1]]
    assert questdb.start_seconds is not None and questdb.start_seconds < 60


def test_query_error_carries_the_server_message(questdb: QuestDBServer) -> None:
    with pytest.raises(QuestDBQueryError, match="table does not exist") as info:
        questdb.query("SELECT * FROM no_such_table")
    assert info.value.position == 14


def test_rows_round_trip_with_their_types(questdb: QuestDBServer) -> None:
    questdb.query(CREATE_RULE_RUNS)
    write_runs(questdb.conf)
    questdb.wait_for_wal("rule_runs")

    result = questdb.query("SELECT * FROM rule_runs ORDER BY ts")
    types = {column["name"]: column["type"] for column in result["columns"]}
    assert types == {
        "ts": "TIMESTAMP",
        "repo": "SYMBOL",
        "law": "SYMBOL",
        "rule": "SYMBOL",
        "outcome": "SYMBOL",
        "run_id": "VARCHAR",
        "duration_ms": "DOUBLE",
        "attempts": "LONG",
        "changed": "BOOLEAN",
    }
    assert questdb.rows("SELECT * FROM rule_runs ORDER BY ts")[0] == {
        "ts": "2026-01-02T03:04:05.123456Z",
        "repo": "org/repo",
        "law": "law-1",
        "rule": "rule-0",
        "outcome": "ok",
        "run_id": "run-1",
        "duration_ms": 1.5,
        "attempts": 0,
        "changed": True,
    }
    assert result["count"] == 3


def test_dedup_keeps_one_copy_and_the_last_write(questdb: QuestDBServer) -> None:
    questdb.query(CREATE_RULE_RUNS)
    write_runs(questdb.conf)
    write_runs(questdb.conf)
    write_runs(questdb.conf, run_id="run-2")
    questdb.wait_for_wal("rule_runs")

    rows = questdb.rows("SELECT rule, run_id FROM rule_runs ORDER BY ts")
    assert rows == [{"rule": f"rule-{i}", "run_id": "run-2"} for i in range(3)]


def test_data_survives_a_restart_on_the_same_ports(questdb: QuestDBServer) -> None:
    questdb.query(CREATE_RULE_RUNS)
    write_runs(questdb.conf, rules=2)
    questdb.wait_for_wal("rule_runs")
    ports, root = questdb.ports, questdb.root

    # A sender opened while the server is up fails at flush once it is gone.
    with Sender.from_conf(questdb.conf + "protocol_version=2;auto_flush=off;") as sender:
        questdb.stop()
        assert not questdb.running
        sender.row("rule_runs", symbols={"repo": "x"}, at=TimestampNanos(T0_NANOS))
        with pytest.raises(QuestDBError, match=r"(?i)connection refused"):
            sender.flush()
    with pytest.raises(QuestDBError, match=r"(?i)connection refused"):
        write_runs(questdb.conf)

    questdb.start()
    assert (questdb.ports, questdb.root) == (ports, root)
    assert questdb.query("SELECT count() FROM rule_runs")["dataset"] == [[2]]
    write_runs(questdb.conf, rules=3)
    questdb.wait_for_wal("rule_runs")
    assert questdb.query("SELECT count() FROM rule_runs")["dataset"] == [[3]]


def test_reset_drops_user_tables_and_views(questdb: QuestDBServer) -> None:
    questdb.query(CREATE_RULE_RUNS)
    questdb.query("CREATE VIEW recent AS (SELECT * FROM rule_runs)")
    assert sorted(questdb.drop_all_tables()) == ["recent", "rule_runs"]
    assert questdb.tables() == []
    questdb.query(CREATE_RULE_RUNS)  # the name is free again at once
    assert questdb.tables() == ["rule_runs"]


def test_wait_for_wal_gives_up_on_an_unknown_table(questdb: QuestDBServer) -> None:
    with pytest.raises(QuestDBServerError, match="not applied after"):
        questdb.wait_for_wal("no_such_table", timeout=0.1)


def test_taken_ports_are_refused_before_starting(questdb: QuestDBServer) -> None:
    clash = QuestDBServer(ports=questdb.ports)
    try:
        with pytest.raises(QuestDBServerError, match=r"port 127\.0\.0\.1:\d+ is taken"):
            clash.start()
        assert not clash.running
    finally:
        clash.close()
    assert questdb.query("select 1")["dataset"] == [[1]]


def test_startup_failure_fails_fast_with_the_log(tmp_path: Path) -> None:
    (tmp_path / "db").write_text("not a folder")
    broken = QuestDBServer(root=tmp_path)
    try:
        with pytest.raises(
            QuestDBServerError, match=r"exited with code 55 \(startup failure\)"
        ) as info:
            broken.start()
        assert "could not open read-write" in str(info.value)  # the log's last lines
        assert not broken.running
    finally:
        broken.close()
