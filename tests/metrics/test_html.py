"""``hammurabi health --html``: the page renders in headless Chromium and shows the DB's data.

Needs Debian's ``chromium`` (``.ci/system-deps`` installs it). Missing, the test skips on a
developer machine and fails in CI (``CI`` set).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.integrations.metrics.spool import Spool
from tests.metrics.helpers import fleet_history, rows_of, wait_tables
from tests.questdb_server import QuestDBServer


def chromium() -> str:
    """Return the chromium binary; fail in CI, skip elsewhere, when there is none."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "headless Chromium is needed: apt-get install chromium (see .ci/system-deps)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def run_chromium(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


class _Dom(HTMLParser):
    """Collect the repository rows, their bars, and the failing rules of the rendered DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.repos: list[dict[str, str]] = []
        self.bars: dict[str, list[str]] = {}
        self.rules: list[list[str]] = []
        self.ids: dict[str, str] = {}
        self._cell: list[str] | None = None
        self._id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "tr" and "repo" in classes:
            self.repos.append(a)
            self.bars[a["data-repo"]] = []
        elif tag == "span" and "bar" in classes and self.repos:
            self.bars[self.repos[-1]["data-repo"]].append(classes[1])
        elif tag == "tr" and "rule" in classes:
            self.rules.append([])
        elif tag == "td" and self.rules and self._cell is None and len(self.rules[-1]) < 5:
            self._cell = []
        if a.get("id", "").startswith("fleet-"):
            self._id = a["id"]

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._id is not None:
            self.ids[self._id] = data.strip()
            self._id = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rules[-1].append("".join(self._cell))
            self._cell = None


@pytest.mark.questdb
def test_html_report_renders_in_chromium_with_the_data(
    questdb: QuestDBServer,
    spool_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    binary = chromium()
    monkeypatch.chdir(tmp_path)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=4)
    history = fleet_history(
        {
            "org/good": [1.0, 1.0, 1.0, 1.0],
            "org/bad": [0.0, 0.2, 0.4, 0.6],
            "org/<b>tags</b> & 'quotes'": [1.0, 0.5],
        },
        start=start,
    )
    with Spool(spool_path) as spool:
        spool.append(rows_of(history))
    assert main(["metrics", "flush", "--metrics", questdb.conf]) == 0
    wait_tables(questdb)
    report = tmp_path / "report.html"
    assert main(["health", "--metrics", questdb.conf, "--since", "10d", "--html", str(report)]) == 0
    page = report.read_text()
    assert "<script" not in page and "http-equiv" not in page and "src=" not in page

    dom = _Dom()
    dom.feed(run_chromium(binary, tmp_path, "--dump-dom", report.as_uri()).stdout)
    latest = {
        row["repo"]: row["score"]
        for row in questdb.rows("SELECT repo, last(score) score FROM hammurabi_repo_health")
    }
    assert [r["data-repo"] for r in dom.repos] == [  # worst first: 10/15, 11/15, 1
        "org/<b>tags</b> & 'quotes'",
        "org/bad",
        "org/good",
    ]
    for row in dom.repos:
        assert float(row["data-score"]) == pytest.approx(latest[row["data-repo"]])
    assert dom.bars == {
        "org/bad": ["bad", "bad", "bad", "bad"],
        "org/<b>tags</b> & 'quotes'": ["ok", "bad"],
        "org/good": ["ok", "ok", "ok", "ok"],
    }
    expected_fleet = sum(latest.values()) / 3
    assert dom.ids == {
        "fleet-score": f"{expected_fleet * 100:.0f}%",
        "fleet-repos": "3",
        "fleet-compliant": "1",
    }
    top = questdb.rows(
        "SELECT law, rule, count() n FROM hammurabi_rule_runs WHERE outcome = 'changed'"
        " ORDER BY n DESC, law, rule LIMIT 1"
    )[0]
    assert dom.rules[0][:2] == [top["law"], top["rule"]]
    assert dom.rules[0][3] == str(top["n"])

    shot = tmp_path / "report.png"
    run_chromium(
        binary, tmp_path, f"--screenshot={shot}", "--window-size=1200,900", report.as_uri()
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_missing_chromium_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        chromium()
