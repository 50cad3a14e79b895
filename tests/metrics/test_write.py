"""Writing to the real QuestDB: tables, types, replays, outages and refused rows."""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hammurabi.core.results import LawResult
from hammurabi.integrations.metrics.config import MetricsConfig
from hammurabi.integrations.metrics.plugin import MetricsPlugin
from hammurabi.integrations.metrics.questdb import QuestDB
from hammurabi.integrations.metrics.schema import TABLES
from hammurabi.integrations.metrics.spool import Spool, flush
from hammurabi.loading.plugins import get_plugin_manager
from hammurabi.loading.settings import MetricsSettings
from tests.metrics.helpers import (
    ROOT,
    T0,
    C,
    F,
    S,
    U,
    count,
    frozen,
    law,
    rows_of,
    rule,
    run,
    wait_tables,
)
from tests.questdb_server import QuestDBServer

pytestmark = pytest.mark.questdb


def _columns(server: QuestDBServer, table: str) -> dict[str, str]:
    return {
        row["column"]: row["type"]
        for row in server.rows(f"SELECT \"column\", type FROM table_columns('{table}')")
    }


def test_tables_are_wal_deduplicated_and_typed(
    questdb: QuestDBServer, config: MetricsConfig
) -> None:
    http = QuestDB(config)
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
    report = plugin.record(result, config)  # sent as the run ends
    assert report is not None and (report.sent, report.remaining) == (6, 0)
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
    report = flush(config)
    assert report.ok and report.sent == len(rows), report
    # The same rows again, as after a crash between the server's answer and the delete.
    with Spool(spool_path) as spool:
        spool.append(rows)
        spool.append(rows)
    report = flush(config)
    assert report.ok and report.sent == 2 * len(rows), report
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
    questdb.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="hammurabi.integrations.metrics"):
            for result in results[3:]:
                plugin.record(result, config)  # the run goes on
        assert "rows kept in" in caplog.text
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1  # said once, not once per repository
        with Spool(spool_path) as spool:
            assert spool.state().pending == 3 * (3 + 2)
    finally:
        questdb.start()
    report = flush(config)
    assert report.ok and report.sent == 15, report
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
    report = flush(config, batch=batch)
    assert (report.sent, len(report.refused), report.remaining) == (4, 2, 0)
    with Spool(spool_path) as spool:
        kept = spool.rejected()
    assert len(kept) == 2
    assert all("cast error" in r.reason and r.source == "server" for r in kept)
    assert all('"error":"boom"' in r.row for r in kept)
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs") == 2
    # After a fix, the refused rows go through.
    questdb.query("DROP TABLE hammurabi_rule_runs")
    report = flush(config, retry_rejected=True)
    assert report.ok and (report.requeued, report.sent) == (2, 2), report
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs", "outcome = 'failed'") == 2


