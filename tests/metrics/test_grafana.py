"""The Grafana example: every SQL query of the dashboard runs on the real QuestDB with data in it.

The queries are taken from the dashboard JSON (every target of every panel, and the template
variable), Grafana's macros are expanded the way the QuestDB data source plugin expands them,
and each query must succeed, return rows, and have the columns the panel shows. The data is
written by our own plugin from hand-built enforce results, so the dashboard and the tables
cannot drift apart unnoticed.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from hammurabi.core.pullstate import Stage
from hammurabi.core.records import CampaignRecord
from hammurabi.core.results import RunResult
from hammurabi.integrations.metrics.config import MetricsConfig
from hammurabi.integrations.metrics.plugin import MetricsPlugin
from hammurabi.integrations.metrics.questdb import quote_literal
from hammurabi.integrations.metrics.rows import health
from tests.metrics.helpers import F, U, fleet_history, law, run, wait_tables
from tests.questdb_server import QuestDBQueryError, QuestDBServer

EXAMPLE = Path(__file__).parents[2] / "examples" / "observability"
DASHBOARD = EXAMPLE / "grafana" / "dashboards" / "hammurabi-fleet.json"
DATASOURCES = EXAMPLE / "grafana" / "provisioning" / "datasources" / "questdb.yml"
PROVIDERS = EXAMPLE / "grafana" / "provisioning" / "dashboards" / "hammurabi.yml"
COMPOSE = EXAMPLE / "docker-compose.yml"
PLUGIN_TYPE = "questdb-questdb-datasource"

#: The columns each query must return, by panel title and target refId (in this order).
EXPECTED: dict[tuple[str, str], list[str]] = {
    ("Fleet health score", "A"): ["fleet_score"],
    ("Repositories", "A"): ["repositories", "compliant", "out_of_compliance"],
    ("Open pull requests", "A"): [
        "repo",
        "pr_number",
        "pr_url",
        "pr_action",
        "pr_created_at",
        "age_days",
        "score",
    ],
    ("Pull requests open", "A"): ["open_prs", "oldest_days"],
    ("Rule results out of compliance", "A"): ["changed", "failed"],
    ("Fleet health score over time", "A"): ["ts", "fleet_score"],
    ("Health score by repository", "A"): ["ts", "repo", "score"],
    ("Repositories out of compliance", "A"): [
        "repo",
        "score",
        "rules_compliant",
        "rules_total",
        "rules_changed",
        "rules_failed",
        "outcome",
        "pr_number",
        "pr_state",
        "pr_age_days",
        "pr_url",
        "last_run",
    ],
    ("Most failing rules", "A"): [
        "law",
        "rule",
        "failed",
        "changed",
        "out_of_compliance",
        "repos",
        "last_seen",
    ],
    ("Rule outcomes over time", "A"): ["ts", "outcome", "results"],
    ("Pull request age", "A"): ["ts", "oldest_days", "mean_days"],
    ("Run durations", "A"): ["ts", "fleet_run_s"],
    ("Run durations", "B"): ["ts", "repo_run_p95_s", "repo_run_max_s"],
    ("Slowest rules", "A"): ["law", "rule", "rule_id", "runs", "mean_ms", "p95_ms", "max_ms"],
    ("Recent runs", "A"): [
        "ts",
        "run_id",
        "outcome",
        "repos",
        "repos_changed",
        "repos_failed",
        "rules",
        "duration_s",
        "version",
        "host",
        "dry_run",
    ],
    ("Recent rule errors", "A"): ["ts", "repo", "law", "rule", "rule_id", "error"],
    ("Campaign burn-down", "A"): ["ts", "to_do", "done"],
    ("Campaign stages now", "A"): ["campaign", "stage", "repos"],
    ("Stuck pull requests", "A"): [
        "repo",
        "campaign",
        "stage",
        "pr_number",
        "pr_url",
        "checks",
        "checks_failing",
        "review",
        "mergeable_state",
        "age_days",
    ],
    ("GitHub API calls per repository run", "A"): ["ts", "mean_calls", "max_calls"],
    ("$repo", "query"): ["repo"],
}


@dataclass(frozen=True)
class Query:
    """One SQL query of the dashboard: where it is, its SQL, and its Grafana format."""

    panel: str
    ref: str
    sql: str
    time_series: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.panel, self.ref)


def _dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield every panel, including those nested in collapsed rows."""
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def dashboard_queries(dashboard: dict[str, Any]) -> list[Query]:
    """Return every SQL query of ``dashboard``: panel targets, then template variables."""
    queries = []
    titles: set[str] = set()
    for panel in _panels(dashboard["panels"]):
        if panel["type"] == "row":
            assert not panel.get("targets"), f"row {panel['title']!r} has queries"
            continue
        title = panel["title"]
        assert title not in titles, f"two panels are called {title!r}"
        titles.add(title)
        assert panel.get("targets"), f"panel {title!r} has no query"
        for target in panel["targets"]:
            assert target.get("rawSql", "").strip(), f"{title} {target['refId']}: no rawSql"
            assert target["format"] in (0, 1), f"{title}: format must be 0 or 1"
            queries.append(Query(title, target["refId"], target["rawSql"], target["format"] == 0))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable["type"] == "query":
            sql = variable["query"]
            sql = sql["rawSql"] if isinstance(sql, dict) else sql
            queries.append(Query(f"${variable['name']}", "query", sql, False))
    return queries


