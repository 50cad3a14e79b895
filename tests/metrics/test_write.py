"""Writing to the real QuestDB: tables, types, replays, outages and refused rows."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hammurabi.metrics.config import MetricsConfig
from hammurabi.metrics.courier import Courier
from hammurabi.metrics.plugin import MetricsPlugin
from hammurabi.metrics.questdb import QuestDBWriter
from hammurabi.metrics.read import QuestDBHttp
from hammurabi.metrics.schema import TABLES
from hammurabi.metrics.spool import Spool
from hammurabi.settings import MetricsSettings, Settings
from tests.metrics.helpers import T0, C, F, S, U, count, law, rows_of, run, wait_tables
from tests.questdb_server import QuestDBServer

pytestmark = pytest.mark.questdb


def _columns(server: QuestDBServer, table: str) -> dict[str, str]:
    return {
        row["column"]: row["type"]
        for row in server.rows(f"SELECT \"column\", type FROM table_columns('{table}')")
    }


def questdb_tables(server: QuestDBServer) -> set[str]:
    return {row["table_name"] for row in server.rows("SELECT table_name FROM tables()")}


def _until(done: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.01)


def _record(questdb: QuestDBServer, plugin: MetricsPlugin, settings: Settings, repo: str) -> None:
    """Finish a run of two rules in ``repo``, drain, and see both rule rows in QuestDB."""
    plugin.hammurabi_run_finished(result=run(repo, [law("A", [U, C])]), settings=settings)
    assert plugin.drain(30)
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs", f"repo = '{repo}'") == 2


def _ship(config: MetricsConfig, spool_path: Path, batch: int = 50_000) -> tuple[int, int, int]:
    with QuestDBHttp.from_config(config) as http:
        http.ensure_tables(config.ttl_days)
    writer = QuestDBWriter(config.conf)
    try:
        with Spool(spool_path) as spool:
            report = spool.ship(writer, batch=batch)
    finally:
        writer.close()
    return report.sent, len(report.rejected), report.remaining


def test_tables_are_wal_deduplicated_and_typed(
    questdb: QuestDBServer, config: MetricsConfig
) -> None:
    with QuestDBHttp.from_config(config) as http:
        assert http.ensure_tables(30) == list(TABLES)
        assert http.ensure_tables(30) == []
        http.ensure_tables(7, set_ttl=True)
    wait_tables(questdb)  # ALTER TABLE goes through the WAL too
    for table in TABLES.values():
        assert _columns(questdb, table.name) == {c.name: c.type for c in table.columns}
        ddl = questdb.query(f"SHOW CREATE TABLE {table.name}")["dataset"][0][0]
        assert "PARTITION BY DAY TTL 1 WEEK" in ddl or "TTL 7 DAYS" in ddl
        assert f"DEDUP UPSERT KEYS({','.join(table.dedup_keys)})" in ddl
    walled = {row["name"] for row in questdb.rows("SELECT name FROM wal_tables()")}
    assert walled >= set(TABLES)


def test_a_run_arrives_with_the_right_types_and_values(
    questdb: QuestDBServer, config: MetricsConfig, plugin: MetricsPlugin
) -> None:
    pr = {
        "number": 9,
        "url": "https://g/o/r/pull/9",
        "state": "open",
        "action": "opened",
        "created_at": "2026-02-28T12:00:00.123456Z",
    }
    result = run("o/r", [law("A", [U, C, S], weight=2), law("B", [F])], pull_request=pr)
    plugin.record(result, config)
    assert plugin.drain(30)
    wait_tables(questdb)
    rules = questdb.query("SELECT * FROM hammurabi_rule_runs ORDER BY seq")
    types = {c["name"]: c["type"] for c in rules["columns"]}
    assert types["ts"] == "TIMESTAMP" and types["repo"] == "SYMBOL" and types["seq"] == "LONG"
    assert types["duration_ms"] == "DOUBLE" and types["dry_run"] == "BOOLEAN"
    got = questdb.rows("SELECT * FROM hammurabi_rule_runs ORDER BY seq")
    assert [(r["rule"], r["outcome"], r["law_weight"]) for r in got] == [
        ("A-r0", "unchanged", 2.0),
        ("A-r1", "changed", 2.0),
        ("A-r2", "skipped", 2.0),
        ("B-r0", "failed", 1.0),
    ]
    assert got[0]["ts"] == "2026-03-01T12:00:00.123456Z"  # the event's time, not the server's
    assert got[1]["files_changed"] == 1 and got[3]["error"] == "boom"
    assert got[2]["reason"] == "precondition not met" and got[0]["error"] is None
    assert got[0]["duration_ms"] == pytest.approx(2.0)
    (health,) = questdb.rows("SELECT * FROM hammurabi_repo_health")
    assert health["score"] == pytest.approx(2 / 5)
    assert (health["rules_total"], health["laws_total"], health["outcome"]) == (3, 2, "failed")
    assert (health["pr_number"], health["pr_state"], health["pr_url"]) == (9, "open", pr["url"])
    assert health["pr_created_at"] == "2026-02-28T12:00:00.123456Z"
    assert health["pr_age_s"] == pytest.approx(86400.0)
    (runs,) = questdb.rows("SELECT * FROM hammurabi_runs")
    assert (runs["run_id"], runs["repos"], runs["rules"], runs["version"]) == (
        "run-1",
        1,
        4,
        "1.0.0.test",
    )


def test_replays_do_not_duplicate(
    questdb: QuestDBServer, config: MetricsConfig, spool_path: Path
) -> None:
    results = [run(f"org/{n}", [law("A", [U, C])], run_id="r") for n in "abc"]
    rows = rows_of(results)
    with Spool(spool_path) as spool:
        spool.append(rows)
    assert _ship(config, spool_path) == (len(rows), 0, 0)
    # The same rows again, as after a crash between the server's answer and the delete.
    with Spool(spool_path) as spool:
        spool.append(rows)
        spool.append(rows)
    assert _ship(config, spool_path) == (2 * len(rows), 0, 0)
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs") == 6
    assert count(questdb, "hammurabi_repo_health") == 3
    (runs,) = questdb.rows("SELECT repos, rules FROM hammurabi_runs")
    assert runs == {"repos": 3, "rules": 6}  # the latest upsert of the fleet run


def test_questdb_stopped_mid_run_then_flushed_exactly_once(
    questdb: QuestDBServer,
    config: MetricsConfig,
    plugin: MetricsPlugin,
    spool_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    results = [
        run(
            f"org/repo-{i}",
            [law("A", [U, C]), law("B", [F])],
            run_id="fleet-1",
            at=T0.replace(minute=i),
        )
        for i in range(6)
    ]
    for result in results[:3]:
        plugin.record(result, config)
    assert plugin.drain(30)
    questdb.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="hammurabi.metrics"):
            for result in results[3:]:
                plugin.record(result, config)  # the run goes on
            assert plugin.drain(30)
        assert "rows kept in" in caplog.text
        with Spool(spool_path) as spool:
            assert spool.state().pending == 3 * (3 + 2)
    finally:
        questdb.start()
    assert _ship(config, spool_path) == (15, 0, 0)
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs") == 18
    assert count(questdb, "hammurabi_repo_health") == 6
    duplicates = questdb.rows(
        "SELECT * FROM (SELECT ts, run_id, repo, seq, count() n FROM hammurabi_rule_runs"
        " GROUP BY ts, run_id, repo, seq) WHERE n > 1"
    )
    assert duplicates == []
    (runs,) = questdb.rows("SELECT repos, repos_failed FROM hammurabi_runs")
    assert runs == {"repos": 6, "repos_failed": 6}
    with Spool(spool_path) as spool:
        assert spool.state().pending == 0


@pytest.mark.parametrize("batch", [50_000, 2])
def test_a_row_the_server_refuses_is_kept_with_the_reason(
    questdb: QuestDBServer, config: MetricsConfig, spool_path: Path, batch: int
) -> None:
    # Someone created the table by hand with ``error`` as a number: rows with an error fail.
    # Small batches: the refusals come while the next batch is already encoded.
    sql = TABLES["hammurabi_rule_runs"].create_sql().replace("error VARCHAR", "error DOUBLE")
    questdb.query(sql)
    result = run("o/r", [law("A", [U, F, C, F])])
    with Spool(spool_path) as spool:
        spool.append(rows_of([result]))
    sent, refused, remaining = _ship(config, spool_path, batch)
    assert (sent, refused, remaining) == (4, 2, 0)
    with Spool(spool_path) as spool:
        kept = spool.rejected()
    assert len(kept) == 2
    assert all("cast error" in r.reason and r.source == "server" for r in kept)
    assert all('"error":"boom"' in r.row for r in kept)
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs") == 2
    # After a fix, the refused rows go through.
    questdb.query("DROP TABLE hammurabi_rule_runs")
    with Spool(spool_path) as spool:
        assert spool.retry_rejected() == (2, 0)
    assert _ship(config, spool_path) == (2, 0, 0)
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs", "outcome = 'failed'") == 2


def test_metrics_off_and_spool_only(
    plugin: MetricsPlugin,
    spool_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    off = MetricsConfig.from_settings(MetricsSettings(spool=str(spool_path)), env={})
    with caplog.at_level(logging.INFO, logger="hammurabi.metrics"):
        assert plugin.record(run("o/r", [law("A", [U])]), off) is None
    assert "metrics off" in caplog.text
    assert not spool_path.exists()
    only = MetricsConfig.from_settings(
        MetricsSettings(spool=str(spool_path), spool_only=True), env={}
    )
    plugin.record(run("o/r", [law("A", [U])]), only)
    assert plugin.drain(30)
    with Spool(spool_path) as spool:
        assert spool.state().pending == 3


@pytest.mark.questdb
def test_runs_in_quick_succession_share_a_request(
    questdb: QuestDBServer,
    config: MetricsConfig,
    plugin: MetricsPlugin,
    spool_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hammurabi.metrics.plugin.SHIP_EVERY", 3600.0)
    results = [run(f"org/r{i}", [law("A", [U, C])], run_id=f"r{i}") for i in range(5)]
    shipper = plugin.record(results[0], config)
    assert shipper is not None
    deadline = time.monotonic() + 30
    while shipper.stats.ships == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (shipper.stats.ships, shipper.stats.sent) == (1, 4)  # the first run goes at once
    for result in results[1:]:
        plugin.record(result, config)
    while shipper.stats.spooled < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    with Spool(spool_path) as spool:
        assert spool.state().pending == 16  # kept durably until the next send is due
    assert shipper.stats.ships == 1
    assert plugin.drain(30)  # at exit: sent at once, in one request
    assert (shipper.stats.ships, shipper.stats.sent) == (2, 20)
    wait_tables(questdb)
    assert count(questdb, "hammurabi_repo_health") == 5


@pytest.mark.questdb
def test_the_next_run_sends_what_earlier_runs_left_in_the_spool(
    questdb: QuestDBServer, config: MetricsConfig, plugin: MetricsPlugin, spool_path: Path
) -> None:
    earlier = rows_of([run("org/old", [law("A", [U, C])], run_id="earlier")])
    with Spool(spool_path) as spool:  # as a run left them while QuestDB was down
        spool.append(earlier)
    plugin.record(run("org/new", [law("A", [U])], run_id="now"), config)
    assert plugin.drain(30)
    wait_tables(questdb)
    assert questdb.rows("SELECT run_id, repo FROM hammurabi_repo_health ORDER BY run_id") == [
        {"run_id": "earlier", "repo": "org/old"},
        {"run_id": "now", "repo": "org/new"},
    ]
    with Spool(spool_path) as spool:
        assert spool.state().pending == 0


@pytest.mark.questdb
def test_a_run_gets_ready_while_its_rules_run(
    questdb: QuestDBServer, config: MetricsConfig, plugin: MetricsPlugin, spool_path: Path
) -> None:
    for table in TABLES:
        questdb.query(f"DROP TABLE IF EXISTS {table}")
    settings = Settings(metrics=MetricsSettings(conf=config.conf, spool=str(spool_path)))
    plugin.hammurabi_run_starting(settings=settings)
    shipper = plugin.shipper(config)
    _until(lambda: set(TABLES) <= questdb_tables(questdb))
    assert set(TABLES) <= questdb_tables(questdb)  # created before any row, by the courier
    pid = shipper.courier_pid
    assert pid is not None and pid != os.getpid()
    assert config.conf not in Path(f"/proc/{pid}/cmdline").read_text()  # never in argv
    assert shipper.stats.ships == 0  # nothing to send yet
    _record(questdb, plugin, settings, "o/ready")
    assert (shipper.stats.ships, shipper.stats.sent) == (1, 4)
    assert shipper.courier_pid == pid  # it sent them, with numpy loaded and one thread
    assert len(list(Path(f"/proc/{pid}/task").iterdir())) == 1  # no OpenBLAS threads spinning


@pytest.mark.questdb
def test_rows_still_arrive_when_the_courier_died(
    questdb: QuestDBServer, config: MetricsConfig, plugin: MetricsPlugin, spool_path: Path
) -> None:
    settings = Settings(metrics=MetricsSettings(conf=config.conf, spool=str(spool_path)))
    plugin.hammurabi_run_starting(settings=settings)
    shipper = plugin.shipper(config)
    _until(lambda: shipper.courier_pid is not None)
    pid = shipper.courier_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    _record(questdb, plugin, settings, "o/orphan")
    assert shipper.courier_pid is None  # this process sent them itself
    assert (shipper.stats.sent, shipper.stats.last_error) == (4, None)


@pytest.mark.questdb
def test_on_one_cpu_a_run_gets_ready_in_a_thread(
    questdb: QuestDBServer, config: MetricsConfig, plugin: MetricsPlugin, spool_path: Path
) -> None:
    settings = Settings(metrics=MetricsSettings(conf=config.conf, spool=str(spool_path)))
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})  # the shipper's thread starts with this mask
    try:
        plugin.hammurabi_run_starting(settings=settings)
    finally:
        os.sched_setaffinity(0, cpus)
    _record(questdb, plugin, settings, "o/single")
    shipper = plugin.shipper(config)
    assert shipper.courier_pid is None
    assert (shipper.stats.sent, shipper.stats.last_error) == (4, None)


def test_a_courier_reports_a_server_that_is_down(spool_path: Path) -> None:
    down = MetricsConfig.from_settings(
        MetricsSettings(conf="http::addr=127.0.0.1:9;", spool=str(spool_path)), env={}
    )
    with Spool(spool_path) as spool:
        spool.append(rows_of([run("o/later", [law("A", [U])])]))
    courier = Courier(down)
    try:
        report = courier.ship()
    finally:
        courier.close()
    assert report.sent == 0 and report.remaining == 3
    assert report.error is not None and "127.0.0.1:9" in report.error


def test_getting_ready_without_a_server_is_quiet(
    plugin: MetricsPlugin, spool_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = MetricsConfig.from_settings(
        MetricsSettings(conf="http::addr=127.0.0.1:9;", spool=str(spool_path)), env={}
    )
    with caplog.at_level(logging.INFO, logger="hammurabi.metrics"):
        plugin.shipper(down).warm()
        assert plugin.drain(30)
    assert not caplog.records  # the run's end says it, once, if the server is still down
    assert not spool_path.exists() or Spool(spool_path).state().pending == 0


@pytest.mark.questdb
def test_runs_in_one_process_share_requests(
    questdb: QuestDBServer, config: MetricsConfig, plugin: MetricsPlugin, spool_path: Path
) -> None:
    settings = Settings(metrics=MetricsSettings(conf=config.conf, spool=str(spool_path)))
    for i in range(8):  # a fleet's runs, one after the other
        plugin.hammurabi_run_starting(settings=settings)
        time.sleep(0.1)  # the rules run
        plugin.hammurabi_run_finished(
            result=run(f"o/fleet-{i}", [law("A", [U, C])], run_id=f"fleet-{i}"), settings=settings
        )
    assert plugin.drain(30)
    shipper = plugin.shipper(config)
    assert shipper.stats.sent == 8 * 4
    assert shipper.stats.ships <= 3  # the first run's rows, then one request a second
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs", "repo LIKE 'o/fleet-%'") == 16


def _pester(target: Callable[[], None], signals: int, every: float) -> list[Exception]:
    """Run ``target`` in a thread while aiming up to ``signals`` handled SIGUSR1 signals at it,
    ``every`` seconds apart (each interrupts a wait on the network); return what it raised."""
    errors: list[Exception] = []

    def run() -> None:
        try:
            target()
        except Exception as exc:
            errors.append(exc)

    previous = signal.signal(signal.SIGUSR1, lambda *_: None)
    try:
        thread = threading.Thread(target=run)
        thread.start()
        for _ in range(signals):
            if thread.ident is None or not thread.is_alive():
                break
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                signal.pthread_kill(thread.ident, signal.SIGUSR1)
            time.sleep(every)
        thread.join(60)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    return errors


@pytest.mark.questdb
def test_a_request_a_signal_interrupted_is_sent_again(
    questdb: QuestDBServer, config: MetricsConfig
) -> None:
    rows = rows_of([run(f"o/sig-{i}", [law("A", [U, C])], run_id=f"sig-{i}") for i in range(3000)])
    writer = QuestDBWriter(config.conf)
    buffer = writer.buffer_of(rows)
    try:
        # a burst while the request is on the wire
        assert _pester(lambda: writer.flush(buffer), signals=10, every=0.002) == []
    finally:
        writer.close()
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs", "repo LIKE 'o/sig-%'") == 6000


@pytest.mark.filterwarnings("ignore:.*burst of reconnections")  # on purpose, here
def test_a_connection_a_signal_interrupted_is_made_again(config: MetricsConfig) -> None:
    writer = QuestDBWriter(config.conf)

    def connections() -> None:
        for _ in range(20):
            writer.close()
            writer.connect()  # asks the server for its settings: a request that can be cut

    try:
        assert _pester(connections, signals=100_000, every=0.003) == []
    finally:
        writer.close()