def test_metrics_off_and_spool_only(
    plugin: MetricsPlugin,
    spool_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    off = MetricsConfig.from_settings(MetricsSettings(spool=str(spool_path)), env={})
    with caplog.at_level(logging.INFO, logger="hammurabi.integrations.metrics"):
        assert plugin.record(run("o/r", [law("A", [U])]), off) is None
    assert "metrics off" in caplog.text
    assert not spool_path.exists()
    only = MetricsConfig.from_settings(
        MetricsSettings(spool=str(spool_path), spool_only=True), env={}
    )
    assert plugin.record(run("o/r", [law("A", [U])]), only) is None
    with Spool(spool_path) as spool:
        assert spool.state().pending == 3


@pytest.mark.questdb
def test_runs_sent_later_share_a_request_and_the_rest_goes_at_exit(
    questdb: QuestDBServer, config: MetricsConfig, plugin: MetricsPlugin, spool_path: Path
) -> None:
    # As the CLI has it: runs only spool (a fleet's too), the command's end sends.
    plugin.send_later = True
    results = [run(f"o/quick-{i}", [law("A", [U, C])], run_id=f"q{i}") for i in range(5)]
    assert [plugin.record(result, config) for result in results] == [None] * 5
    with Spool(spool_path) as spool:
        assert spool.state().pending == 20  # kept until the flush, or the exit
    last = plugin.flush()  # what the command's end does
    assert last is not None and (last.sent, last.remaining) == (20, 0)
    assert plugin.flush() is None  # nothing left
    wait_tables(questdb)
    assert count(questdb, "hammurabi_repo_health") == 5
    code = textwrap.dedent(
        f"""
        from hammurabi.integrations.metrics.config import MetricsConfig
        from hammurabi.integrations.metrics.plugin import MetricsPlugin
        from hammurabi.loading.settings import MetricsSettings
        from tests.metrics.helpers import C, U, law, run
        config = MetricsConfig.from_settings(
            MetricsSettings(conf={questdb.conf!r}, spool={str(spool_path)!r})
        )
        plugin = MetricsPlugin()
        plugin.send_later = True
        for i in range(3):
            plugin.record(run(f"o/exit-{{i}}", [law("A", [U, C])], run_id=f"e{{i}}"), config)
        """
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    with Spool(spool_path) as spool:
        assert spool.state().pending == 0  # sent as the process exited
    wait_tables(questdb)
    assert count(questdb, "hammurabi_repo_health") == 8


@pytest.mark.questdb
def test_a_replay_stops_between_batches_when_its_time_is_up(
    questdb: QuestDBServer, config: MetricsConfig, spool_path: Path
) -> None:
    rows = rows_of([run(f"o/late-{i}", [law("A", [U])], run_id=f"late-{i}") for i in range(4)])
    with Spool(spool_path) as spool:
        spool.append(rows)
        connection = QuestDB(config)
        connection.ensure_tables(0)
        report = spool.ship(connection, batch=4, until=time.monotonic())
        assert (report.sent, report.remaining, report.error) == (0, 12, None)
        report = spool.ship(connection, batch=4, until=time.monotonic() + 60)
        assert (report.sent, report.remaining) == (12, 0)


@pytest.mark.questdb
def test_the_next_run_sends_what_earlier_runs_left_in_the_spool(
    questdb: QuestDBServer, config: MetricsConfig, plugin: MetricsPlugin, spool_path: Path
) -> None:
    earlier = rows_of([run("org/old", [law("A", [U, C])], run_id="earlier")])
    with Spool(spool_path) as spool:  # as a run left them while QuestDB was down
        spool.append(earlier)
    plugin.record(run("org/new", [law("A", [U])], run_id="now"), config)
    wait_tables(questdb)
    assert questdb.rows("SELECT run_id, repo FROM hammurabi_repo_health ORDER BY run_id") == [
        {"run_id": "earlier", "repo": "org/old"},
        {"run_id": "now", "repo": "org/new"},
    ]
    with Spool(spool_path) as spool:
        assert spool.state().pending == 0


@pytest.mark.questdb
def test_a_run_end_sends_its_rows_without_the_questdb_client_or_numpy(
    questdb: QuestDBServer, spool_path: Path
) -> None:
    # Neither is installed with Hammurabi (issue 17: 140 MB).
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["questdb"] = sys.modules["numpy"] = None  # import fails: not installed
        from hammurabi.integrations.metrics.config import MetricsConfig
        from hammurabi.integrations.metrics.plugin import MetricsPlugin
        from hammurabi.loading.settings import MetricsSettings
        from tests.metrics.helpers import C, U, law, run
        config = MetricsConfig.from_settings(
            MetricsSettings(conf={questdb.conf!r}, spool={str(spool_path)!r})
        )
        report = MetricsPlugin().record(run("o/light", [law("A", [U, C])]), config)
        loaded = [m for m in ("questdb", "numpy") if sys.modules.get(m)]
        print(report.sent, report.remaining, report.error, loaded)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert proc.stdout.split() == ["4", "0", "None", "[]"], proc.stderr
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs", "repo = 'o/light'") == 2


@pytest.mark.questdb
def test_awkward_text_and_numbers_arrive_exactly(
    questdb: QuestDBServer, config: MetricsConfig, plugin: MetricsPlugin
) -> None:
    # What ILP must escape: quotes, backslashes, newlines, commas, equals signs and spaces.
    awkward = 'line 1\nline 2\r\n "quoted" back\\slash\\, a=b c\\"\\'
    name = 'o/a b,c=d\\e"f'
    failed = rule("r=1, x", F, law="L w", error=awkward)
    tiny = rule("tiny", U, law="L w")
    tiny.duration = 1e-8  # 1e-05 ms
    result = run(name, [LawResult("L w", "d", [failed, tiny], weight=1e20, started_at=T0)])
    report = plugin.record(result, config)
    assert report is not None and (report.sent, report.remaining) == (4, 0)
    wait_tables(questdb)
    got = questdb.rows(
        "SELECT repo, law, rule, error, duration_ms, law_weight"
        " FROM hammurabi_rule_runs ORDER BY seq"
    )
    assert got == [
        {
            "repo": name,
            "law": "L w",
            "rule": "r=1, x",
            "error": awkward,
            "duration_ms": pytest.approx(2.0),
            "law_weight": 1e20,
        },
        {
            "repo": name,
            "law": "L w",
            "rule": "tiny",
            "error": None,
            "duration_ms": pytest.approx(1e-5),
            "law_weight": 1e20,
        },
    ]


def test_a_run_end_with_questdb_down_keeps_its_rows(
    plugin: MetricsPlugin, spool_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = MetricsConfig.from_settings(
        MetricsSettings(conf="http::addr=127.0.0.1:9;", spool=str(spool_path)), env={}
    )
    with caplog.at_level(logging.INFO, logger="hammurabi.integrations.metrics"):
        report = plugin.record(run("o/later", [law("A", [U])]), down)
    assert report is not None and report.sent == 0 and report.remaining == 3
    assert report.error is not None and "127.0.0.1:9" in report.error
    assert "rows kept in" in caplog.text
    with Spool(spool_path) as spool:
        assert spool.state().pending == 3


@pytest.mark.questdb
def test_a_slow_questdb_delays_one_run_end_by_the_timeout_at_most(
    questdb: QuestDBServer, plugin: MetricsPlugin, spool_path: Path
) -> None:
    timeout = 3.0  # metrics.drain_timeout: each request's bound, and the replay's
    config = MetricsConfig.from_settings(
        MetricsSettings(conf=questdb.conf, spool=str(spool_path), drain_timeout=timeout)
    )
    results = [run(f"o/slow-{i}", [law("A", [U, C])], run_id=f"slow-{i}") for i in range(4)]
    plugin.record(results[0], config)
    with frozen(questdb):  # the server answers nothing
        started = time.monotonic()
        first = plugin.record(results[1], config)
        waited = time.monotonic() - started
        assert first is not None and first.error and first.remaining == 4
        # One request timed out: not much less than the bound, and not a second one.
        assert timeout * 0.9 <= waited < 2 * timeout, waited
        started = time.monotonic()
        for result in results[2:]:  # the next repositories of a fleet only spool
            assert plugin.record(result, config) is None
        assert time.monotonic() - started < timeout  # a send would take the timeout each
    with Spool(spool_path) as spool:
        assert spool.state().pending == 3 * 4
    report = flush(config)
    assert report.ok and report.sent == 12, report
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs", "repo LIKE 'o/slow-%'") == 8
    assert count(questdb, "hammurabi_repo_health") == 4


@pytest.mark.questdb
def test_a_process_killed_while_sending_loses_nothing(
    questdb: QuestDBServer, config: MetricsConfig, spool_path: Path
) -> None:
    code = textwrap.dedent(
        f"""
        from hammurabi.integrations.metrics.config import MetricsConfig
        from hammurabi.integrations.metrics.plugin import MetricsPlugin
        from hammurabi.loading.settings import MetricsSettings
        from tests.metrics.helpers import C, U, law, run
        config = MetricsConfig.from_settings(
            MetricsSettings(conf={questdb.conf!r}, spool={str(spool_path)!r}, drain_timeout=60)
        )
        plugin = MetricsPlugin()
        for i in range(2):
            input()
            plugin.record(run(f"o/killed-{{i}}", [law("A", [U, C])], run_id="k"), config)
            print("sent", flush=True)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        child.stdin.write(b"\n")
        child.stdin.flush()
        assert child.stdout.readline() == b"sent\n"
        with frozen(questdb):
            child.stdin.write(b"\n")
            child.stdin.flush()
            time.sleep(1.0)  # the second run's rows are on their way to a server that waits
            child.kill()
    finally:
        child.kill()
        child.wait()
    with Spool(spool_path) as spool:
        assert spool.state().pending == 4  # as spooled, whether QuestDB stored them or not
    report = flush(config)
    assert report.ok and report.sent == 4, report
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs", "repo LIKE 'o/killed-%'") == 4
    assert count(questdb, "hammurabi_repo_health") == 2


def _pester(target: Callable[[], None], signals: int, every: float) -> list[Exception]:
    """Run ``target`` in a thread while aiming up to ``signals`` handled SIGUSR1 signals at it,
    ``every`` seconds apart (each interrupts a wait on the network); return what it raised.
    The thread is a daemon and must end within 4 minutes: a hang fails the test, not the
    interpreter's exit (which waits for every other thread)."""
    errors: list[Exception] = []

    def run() -> None:
        try:
            target()
        except Exception as exc:
            errors.append(exc)

    previous = signal.signal(signal.SIGUSR1, lambda *_: None)
    try:
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        for _ in range(signals):
            if thread.ident is None or not thread.is_alive():
                break
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                signal.pthread_kill(thread.ident, signal.SIGUSR1)
            time.sleep(every)
        thread.join(240)
        assert not thread.is_alive(), "still sending after 4 minutes"
    finally:
        signal.signal(signal.SIGUSR1, previous)
    return errors


@pytest.mark.questdb
@pytest.mark.filterwarnings("ignore:.*burst of reconnections")  # on purpose, here
def test_sending_that_signals_interrupt_loses_and_duplicates_nothing(
    questdb: QuestDBServer, config: MetricsConfig, spool_path: Path
) -> None:
    results = [run(f"o/sig-{i}", [law("A", [U, C])], run_id=f"sig-{i}") for i in range(3000)]
    with Spool(spool_path) as spool:
        spool.append(rows_of(results))

    def sending() -> None:  # small batches: many requests, each a connection made anew
        deadline = time.monotonic() + 200
        with Spool(spool_path) as spool:
            while spool.state().pending and time.monotonic() < deadline:
                connection = QuestDB(config)
                connection.ensure_tables(0)
                spool.ship(connection, batch=500)

    assert _pester(sending, signals=2000, every=0.002) == []
    with Spool(spool_path) as spool:
        assert (spool.state().pending, spool.state().rejected) == (0, 0)
    wait_tables(questdb)
    assert count(questdb, "hammurabi_rule_runs", "repo LIKE 'o/sig-%'") == 6000
    assert count(questdb, "hammurabi_runs") == 3000


def test_each_plugin_manager_has_a_metrics_plugin_of_its_own() -> None:
    first, second = (
        get_plugin_manager().get_plugin("metrics"),
        get_plugin_manager().get_plugin("metrics"),
    )
    assert isinstance(first, MetricsPlugin) and isinstance(second, MetricsPlugin)
    assert first is not second  # no state (fleet runs, a connection) shared between them


@contextlib.contextmanager
def _tls_proxy(port: int, folder: Path) -> Iterator[tuple[int, Path]]:
    """Serve TLS on a free port (a self-signed certificate for localhost) in front of QuestDB's
    HTTP ``port``; yield the port and the certificate."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))

    def pipe(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def serve() -> None:
        with contextlib.suppress(OSError):  # the listener closed
            while True:
                client, _ = listener.accept()
                try:
                    secure = context.wrap_socket(client, server_side=True)
                except (OSError, ssl.SSLError):  # a client that refused the certificate
                    client.close()
                    continue
                upstream = socket.create_connection(("127.0.0.1", port))
                for ends in ((secure, upstream), (upstream, secure)):
                    threading.Thread(target=pipe, args=ends, daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1], cert
    finally:
        listener.close()


@pytest.mark.questdb
def test_rows_go_over_tls_checked_against_the_given_roots(
    questdb: QuestDBServer,
    plugin: MetricsPlugin,
    spool_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hammurabi.integrations.metrics.plugin.RETRY_AFTER", 0.0)
    port = int(questdb.conf.rstrip(";").rsplit(":", 1)[1])
    with _tls_proxy(port, tmp_path) as (tls_port, cert):
        base = f"https::addr=localhost:{tls_port};"
        reports = [
            plugin.record(
                run(f"o/tls-{i}", [law("A", [U])], run_id=f"tls-{i}"),
                MetricsConfig.from_settings(MetricsSettings(conf=conf, spool=str(spool_path))),
            )
            for i, conf in enumerate(
                [f"{base}tls_roots={cert};", base, f"{base}tls_verify=unsafe_off;"]
            )
        ]
    checked, unknown, unchecked = reports
    assert checked is not None and (checked.sent, checked.remaining) == (3, 0)
    assert unknown is not None and (unknown.sent, unknown.remaining) == (0, 3)
    assert "CERTIFICATE_VERIFY_FAILED" in str(unknown.error)  # the certificate's CA is unknown
    assert unchecked is not None and (unchecked.sent, unchecked.remaining) == (6, 0)
    wait_tables(questdb)
    assert count(questdb, "hammurabi_repo_health", "repo LIKE 'o/tls-%'") == 3