# ----------------------------------------------------------------------------- macros


@dataclass(frozen=True)
class Window:
    """What Grafana would fill in: the time range, the interval, the selected repositories."""

    start: datetime
    end: datetime
    interval: str = "1d"
    repos: tuple[str, ...] | None = None  # None: "All"


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _macro_args(sql: str, open_paren: int) -> tuple[list[str], int]:
    """Split the arguments of the call whose ``(`` is at ``open_paren``; return them and the end."""
    depth, start, args = 0, open_paren + 1, []
    for i in range(open_paren, len(sql)):
        char = sql[i]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                args.append(sql[start:i])
                return [arg.strip() for arg in args], i + 1
        elif char == "," and depth == 1:
            args.append(sql[start:i])
            start = i + 1
    raise AssertionError(f"unbalanced macro call in: {sql}")


def _expand(sql: str, name: str, expand: Any) -> str:
    """Replace every ``$__name(...)`` call by ``expand(args)``."""
    marker = f"$__{name}("
    while (at := sql.find(marker)) >= 0:
        args, end = _macro_args(sql, at + len(marker) - 1)
        sql = sql[:at] + expand(args) + sql[end:]
    return sql


def expand_macros(sql: str, window: Window) -> str:
    """Expand Grafana's and the QuestDB plugin's macros and variables into plain SQL.

    ``$__timeFilter(c)`` becomes ``c >= cast(µs as timestamp) AND c <= cast(µs as timestamp)``
    and ``$__fromTime``/``$__toTime`` ``cast(µs as timestamp)``, as the plugin does;
    ``$__conditionalAll(expr, $var)`` becomes ``1=1`` for "All", else ``expr``; a multi-value
    variable becomes a list of quoted values.
    """
    start, end = _micros(window.start), _micros(window.end)

    def time_filter(args: list[str]) -> str:
        (column,) = args
        return f"{column} >= cast({start} as timestamp) AND {column} <= cast({end} as timestamp)"

    def conditional_all(args: list[str]) -> str:
        phrase, _variable = args
        return "1=1" if window.repos is None else phrase

    sql = _expand(sql, "timeFilter", time_filter)
    sql = _expand(sql, "conditionalAll", conditional_all)
    sql = sql.replace("$__fromTime", f"cast({start} as timestamp)")
    sql = sql.replace("$__toTime", f"cast({end} as timestamp)")
    sql = sql.replace("$__sampleByInterval", window.interval)
    if window.repos is not None:
        sql = re.sub(r"\$\{repo\}|\$repo\b", ", ".join(map(quote_literal, window.repos)), sql)
    left = re.findall(r"\$\{?\w+", sql)
    assert not left, f"unexpanded macros or variables {left} in:\n{sql}"
    return sql


# ----------------------------------------------------------------------------- data


