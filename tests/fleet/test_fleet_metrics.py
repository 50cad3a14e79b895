"""A fleet run records every repository in the real QuestDB under the fleet's one run id."""

from __future__ import annotations

from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from tests.fleet.conftest import Fleet
from tests.metrics.helpers import wait_tables
from tests.questdb_server import QuestDBServer


@pytest.mark.questdb
def test_metrics_rows_for_every_repository_with_one_run_id(
    fleet: Fleet, questdb: QuestDBServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HAMMURABI_METRICS_SPOOL", str(tmp_path / "spool.sqlite3"))
    fleet.hub.reject_pushes("acme/svc-14")
    code, out, data = fleet.run(
        "--include", "svc-1*", "--metrics", questdb.conf, "--run-id", "nightly-42", "-j", "3"
    )
    assert code == ExitCode.RULES_FAILED, out  # svc-14 cannot push
    assert data["run_id"] == "nightly-42" and len(data["repos"]) == 10
    # The first repository's rows went at once, the others' wait for the exit: send them.
    assert main(["metrics", "flush", "--metrics", questdb.conf]) == ExitCode.OK
    wait_tables(questdb)
    health = questdb.rows(
        "SELECT repo, run_id, outcome, pr_action FROM hammurabi_repo_health ORDER BY repo"
    )
    assert [row["repo"] for row in health] == [f"acme/svc-1{i}" for i in range(10)]
    assert {row["run_id"] for row in health} == {"nightly-42"}
    outcomes = {row["repo"]: row["outcome"] for row in health}
    assert outcomes["acme/svc-14"] == "failed" and outcomes["acme/svc-13"] == "unchanged"
    assert {row["pr_action"] for row in health if row["repo"] != "acme/svc-14"} >= {"opened"}
    (run,) = questdb.rows("SELECT run_id, repos, repos_failed FROM hammurabi_runs")
    assert run == {"run_id": "nightly-42", "repos": 10, "repos_failed": 1}
