"""Run records into rows, client-side validation, and the metrics configuration."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hammurabi.core.errors import ConfigError
from hammurabi.core.records import PullRequestRecord
from hammurabi.core.results import Status
from hammurabi.integrations.metrics.config import MetricsConfig, parse_conf, redact
from hammurabi.integrations.metrics.questdb import QuestDB
from hammurabi.integrations.metrics.rows import FleetRuns, health_row, rule_rows, run_rows, to_ns
from hammurabi.integrations.metrics.schema import Row, RowError, validate
from hammurabi.loading.settings import MetricsSettings, load_settings
from tests.metrics.helpers import T0, C, F, U, law, rule, run


def test_rule_rows_follow_the_walk_with_real_event_times() -> None:
    a = law("A", [U, C], weight=2)
    a.rules[0].chain = [rule("child", F, law="A", at=T0 + timedelta(seconds=3))]
    rows = rule_rows(run("org/x", [a], run_id="abc"), "org/x")
    assert [(r.values["rule"], r.values["seq"]) for r in rows] == [
        ("A-r0", 0),
        ("child", 1),
        ("A-r1", 2),
    ]
    assert rows[0].ts == to_ns(T0) == int(T0.timestamp()) * 10**9 + 123456000
    assert rows[1].ts == to_ns(T0 + timedelta(seconds=3))
    child = rows[1].values
    assert child["outcome"] == "failed" and child["error"] == "boom"
    assert rows[2].values["files_changed"] == 1 and rows[2].values["law_weight"] == 2.0
    assert all(r.values["run_id"] == "abc" and r.values["repo"] == "org/x" for r in rows)


def test_errors_get_rows_of_their_own() -> None:
    rows = rule_rows(run("r", [law("A", [], error="bad law")]), "r")
    assert [(r.values["rule_id"], r.values["outcome"], r.values["error"]) for r in rows] == [
        ("law-error", "failed", "bad law")
    ]
    rows = rule_rows(run("r", [], error="clone failed"), "r")
    assert rows[0].values["law"] == "(run)" and rows[0].values["rule_id"] == "run-error"


def test_health_row_reads_the_pull_request_defensively() -> None:
    pr = {
        "number": 42,
        "url": "https://github.example/o/r/pull/42",
        "state": "open",
        "action": "opened",
        "created_at": "2026-02-27T12:00:00.123456Z",
    }
    values = health_row(run("o/r", [law("A", [C])], pull_request=pr), "o/r").values
    assert values["pr_number"] == 42 and values["pr_state"] == "open"
    assert values["pr_created_at"] == to_ns(datetime(2026, 2, 27, 12, 0, 0, 123456, UTC)) // 1000
    assert values["pr_age_s"] == pytest.approx(2 * 86400)
    assert values["score"] == 0.0
    for odd in ({}, {"number": "42", "created_at": "not a date"}, {"number": True}):
        values = health_row(run("o/r", [], pull_request=odd), "o/r").values
        assert not [k for k in values if k.startswith("pr_")]
    result = run("o/r", [])
    result.pull_request = PullRequestRecord("github", "o/r")  # the forge failed: no action
    assert "pr_number" not in health_row(result, "o/r").values


def test_fleet_runs_upsert_one_row_per_run_id() -> None:
    fleet = FleetRuns()
    first = fleet.update(run("a", [law("A", [U])], at=T0), "a")
    second = fleet.update(run("b", [law("A", [F, C])], at=T0 + timedelta(seconds=10)), "b")
    assert first.ts == second.ts == to_ns(T0)
    assert second.values["repos"] == 2 and second.values["repos_failed"] == 1
    assert second.values["rules"] == 3 and second.values["outcome"] == "failed"
    assert second.values["duration_ms"] == pytest.approx(10_050.0)


def test_fleet_runs_count_as_changed_only_what_the_run_changed() -> None:
    # A bot branch already holding the laws' changes: nothing pushed, nothing changed.
    fleet = FleetRuns()
    statuses = {"a": Status.PR_OPENED, "b": Status.UP_TO_DATE, "c": Status.FILES_CHANGED}
    for repo, status in statuses.items():
        result = run(repo, [law("A", [U, C])])
        result.action = status
        row = fleet.update(result, repo)
    assert row.values["repos"] == 3 and row.values["repos_changed"] == 2


def test_rows_round_trip_through_json_keeping_types() -> None:
    rows = run_rows(run("o/r", [law("A", [U])]))
    for row in rows:
        again = Row.from_json(row.table, row.to_json())
        assert again == row
        for key, value in row.values.items():
            assert type(again.values[key]) is type(value), key


def test_validation_fixes_what_it_can() -> None:
    row = Row(
        "hammurabi_rule_runs",
        to_ns(T0),
        {
            "run_id": "r",
            "repo": "org/\nrepo\t",
            "law": "l",
            "rule": "x",
            "seq": 1.0,
            "outcome": "changed",
            "duration_ms": math.nan,
            "error": "e" * 10_000 + "\x00",
            "reason": "\udcff lone surrogate",
        },
    )
    clean = validate(row).values
    assert clean["repo"] == "org/ repo"
    assert clean["seq"] == 1 and isinstance(clean["seq"], int)
    assert "duration_ms" not in clean
    assert len(clean["error"]) == 4000 and clean["error"].endswith("…")
    assert clean["reason"].startswith("? ")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seq": "1"}, "must be a number"),
        ({"seq": 1.5}, "whole number"),
        ({"seq": 2**64}, "64-bit"),
        ({"dry_run": "yes"}, "true or false"),
        ({"repo": 42}, "must be text"),
        ({"repo": " "}, "required"),
        ({"law": "x" * 300}, "longer than 255"),
        ({"nope": 1}, "unknown columns"),
    ],
)
def test_validation_refuses_bad_values(change: dict[str, object], message: str) -> None:
    values = {"run_id": "r", "repo": "o/r", "law": "l", "rule": "x", "seq": 0, "outcome": "ok"}
    with pytest.raises(RowError, match=message):
        validate(Row("hammurabi_rule_runs", to_ns(T0), {**values, **change}))


def test_validation_refuses_bad_times_and_tables() -> None:
    values = {"run_id": "r", "repo": "o/r", "outcome": "unchanged"}
    with pytest.raises(RowError, match="outside"):
        validate(Row("hammurabi_repo_health", 0, values))
    with pytest.raises(RowError, match="outside"):
        validate(Row("hammurabi_repo_health", to_ns(T0), {**values, "pr_created_at": 1}))
    with pytest.raises(RowError, match="unknown table"):
        validate(Row("users", to_ns(T0), {}))


def test_conf_parsing_and_redaction() -> None:
    schema, params = parse_conf("https::addr=db:9000;username=u;password=a;;b;token=t;")
    assert schema == "https" and params == {
        "addr": "db:9000",
        "username": "u",
        "password": "a;b",
        "token": "t",
    }
    shown = redact("https::addr=db:9000;username=u;password=a;;b;token=t;")
    assert "a;;b" not in shown and "=t;" not in shown and "username=u" in shown
    with pytest.raises(ConfigError, match="ILP over HTTP"):
        MetricsConfig.from_settings(MetricsSettings(conf="tcp::addr=db:9009;"))
    with pytest.raises(ConfigError, match="addr"):
        MetricsConfig.from_settings(MetricsSettings(conf="http::username=x;"))


def test_conf_sources_and_http_settings(tmp_path: Path) -> None:
    env = {"HAMMURABI_QUESTDB_CONF": "http::addr=env:1;"}
    settings = MetricsSettings()
    assert MetricsConfig.from_settings(settings, env=env).conf == "http::addr=env:1;"
    settings.conf = "http::addr=file:2;username=u;password=p;"
    config = MetricsConfig.from_settings(settings, env=env)
    assert config.conf == settings.conf
    questdb = QuestDB(config)
    assert (questdb.url, questdb.headers) == ("http://file:2", {"Authorization": "Basic dTpw"})
    assert MetricsConfig.from_settings(settings, conf="http::addr=cli:3;", env=env).conf == (
        "http::addr=cli:3;"
    )
    (tmp_path / ".hammurabi.toml").write_text(
        '[metrics]\nconf = "http::addr=toml:4;"\nttl_days = 7\nspool_only = true\n'
    )
    loaded = load_settings(tmp_path, env={"HAMMURABI_METRICS_URL": "http://reader:9000/"})
    config = MetricsConfig.from_settings(loaded.metrics, env={})
    assert (config.conf, config.ttl_days, config.spool_only) == ("http::addr=toml:4;", 7, True)
    assert QuestDB(config).url == "http://reader:9000"
    assert config.spool.name == "metrics-spool.sqlite3"
