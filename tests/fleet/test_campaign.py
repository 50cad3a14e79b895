"""A campaign across runs: pull requests pass, fail, get approved, merged and closed; each run
reads their state (GitHub stand-in over HTTP) and records it in the report and in QuestDB."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from github import Auth, Github

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from tests.fleet.conftest import Fleet
from tests.github_standin import DEFAULT_TOKEN as TOKEN
from tests.github_standin import GitHubStandIn
from tests.metrics.helpers import wait_tables
from tests.metrics.test_html import chromium, run_chromium
from tests.questdb_server import QuestDBServer

REPOS = [f"acme/svc-0{i}" for i in range(6)]  # svc-01 is compliant from the start


def open_pull(hub: GitHubStandIn, repo: str) -> dict:  # type: ignore[type-arg]
    (pull,) = hub.pulls(repo, "open")
    return pull


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_campaign_view() -> str:
    """The output shown under ``$ hammurabi campaign`` in the README's first such example."""
    text = README.read_text()
    start = text.index("\n$ hammurabi campaign")
    lines = text[start:].split("\n```", 1)[0].splitlines()[2:]
    shown = [line for line in lines if line.startswith("$ ")][:1]  # up to the next command
    return "\n".join(lines[: lines.index(shown[0])] if shown else lines)


def view_shape(text: str) -> list[str]:
    """The campaign view's lines with dates, times, ages and bars generalized and column
    widths ignored."""
    lines = []
    for line in text.strip().splitlines():
        line = re.sub(r"\d{4}-\d\d-\d\d( \d\d:\d\d)?", "DATE", line)
        line = re.sub(r"\b\d+(\.\d+)?[smhd]\b", "AGE", line)
        line = re.sub(r"(DATE\s+\d+ )█+", r"\1BAR", line)
        line = re.sub(r"([━─])[━─]*", r"\1", line)
        lines.append(re.sub(r"\s+", " ", line).strip())
    return lines