def _history(now: datetime) -> list[RunResult]:
    """Five days of a fleet of four repositories, and a last run where a law fails."""
    start = now.replace(microsecond=0) - timedelta(days=5)
    results = fleet_history(
        {
            "org/good": [1.0] * 5,
            "org/bad": [0.2, 0.3, 0.3, 0.4, 0.5],
            "org/mid": [0.6, 0.8, 0.9, 1.0],
            "org/new": [0.7],
        },
        start=start,
    )
    last = now - timedelta(hours=2)
    results.append(
        run(
            "org/api",
            [
                law("base", [U, U], weight=2.0, at=last),
                law("deploy", [F, U], at=last + timedelta(seconds=1)),
            ],
            run_id="deploy-1",
            at=last,
            pull_request={
                "number": 7,
                "url": "https://github.example/org/api/pull/7",
                "state": "open",
                "action": "opened",
                "created_at": (last - timedelta(days=1)).isoformat(),
                "checks": "failing",
                "failing": ["ci"],
                "review": "none",
                "mergeable": True,
                "mergeable_state": "blocked",
            },
        )
    )
    for result in results:  # a campaign: each run says where its repository stands
        score = health(result).score
        pr = result.pull_request
        if result.repo == "org/api":
            stage = Stage.FAILING
        elif score == 1.0:
            stage = Stage.COMPLIANT
        else:
            stage = Stage.PROPOSED if pr and pr.state == "open" else Stage.UNPROPOSED
        calls = 6 if result.repo == "org/api" else 2
        result.campaign = CampaignRecord("hammurabi/laws", stage, api_calls=calls)
    return results


@pytest.fixture
def seeded(questdb: QuestDBServer, config: MetricsConfig, plugin: MetricsPlugin) -> list[RunResult]:
    """Record the history through the metrics plugin, as enforce does, and wait for it."""
    results = _history(datetime.now(UTC))
    plugin.send_later = True  # as the CLI has it: the command's end sends
    for result in results:
        plugin.record(result, config)
    report = plugin.flush()
    assert report is not None and report.ok, report
    wait_tables(questdb)
    return results


def _latest_scores(results: list[RunResult]) -> dict[str, float | None]:
    latest: dict[str, RunResult] = {}
    for result in sorted(results, key=lambda r: r.started_at):
        latest[result.repo or ""] = result
    return {repo: health(result).score for repo, result in latest.items()}


def run_query(server: QuestDBServer, query: Query, window: Window) -> dict[str, Any]:
    """Run ``query`` in ``window``; check it returned rows with the expected columns."""
    sql = expand_macros(query.sql, window)
    result = server.query(sql)
    names = [column["name"] for column in result["columns"]]
    assert names == EXPECTED[query.key], f"{query.key}: columns {names}"
    assert result["dataset"], f"{query.key} returned no rows:\n{sql}"
    if query.time_series:
        assert result["columns"][0]["type"] == "TIMESTAMP", f"{query.key}: time first"
        stamps = [row[0] for row in result["dataset"]]
        assert stamps == sorted(stamps), f"{query.key}: time series must be in time order"
    return result


# ----------------------------------------------------------------------------- tests


def test_every_panel_query_is_checked() -> None:
    queries = dashboard_queries(_dashboard())
    assert sorted(q.key for q in queries) == sorted(EXPECTED)
    assert len(queries) >= 15


@pytest.mark.questdb
def test_every_dashboard_query_runs_on_questdb(
    questdb: QuestDBServer, seeded: list[RunResult]
) -> None:
    now = datetime.now(UTC)
    queries = dashboard_queries(_dashboard())
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for window in (
        Window(now - timedelta(days=30), now),
        Window(now - timedelta(days=7), now + timedelta(hours=1), interval="6h"),
        Window(now - timedelta(days=30), now, interval="30m"),
    ):
        for query in queries:
            results[query.key] = run_query(questdb, query, window)

    # A few values, computed independently from the enforce results.
    scores = _latest_scores(seeded)
    dataset = results[("Fleet health score", "A")]["dataset"]
    assert dataset[0][0] == pytest.approx(
        statistics.mean(s for s in scores.values() if s is not None)
    )
    out = sorted(repo for repo, score in scores.items() if score is not None and score < 1)
    assert results[("Repositories", "A")]["dataset"] == [[5, 5 - len(out), len(out)]]
    rows = results[("Repositories out of compliance", "A")]["dataset"]
    assert sorted(row[0] for row in rows) == out
    assert [row[1] for row in rows] == sorted(row[1] for row in rows)  # worst first
    errors = results[("Recent rule errors", "A")]["dataset"]
    assert [(row[1], row[2], row[5]) for row in errors] == [("org/api", "deploy", "boom")]
    failing = results[("Most failing rules", "A")]["dataset"]
    assert failing[0][:2] == ["extra", "extra-r4"]  # changed in bad every day, mid twice
    stuck = results[("Stuck pull requests", "A")]["dataset"]
    assert [
        "org/api",
        "hammurabi/laws",
        "failing",
        7,
        "https://github.example/org/api/pull/7",
        "failing",
        "ci",
    ] in [row[:7] for row in stuck]
    ages = [row[-1] for row in stuck]
    assert ages == sorted(ages, reverse=True)  # oldest first
    stages = results[("Campaign stages now", "A")]["dataset"]
    latest = {}
    for result in sorted(seeded, key=lambda r: r.started_at):
        assert result.campaign is not None
        latest[result.repo] = result.campaign.stage.value
    expected = {stage: list(latest.values()).count(stage) for stage in set(latest.values())}
    assert {row[1]: row[2] for row in stages} == expected
    assert {row[0] for row in stuck} == {
        repo for repo, stage in latest.items() if stage in ("failing", "proposed")
    }
    calls = results[("GitHub API calls per repository run", "A")]["dataset"]
    assert max(row[2] for row in calls) == 6
    variable = results[("$repo", "query")]["dataset"]
    assert [row[0] for row in variable] == sorted(scores)


