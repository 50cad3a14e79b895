"""``hammurabi metrics init|flush|status``, ``hammurabi health`` and ``enforce --metrics``."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from hammurabi.integrations.metrics.config import MetricsConfig
from hammurabi.integrations.metrics.questdb import QuestDB
from hammurabi.integrations.metrics.schema import Row
from hammurabi.integrations.metrics.spool import Spool
from tests.metrics.helpers import count, fleet_history, frozen, rows_of, wait_tables
from tests.questdb_server import QuestDBServer

ROOT = Path(__file__).parents[2]
LAWS = """
laws:
  - name: Ignore caches
    description: Git ignores bytecode caches.
    weight: 2
    rules:
      - line-exists: {name: pycache ignored, path: .gitignore, text: __pycache__/, create: true}
  - name: Debug off
    description: No DEBUG in production.
    rules:
      - line-replaced: {name: debug off, path: app.py, target: '^DEBUG = True', text: DEBUG = False}
"""


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _history(questdb: QuestDBServer, spool_path: Path) -> None:
    """Spool three days of a small fleet and flush it with the CLI."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    history = fleet_history(
        {"org/good": [1.0, 1.0, 1.0], "org/bad": [0.2, 0.3, 0.4], "org/[mid]": [0.6, 0.9]},
        start=start,
    )
    with Spool(spool_path) as spool:
        spool.append(rows_of(history))
    assert main(["metrics", "flush", "--metrics", questdb.conf]) == ExitCode.OK
    wait_tables(questdb)