def shape_the_fleet(hub: GitHubStandIn) -> None:
    """What CI and people did to the pull requests of the first run."""
    hub.add_token("alice-token", "alice")
    for repo in REPOS:
        hub.configure_repo(repo, collaborators=["alice"])
    pulls = {repo: open_pull(hub, repo) for repo in REPOS if repo != "acme/svc-01"}
    sha = {repo: pull["head"]["sha"] for repo, pull in pulls.items()}
    # svc-00: green and approved, then merged by alice through the API.
    hub.set_status("acme/svc-00", sha["acme/svc-00"], "ci", "success")
    hub.review("acme/svc-00", pulls["acme/svc-00"]["number"], "alice", "APPROVE")
    alice = Github(
        base_url=hub.base_url,
        auth=Auth.Token("alice-token"),
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    alice.get_repo("acme/svc-00").get_pull(pulls["acme/svc-00"]["number"]).merge()
    # svc-02: its CI fails (a status and a check run).
    hub.set_status("acme/svc-02", sha["acme/svc-02"], "ci", "success")
    hub.set_check_run("acme/svc-02", sha["acme/svc-02"], "tests", "completed", "failure")
    # svc-03: CI still running; svc-04: no CI at all, approved; svc-05: closed by a reviewer.
    hub.set_check_run("acme/svc-03", sha["acme/svc-03"], "tests", "in_progress")
    hub.review("acme/svc-04", pulls["acme/svc-04"]["number"], "alice", "APPROVE")
    hub.close_pull("acme/svc-05", pulls["acme/svc-05"]["number"])


@pytest.mark.questdb
def test_each_run_records_where_every_repository_stands(
    fleet: Fleet, questdb: QuestDBServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HAMMURABI_METRICS_SPOOL", str(tmp_path / "spool.sqlite3"))
    include = ["--include", "svc-0[0-5]"]
    code, out, first = fleet.run(*include, "--metrics", questdb.conf, "--run-id", "c-1")
    assert code == ExitCode.OK, out
    assert first["stages"] == {"proposed": 5, "compliant": 1}
    shape_the_fleet(fleet.hub)

    summary = tmp_path / "fleet.md"
    markdown = ["--report", f"markdown={summary}"]
    code, out, second = fleet.run(*include, "--metrics", questdb.conf, "--run-id", "c-2", *markdown)
    assert code == ExitCode.OK, out
    # The Markdown report (and step summary) tells where the campaign stands.
    text = summary.read_text()
    assert (
        "Campaign `hammurabi/laws`: 2 of 6 repositories done (33%); failing 1, ignored 1, "
        "pending 1, approved 1, merged 1, compliant 1." in text
    )
    assert "| Repository | Result | Stage | Branch | Pull request | Reason |" in text
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()}
    assert " | failing (tests) | " in rows["acme/svc-02"]
    assert " | merged | " in rows["acme/svc-00"] and " | ignored | " in rows["acme/svc-05"]
    stages = {repo["name"]: repo["stage"] for repo in second["repos"]}
    assert stages == {
        "acme/svc-00": "merged",
        "acme/svc-01": "compliant",
        "acme/svc-02": "failing",
        "acme/svc-03": "pending",
        "acme/svc-04": "approved",
        "acme/svc-05": "ignored",
    }
    assert list(second["stages"]) == [  # worst first
        "failing",
        "ignored",
        "pending",
        "approved",
        "merged",
        "compliant",
    ]
    pulls = {repo["name"]: repo["pull"] for repo in second["repos"]}
    assert pulls["acme/svc-02"]["checks"] == "failing"
    assert pulls["acme/svc-04"]["review"] == "approved"

    assert main(["metrics", "flush", "--metrics", questdb.conf]) == ExitCode.OK
    wait_tables(questdb)
    rows = questdb.rows(
        "SELECT repo, campaign, stage, checks, checks_failing, checks_pending, review,"
        " approvals, mergeable, mergeable_state, pr_state, api_calls"
        " FROM hammurabi_pull_requests WHERE run_id = 'c-2' ORDER BY repo"
    )
    by_repo = {row.pop("repo"): row for row in rows}
    assert {row["campaign"] for row in rows} == {"hammurabi/laws"}
    assert {repo: row["stage"] for repo, row in by_repo.items()} == stages
    failing = by_repo["acme/svc-02"]
    assert (failing["checks"], failing["checks_failing"], failing["pr_state"]) == (
        "failing",
        "tests",
        "open",
    )
    assert by_repo["acme/svc-03"]["checks_pending"] == "tests"
    approved = by_repo["acme/svc-04"]
    assert (approved["review"], approved["approvals"], approved["checks"]) == (
        "approved",
        1,
        "none",
    )
    assert (approved["mergeable"], approved["mergeable_state"]) == (True, "clean")
    # The API calls each repository cost are recorded (a compliant one costs the fewest;
    # one with nothing to write none: the fleet read every pull request at once).
    calls = {repo: row["api_calls"] for repo, row in by_repo.items()}
    assert all(isinstance(n, int) and n >= 0 for n in calls.values()), calls
    assert calls["acme/svc-01"] <= min(calls.values())
    first_rows = questdb.rows(
        "SELECT stage, count() n FROM hammurabi_pull_requests WHERE run_id = 'c-1' ORDER BY stage"
    )
    assert first_rows == [{"stage": "compliant", "n": 1}, {"stage": "proposed", "n": 5}]

    # hammurabi campaign: the same, read back, worst and oldest first, with the burn-down.
    fleet.capsys.readouterr()
    assert main(["campaign", "--metrics", questdb.conf, "--format", "json"]) == ExitCode.OK
    view = json.loads(fleet.capsys.readouterr().out)
    assert view["campaign"] == "hammurabi/laws"
    assert (view["repos_total"], view["repos_done"]) == (6, 2)
    assert [repo["repo"] for repo in view["repos"]] == [
        "acme/svc-02",  # failing
        "acme/svc-05",  # ignored
        "acme/svc-03",  # pending
        "acme/svc-04",  # approved
        "acme/svc-00",  # merged
        "acme/svc-01",  # compliant
    ]
    assert view["repos"][0]["pull_request"]["failing"] == ["tests"]
    (today,) = view["history"]  # both runs today: the day ends as the second run left it
    assert today["remaining"] == 4 and today["stages"]["merged"] == 1
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["campaign", "--metrics", questdb.conf]) == ExitCode.OK
    text = fleet.capsys.readouterr().out
    assert "Campaign hammurabi/laws: 2 of 6 repositories done (33%)" in text
    assert text.index("acme/svc-02") < text.index("acme/svc-01")
    # The README's example of the campaign view is this very view (times and widths aside).
    assert view_shape(readme_campaign_view()) == view_shape(text)

    # No campaign in the window: a usage error naming what there is.
    fleet.capsys.readouterr()
    empty = ["--since", "2001-01-01", "--until", "2001-01-02"]
    assert main(["campaign", "--metrics", questdb.conf, *empty]) == ExitCode.USAGE_ERROR
    assert fleet.capsys.readouterr().err == (
        "hammurabi: error: name the campaign with --branch (campaigns with runs in the window:"
        " none)\n"
    )

    # The health page shows the campaign: rendered by headless Chromium from QuestDB's data.
    binary = chromium()
    page = tmp_path / "health.html"
    assert main(["health", "--metrics", questdb.conf, "--html", str(page)]) == ExitCode.OK
    dom = _CampaignDom()
    dom.feed(run_chromium(binary, tmp_path, "--dump-dom", page.as_uri()).stdout)
    assert dom.campaigns == ["hammurabi/laws"]
    assert dom.segments == {stage: n for stage, n in view["stages"].items() if n}
    assert dom.rows == [(repo["repo"], repo["stage"]) for repo in view["repos"]]
    assert dom.remaining == [day["remaining"] for day in view["history"]]
    shot = tmp_path / "campaign.png"
    run_chromium(binary, tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


class _CampaignDom(HTMLParser):
    """The campaign sections of the rendered page: stage segments, burn-down, rows."""

    def __init__(self) -> None:
        super().__init__()
        self.campaigns: list[str] = []
        self.segments: dict[str, int] = {}
        self.rows: list[tuple[str, str]] = []
        self.remaining: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "section" and "campaign" in classes:
            self.campaigns.append(a["data-campaign"])
        elif tag == "span" and "seg" in classes:
            self.segments[a["data-stage"]] = int(a["data-count"])
        elif tag == "tr" and "campaign-repo" in classes:
            self.rows.append((a["data-repo"], a["data-stage"]))
        elif tag == "svg" and "burndown" in classes:
            self.remaining = [int(n) for n in a["data-remaining"].split(",") if n]


def test_unchanged_pull_requests_are_read_conditionally_and_cost_no_rate_limit(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HAMMURABI_GITHUB_GRAPHQL_BATCH", "0")  # REST reads, as without GraphQL
    include = ["--include", "svc-0[02]"]  # two repositories that need a pull request
    code, out, _ = fleet.run(*include)
    assert code == ExitCode.OK, out
    for repo in ("acme/svc-00", "acme/svc-02"):
        sha = open_pull(fleet.hub, repo)["head"]["sha"]
        fleet.hub.set_status(repo, sha, "ci", "success")
    code, out, second = fleet.run(*include)  # reads the new state, keeps the answers
    assert code == ExitCode.OK, out
    assert {repo["stage"] for repo in second["repos"]} == {"passing"}

    fleet.hub.clear_requests()
    before = rate_remaining(fleet.hub)
    code, out, third = fleet.run(*include)  # nothing changed since
    assert code == ExitCode.OK, out
    assert {repo["stage"] for repo in third["repos"]} == {"passing"}
    api = [r for r in fleet.hub.requests if r.api and r.path != "/rate_limit"]
    not_modified = [r for r in api if r.status == 304]
    state_reads = [r for r in api if STATE_READ.search(r.path)]
    assert len(state_reads) == 8 and not_modified == state_reads  # 4 per pull request, all 304
    assert before - rate_remaining(fleet.hub) == len(api) - len(not_modified)


STATE_READ = re.compile(r"/pulls/\d+(/reviews)?$|/commits/[^/]+/(status|check-runs)$")


def rate_remaining(hub: GitHubStandIn) -> int:
    """What is left of the token's rate limit (``GET /rate_limit`` costs nothing)."""
    answer = httpx.get(f"{hub.base_url}/rate_limit", headers={"Authorization": "token " + TOKEN})
    return int(answer.json()["rate"]["remaining"])