@pytest.mark.questdb
def test_queries_honour_the_repository_selection(
    questdb: QuestDBServer, seeded: list[RunResult]
) -> None:
    now = datetime.now(UTC)
    window = Window(now - timedelta(days=30), now, repos=("org/bad", "org/api"))
    filtered = [q for q in dashboard_queries(_dashboard()) if "$repo" in q.sql]
    assert len(filtered) >= 10
    for query in filtered:
        result = run_query(questdb, query, window)
        if query.key == ("Repositories", "A"):
            assert result["dataset"] == [[2, 0, 2]]
        names = [column["name"] for column in result["columns"]]
        if "repo" in names:
            repos = {row[names.index("repo")] for row in result["dataset"]}
            assert repos and repos <= {"org/bad", "org/api"}, query.key


@pytest.mark.questdb
def test_a_broken_query_fails_the_check(questdb: QuestDBServer, seeded: list[RunResult]) -> None:
    now = datetime.now(UTC)
    window = Window(now - timedelta(days=30), now)
    query = next(q for q in dashboard_queries(_dashboard()) if q.panel == "Most failing rules")
    with pytest.raises(QuestDBQueryError, match="Invalid column"):
        run_query(
            questdb, Query(query.panel, query.ref, query.sql.replace("law,", "lw,"), False), window
        )
    renamed = query.sql.replace("AS repos", "AS repositories")
    with pytest.raises(AssertionError, match="columns"):
        run_query(questdb, Query(query.panel, query.ref, renamed, False), window)
    empty = query.sql.replace(
        "outcome IN", "outcome NOT IN ('changed', 'failed', 'unchanged', 'skipped') AND outcome IN"
    )
    with pytest.raises(AssertionError, match="no rows"):
        run_query(questdb, Query(query.panel, query.ref, empty, False), window)
    with pytest.raises(AssertionError, match="unexpanded"):
        expand_macros("SELECT 1 WHERE $__timeFilter(ts) AND $__unknownMacro", window)


def test_provisioning_matches_the_dashboard() -> None:
    dashboard = _dashboard()
    (source,) = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    assert source["type"] == PLUGIN_TYPE
    assert source["jsonData"]["port"] == 8812 and source["jsonData"]["username"] == "admin"
    assert source["secureJsonData"]["password"] == "quest"
    uses = [p["datasource"] for p in _panels(dashboard["panels"]) if p["type"] != "row"]
    uses += [t["datasource"] for p in _panels(dashboard["panels"]) for t in p.get("targets", [])]
    uses += [v["datasource"] for v in dashboard["templating"]["list"]]
    assert uses and all(use == {"type": PLUGIN_TYPE, "uid": source["uid"]} for use in uses)
    ids = [p["id"] for p in _panels(dashboard["panels"])]
    assert len(ids) == len(set(ids)), "panel ids must be unique"

    compose = yaml.safe_load(COMPOSE.read_text())
    grafana = compose["services"]["grafana"]
    assert grafana["environment"]["GF_PLUGINS_PREINSTALL_SYNC"] == PLUGIN_TYPE
    assert source["jsonData"]["server"] in compose["services"]
    mounts = dict(volume.rsplit(":", 1)[0].split(":", 1) for volume in grafana["volumes"][:2])
    assert all((EXAMPLE / local).is_dir() for local in mounts)
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    (provider,) = yaml.safe_load(PROVIDERS.read_text())["providers"]
    dashboards_dir = provider["options"]["path"]
    assert mounts["./grafana/dashboards"] == dashboards_dir
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{dashboards_dir}/{DASHBOARD.name}"
    assert compose["services"]["questdb"]["image"].endswith(":9.3.4")