@pytest.mark.questdb
def test_init_status_and_flush(
    questdb: QuestDBServer, spool_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["metrics", "init", "--metrics", questdb.conf, "--ttl-days", "14"]) == 0
    out = capsys.readouterr().out
    assert "hammurabi_rule_runs: created (TTL 14 days)" in out
    assert main(["metrics", "init", "--metrics", questdb.conf]) == 0
    assert "hammurabi_runs: exists (TTL 90 days)" in capsys.readouterr().out
    _history(questdb, spool_path)
    capsys.readouterr()
    assert main(["metrics", "status", "--metrics", questdb.conf, "-f", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["metrics"] == "on" and status["spool"]["pending"] == 0
    assert status["server"] == {
        "reachable": True,
        "tables": {
            "hammurabi_rule_runs": 80,
            "hammurabi_repo_health": 8,
            "hammurabi_runs": 3,
            "hammurabi_pull_requests": 0,  # these runs edited files in place: no campaign
        },
    }
    # A refused row shows up in the status with its reason.
    with Spool(spool_path) as spool:
        spool.append([Row("hammurabi_runs", 5, {"run_id": "r", "repos": 1, "outcome": "ok"})])
    assert main(["metrics", "flush", "--metrics", questdb.conf]) == ExitCode.RULES_FAILED
    assert main(["metrics", "status", "--metrics", questdb.conf]) == 0
    out = capsys.readouterr().out
    assert "0 pending, 1 refused" in out and "ts 5 is outside 2000..2200" in out
    assert "server: reachable" in out


def test_status_and_flush_without_a_server(
    spool_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["metrics", "status"]) == 0
    assert "metrics: off" in capsys.readouterr().out
    assert main(["metrics", "flush"]) == ExitCode.USAGE_ERROR
    assert "no QuestDB configured" in capsys.readouterr().err
    with Spool(spool_path) as spool:
        spool.append(rows_of(fleet_history({"o/r": [1.0]}, start=datetime(2026, 1, 1, tzinfo=UTC))))
    closed = "http::addr=127.0.0.1:9;"
    assert main(["metrics", "flush", "--metrics", closed]) == ExitCode.RULES_FAILED
    assert "cannot reach QuestDB" in capsys.readouterr().err
    with Spool(spool_path) as spool:
        assert spool.state().pending == 12
    with sqlite3.connect(spool_path) as db:
        db.execute("INSERT INTO pending (tbl, row, added) VALUES ('t', '{not json', 1)")
    with Spool(spool_path) as spool:
        spool.ship(QuestDB(MetricsConfig(url="http://127.0.0.1:9")), lock_timeout=5)
    # The status shows an unreadable entry kept aside as it was.
    assert main(["metrics", "status", "-f", "json"]) == 0
    (refused,) = json.loads(capsys.readouterr().out)["refused"]
    assert (refused["source"], refused["row"]) == ("spool", "{not json")


@pytest.mark.questdb
def test_health_table_and_json(
    questdb: QuestDBServer,
    spool_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _history(questdb, spool_path)
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["health", "--metrics", questdb.conf, "--since", "7d"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Fleet: 3 repositories")
    bad, mid, good = (
        next(i for i, line in enumerate(lines) if name in line)
        for name in ("org/bad", "org/[mid]", "org/good")
    )
    assert bad < mid < good  # worst first; "[mid]" is not taken for markup
    assert "▃▄▅" in lines[bad] and "███" in lines[good] and "#101 open, 4.0d old" in lines[bad]
    assert "Rules most often out of compliance" in out
    monkeypatch.setenv("HAMMURABI_QUESTDB_CONF", questdb.conf)  # like --metrics
    assert main(["health", "-f", "json", "--repo", "org/bad", "--law", "base"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["repo"] for r in data["repos"]] == ["org/bad"]
    assert data["repos"][0]["trend"] == [0.4, 0.6, 0.8]
    assert data["filters"] == {"repos": ["org/bad"], "laws": ["base"]}
    assert {r["law"] for r in data["failing_rules"]} == {"base"}
    assert main(["health", "--since", "yesterday"]) == ExitCode.USAGE_ERROR


@pytest.mark.questdb
def test_enforce_with_metrics_records_the_run(questdb: QuestDBServer, tmp_path: Path) -> None:
    repo = tmp_path / "svc"
    repo.mkdir()
    (repo / "app.py").write_text("DEBUG = True\n")
    (tmp_path / "laws.yml").write_text(LAWS)
    env = {**os.environ, "HAMMURABI_METRICS_TTL_DAYS": "30"}
    args = [sys.executable, "-m", "hammurabi.cli.main", "enforce", str(repo), "--no-git"]
    args += ["--laws", str(tmp_path / "laws.yml"), "--disable-plugin", "python"]
    first = subprocess.run(
        [*args, "--metrics", questdb.conf], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    env["HAMMURABI_QUESTDB_CONF"] = questdb.conf
    second = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    wait_tables(questdb)
    scores = questdb.rows("SELECT repo, score, rules_total FROM hammurabi_repo_health ORDER BY ts")
    assert scores == [
        {"repo": "svc", "score": 0.0, "rules_total": 2},
        {"repo": "svc", "score": 1.0, "rules_total": 2},
    ]
    assert count(questdb, "hammurabi_rule_runs", "law = 'Ignore caches' AND law_weight = 2.0") == 2
    assert "TTL 30 DAYS" in questdb.query("SHOW CREATE TABLE hammurabi_runs")["dataset"][0][0]


@pytest.mark.questdb
def test_a_run_prints_its_summary_before_its_rows_are_sent(
    questdb: QuestDBServer, tmp_path: Path, spool_path: Path
) -> None:
    # QuestDB frozen: the summary is out (even into a pipe) while the rows wait to be sent.
    repo = tmp_path / "svc"
    repo.mkdir()
    (repo / "app.py").write_text("DEBUG = True\n")
    (tmp_path / "laws.yml").write_text(LAWS)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env |= {"HAMMURABI_METRICS_DRAIN_TIMEOUT": "3", "HAMMURABI_METRICS_SPOOL": str(spool_path)}
    args = [sys.executable, "-m", "hammurabi.cli.main", "enforce", str(repo), "--no-git"]
    args += ["--laws", str(tmp_path / "laws.yml"), "--disable-plugin", "python"]
    with frozen(questdb):
        proc = subprocess.Popen(
            [*args, "--metrics", questdb.conf],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()
        printed = time.monotonic()
        _, errors = proc.communicate(timeout=120)
        ended = time.monotonic()
    assert proc.returncode == 0 and first.strip(), errors
    assert ended - printed > 2.0, "the summary waited for QuestDB"
    assert "rows kept in" in errors
    with Spool(spool_path) as spool:
        assert spool.state().pending > 0


def test_help_does_not_import_questdb_or_httpx() -> None:
    code = (
        "import sys\nfrom hammurabi.cli.main import main\nmain(['--help'])\n"
        "main(['metrics', '--help'])\nmain(['health', '--help'])\n"
        "print(sorted(m for m in ('questdb', 'httpx', 'sqlite3', 'numpy') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert "flush" in proc.stdout and "--since" in proc.stdout


def test_an_install_brings_neither_the_questdb_client_nor_numpy() -> None:
    # Issue 17: about 140 MB in every install, also where metrics are off.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {
        re.split(r"[ <>=!~\[;]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]
    }
    assert "httpx" in names and not names & {"questdb", "numpy"}


def test_without_questdb_the_run_works_and_says_metrics_are_off(
    tmp_path: Path, spool_path: Path
) -> None:
    repo = tmp_path / "svc"
    repo.mkdir()
    (repo / "app.py").write_text("DEBUG = True\n")
    (tmp_path / "laws.yml").write_text(LAWS)
    args = [sys.executable, "-m", "hammurabi.cli.main", "enforce", str(repo), "--no-git"]
    args += ["--laws", str(tmp_path / "laws.yml"), "--disable-plugin", "python"]
    env = {k: v for k, v in os.environ.items() if "QUESTDB" not in k}

    off = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    assert off.returncode == 0, off.stderr
    assert "metrics: off (no QuestDB configured" in off.stdout
    assert not spool_path.exists()
    quiet = subprocess.run([*args, "-q"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert quiet.returncode == 0 and "metrics" not in quiet.stdout + quiet.stderr
    as_json = subprocess.run([*args, "-f", "json"], cwd=ROOT, env=env, capture_output=True)
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["laws"]  # nothing else

    (repo / "app.py").write_text("DEBUG = True\n")
    spooled = subprocess.run(
        args,
        cwd=ROOT,
        env={**env, "HAMMURABI_METRICS_SPOOL_ONLY": "true"},
        capture_output=True,
        text=True,
    )
    assert spooled.returncode == 0, spooled.stderr
    assert f"metrics: spooled to {spool_path}" in spooled.stdout
    with Spool(spool_path) as spool:
        assert spool.state().pending == 2 + 1 + 1  # two rules, the health row, the run row

    # A conf the client cannot use is a usage error, found before any work (issue 12).
    bad = subprocess.run(
        [*args, "--metrics", "tcp::addr=127.0.0.1:9009;"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2, bad.stderr
    (line,) = bad.stderr.splitlines()
    assert line.startswith("hammurabi: error: metrics conf") and "ILP over HTTP" in line


@pytest.mark.questdb
def test_flush_reports_rows_the_server_refuses(
    questdb: QuestDBServer, spool_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hammurabi.integrations.metrics.schema import TABLES
    from tests.metrics.helpers import F, U, law, run

    # A table made by hand with ``error`` as a number: the failed rule's row is refused.
    questdb.query(
        TABLES["hammurabi_rule_runs"].create_sql().replace("error VARCHAR", "error DOUBLE")
    )
    with Spool(spool_path) as spool:
        spool.append(rows_of([run("o/r", [law("A", [U, F])])]))
    assert main(["metrics", "flush", "--metrics", questdb.conf]) == ExitCode.RULES_FAILED
    captured = capsys.readouterr()
    assert "sent 3 row(s)" in captured.out and "1 refused; 0 pending" in captured.out
    assert "refused hammurabi_rule_runs: refused by QuestDB" in captured.err
    assert "cast error" in captured.err
    assert main(["metrics", "status", "--metrics", questdb.conf, "-f", "json"]) == 0
    (refused,) = json.loads(capsys.readouterr().out)["refused"]
    assert (refused["source"], refused["row"]["error"]) == ("server", "boom")
    # After a fix, the refused row goes through.
    questdb.query("DROP TABLE hammurabi_rule_runs")
    assert main(["metrics", "flush", "--metrics", questdb.conf, "--retry-rejected"]) == 0
    out = capsys.readouterr().out
    assert "requeued 1 refused row(s)" in out and "sent 1 row(s)" in out
