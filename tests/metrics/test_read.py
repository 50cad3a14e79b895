"""Reading back: safe quoting against the real QuestDB, and the health report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hammurabi.core.errors import ConfigError
from hammurabi.integrations.metrics.config import MetricsConfig, QueryError, UnavailableError
from hammurabi.integrations.metrics.questdb import QuestDB, quote_literal
from hammurabi.integrations.metrics.report import fetch_health, parse_since
from hammurabi.integrations.metrics.spool import Spool, flush
from tests.metrics.helpers import T0, C, U, answering, fleet_history, law, rows_of, run
from tests.questdb_server import QuestDBServer

NASTY = [
    "evil' OR '1'='1",
    "o''brien/repo",
    "back\\slash\\",
    "semi'; DROP TABLE hammurabi_runs; --",
    'quote"double',
    "percent%_like*",
    "ünï/cödé",
]


def _load(config: MetricsConfig, spool_path: Path, results: list, server: QuestDBServer) -> None:
    with Spool(spool_path) as spool:
        spool.append(rows_of(results))
    report = flush(config)
    assert report.ok and report.sent == len(rows_of(results)), report
    for table in ("hammurabi_rule_runs", "hammurabi_repo_health", "hammurabi_runs"):
        server.wait_for_wal(table)


def test_quote_literal() -> None:
    assert quote_literal("a'b") == "'a''b'"
    assert quote_literal("x\\") == "'x\\'"
    with pytest.raises(ConfigError, match="NUL"):
        quote_literal("a\x00b")


def test_parse_since() -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    assert parse_since("30d", now) == now - timedelta(days=30)
    assert parse_since("12h", now) == now - timedelta(hours=12)
    assert parse_since("2w", now) == now - timedelta(weeks=2)
    assert parse_since("2026-03-01", now) == datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(ConfigError, match="--since"):
        parse_since("yesterday'; DROP TABLE x", now)


@pytest.mark.questdb
def test_names_cannot_inject_sql(
    questdb: QuestDBServer, config: MetricsConfig, spool_path: Path
) -> None:
    results = [
        run(name, [law(name, [U, C])], run_id=f"r{i}", at=T0 + timedelta(seconds=i))
        for i, name in enumerate(NASTY)
    ]
    _load(config, spool_path, results, questdb)
    http = QuestDB(config)
    for name in NASTY:
        report = fetch_health(http, since=T0 - timedelta(days=1), repos=[name], laws=[name])
        assert [trend.repo for trend in report.repos] == [name]
        assert report.repos[0].score == 0.5
        assert [(r.law, r.rule) for r in report.failing_rules] == [(name, f"{name}-r1")]
    everything = fetch_health(http, since=T0 - timedelta(days=1))
    assert sorted(t.repo for t in everything.repos) == sorted(NASTY)
    none = fetch_health(http, since=T0 - timedelta(days=1), repos=["' OR 1=1 --"])
    assert none.repos == []
    assert set(questdb.tables()) >= {"hammurabi_runs", "hammurabi_repo_health"}
    with pytest.raises(QueryError, match="rejected"):
        http.exec("SELECT nope FROM hammurabi_runs")


@pytest.mark.questdb
def test_health_report_trends_worst_first_and_law_filter(
    questdb: QuestDBServer, config: MetricsConfig, spool_path: Path
) -> None:
    history = fleet_history(
        {"org/good": [1.0, 1.0, 1.0], "org/bad": [0.2, 0.4, 0.5], "org/mid": [0.5, 0.8, 0.9]},
        start=T0,
    )
    _load(config, spool_path, history, questdb)
    http = QuestDB(config)
    report = fetch_health(http, since=T0 - timedelta(hours=1))
    assert [t.repo for t in report.repos] == ["org/bad", "org/mid", "org/good"]
    bad = report.repos[0]
    # score = weighted: base (weight 2) 5 rules, extra (weight 1) 5 rules
    # day 0: 2 good rules, both in base -> (2 * 2) / (5 * 2 + 5 * 1) = 4 / 15
    assert [round(p.score or 0, 4) for p in bad.points] == [
        round(4 / 15, 4),
        round(8 / 15, 4),
        round(10 / 15, 4),
    ]
    assert bad.latest.pr_number == 100 and bad.latest.pr_state == "open"
    assert bad.latest.pr_age_s == pytest.approx(4 * 86400 + 0, abs=5)
    assert report.compliant_repos == 1
    assert report.fleet_score == pytest.approx((10 / 15 + 14 / 15 + 1.0) / 3)
    assert len(report.fleet_trend) == 3
    assert report.failing_rules[0].law == "extra"
    # Scoring one law: for org/bad, "base" is 2/5, 4/5, 5/5 compliant.
    base = fetch_health(http, since=T0 - timedelta(hours=1), laws=["base"])
    scores = {t.repo: [p.score for p in t.points] for t in base.repos}
    assert scores["org/bad"] == [0.4, 0.8, 1.0]
    assert [t.repo for t in base.repos] == ["org/bad", "org/good", "org/mid"]  # ties by name
    window = fetch_health(
        http,
        since=T0 + timedelta(hours=12),
        until=T0 + timedelta(days=1, hours=12),
        repos=["org/bad", "org/mid"],
    )
    assert {t.repo: len(t.points) for t in window.repos} == {"org/bad": 1, "org/mid": 1}
    data = report.to_dict()
    assert data["fleet"]["repos"] == 3
    assert data["repos"][0]["pull_request"]["number"] == 100


@pytest.mark.questdb
def test_sql_over_exec(questdb: QuestDBServer, config: MetricsConfig) -> None:
    http = QuestDB(config)
    assert http.ensure_tables(0) == [
        "hammurabi_rule_runs",
        "hammurabi_repo_health",
        "hammurabi_runs",
        "hammurabi_pull_requests",
    ]
    sql = f"SELECT {quote_literal(NASTY[0])} AS v, 1 + 1 AS two"
    assert http.rows(sql) == [{"v": NASTY[0], "two": 2}]
    with pytest.raises(QueryError, match=r"Invalid column: nope \(at 7\)$") as caught:
        http.exec("SELECT nope FROM hammurabi_runs")
    assert caught.value.position == 7
    closed = QuestDB(MetricsConfig(url="http://127.0.0.1:9"), timeout=5)
    with pytest.raises(UnavailableError, match="cannot reach QuestDB"):
        closed.exec("SELECT 1")


def test_a_refused_query_names_a_place_only_when_the_server_does() -> None:
    # Something in front of QuestDB refuses the query in plain text: no "(at None)".
    with answering(400, b"no such endpoint") as url, pytest.raises(QueryError) as caught:
        QuestDB(MetricsConfig(url=url)).exec("SELECT 1")
    assert str(caught.value) == "QuestDB rejected a query: no such endpoint"
    assert caught.value.position is None
