"""Maintenance windows: outside them ``enforce`` writes nothing and says when they open.

The window is read against a clock passed in (unit tests of the schedule), and through the
CLI against the real clock, with windows built around the current time: one open now, one
closed now. Real repositories and pushes to a bare remote, and the GitHub stand-in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from hammurabi.integrations import git as gitops
from hammurabi.loading.settings import WindowSettings
from hammurabi.orchestration.window import Window, check
from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn
from tests.gitrepos import LAWS, bare_remote, git, init_repo, isolate_git

BRANCH = "hammurabi/laws"
MORE_LAW = """\
  - name: Readme
    description: Every service has a README.
    rules:
      - file-exists: {name: readme, path: README.md}
"""
BERLIN = WindowSettings(days=["mon-fri"], hours=["09:00-17:00"], timezone="Europe/Berlin")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "open_", "opens"),
    [
        ("2026-12-04T15:59:00+00:00", True, None),  # Friday 16:59 in Berlin
        ("2026-12-04T16:00:00+00:00", False, "2026-12-07T08:00:00+00:00"),  # 17:00: closed
        ("2026-12-06T12:00:00+00:00", False, "2026-12-07T08:00:00+00:00"),  # Sunday
        ("2026-12-07T08:00:00+00:00", True, None),  # Monday 09:00
        ("2026-03-27T17:00:00+00:00", False, "2026-03-30T07:00:00+00:00"),  # summer time
    ],
)
def test_the_window_follows_the_time_zone(now: str, open_: bool, opens: str | None) -> None:
    closed = check(BERLIN, at(now))
    assert (closed is None) is open_
    if opens is not None:
        assert closed is not None and closed.next_open == at(opens)
        assert closed.window == "mon-fri 09:00-17:00 Europe/Berlin"


def test_a_range_past_midnight_belongs_to_the_day_it_starts() -> None:
    night = Window.from_settings(WindowSettings(days=["fri", "sunday"], hours=["22:00-06:00"]))
    assert night is not None and night.text == "fri,sun 22:00-06:00 UTC"
    assert night.is_open(at("2026-12-05T05:59:00+00:00"))  # Saturday morning: Friday's
    assert not night.is_open(at("2026-12-05T22:30:00+00:00"))  # Saturday night: closed
    assert night.next_open(at("2026-12-05T06:00:00+00:00")) == at("2026-12-06T22:00:00+00:00")
    assert Window.from_settings(WindowSettings()) is None  # nothing set: always open
    every = Window.from_settings(WindowSettings(hours=["00:00-24:00"]))
    assert every is not None and every.is_open(at("2026-12-05T23:59:59+00:00"))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (WindowSettings(days=["someday"]), "window.days 'someday'"),
        (WindowSettings(hours=["9-17"]), "window.hours '9-17'"),
        (WindowSettings(hours=["09:00-25:00"]), "window.hours '09:00-25:00'"),
        (WindowSettings(timezone="Mars/Olympus"), "window.timezone 'Mars/Olympus'"),
    ],
)
def test_a_bad_window_is_one_line(settings: WindowSettings, message: str) -> None:
    with pytest.raises(Exception, match="^" + message.replace(".", r"\.")):
        check(settings)


def around_now(start: timedelta, end: timedelta) -> tuple[str, datetime]:
    """An ``HH:MM-HH:MM`` range (UTC, every day) from now+start to now+end, and its start."""
    now = datetime.now(UTC)
    begin = (now + start).replace(second=0, microsecond=0)
    return f"{begin:%H:%M}-{now + end:%H:%M}", begin


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(monkeypatch)
    (tmp_path / "laws.yml").write_text(LAWS)
    work = init_repo(tmp_path / "work", {"app.py": "DEBUG = True\n"})
    bare_remote(tmp_path / "remote.git", work)
    return work


def enforce(work: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    laws = str(work.parent / "laws.yml")
    code = main(["enforce", str(work), "--laws", laws, "-p", "python", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_outside_the_window_nothing_is_pushed_and_the_next_opening_is_told(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = work.parent / "remote.git"
    hours, opens = around_now(timedelta(hours=2), timedelta(hours=3))
    monkeypatch.setenv("HAMMURABI_WINDOW_HOURS", hours)
    report = work.parent / "report.json"
    code, out = enforce(work, capsys, "--report", f"json={report}")
    assert code == ExitCode.OUTSIDE_WINDOW, out
    assert git("branch", "--list", BRANCH, cwd=remote) == ""  # nothing pushed
    assert git("branch", "--list", BRANCH, cwd=work) == ""  # nor set locally
    assert "Would create origin/hammurabi/laws" in out and "+DEBUG = False" in out
    assert f"Outside the maintenance window (every day {hours} UTC): nothing was written" in out
    assert f"the window opens {opens:%a %Y-%m-%d %H:%M} UTC (in 1 h 59 min)" in out or (
        f"the window opens {opens:%a %Y-%m-%d %H:%M} UTC (in 2 h)" in out
    )
    data = json.loads(report.read_text())
    assert data["status"] == "outside-window" and data["dry_run"] is True
    assert data["window"]["next_open"] == opens.isoformat()

    # The window open now: the same run pushes the branch.
    hours, _ = around_now(timedelta(hours=-2), timedelta(hours=2))
    monkeypatch.setenv("HAMMURABI_WINDOW_HOURS", hours)
    code, out = enforce(work, capsys)
    assert code == ExitCode.OK and "Created origin/hammurabi/laws with 2 commits" in out, out
    assert "maintenance window" not in out
    tip = git("rev-parse", BRANCH, cwd=remote)

    # Closed again, with nothing new to write: up to date, exit 0, and still told.
    hours, _ = around_now(timedelta(hours=2), timedelta(hours=3))
    monkeypatch.setenv("HAMMURABI_WINDOW_HOURS", hours)
    code, out = enforce(work, capsys)
    assert code == ExitCode.OK and out.startswith("Up to date:"), out
    assert "Outside the maintenance window" in out
    assert git("rev-parse", BRANCH, cwd=remote) == tip


def test_only_the_runner_may_set_the_window(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / ".hammurabi.toml").write_text('[window]\ndays = ["sun"]\nhours = "00:00-00:01"\n')
    code, out = enforce(work, capsys)
    assert code == ExitCode.USAGE_ERROR
    assert "setting 'window.days' is refused: the repository is not trusted" in out


def test_outside_the_window_no_pull_request_is_updated_or_closed(
    github_server: GitHubStandIn,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    isolate_git(monkeypatch)
    repo = "acme/widgets"
    github_server.create_repo(repo, {"app.py": "DEBUG = True\n"})
    for key, value in {
        "TOKEN": DEFAULT_TOKEN,
        "API_URL": github_server.base_url,
        "SECONDS_BETWEEN_REQUESTS": "0",
        "SECONDS_BETWEEN_WRITES": "0",
        "BACKOFF": "0.01",
    }.items():
        monkeypatch.setenv(f"HAMMURABI_GITHUB_{key}", value)
    credentials = gitops.Credentials("x-access-token", DEFAULT_TOKEN)
    url = github_server.clone_url(repo, token=None)
    gitops.clone(url, tmp_path / "work", credentials=credentials).close()
    (tmp_path / "laws.yml").write_text(LAWS)
    work = tmp_path / "work"
    code, out = enforce(work, capsys)  # no window: the pull request opens
    assert code == ExitCode.OK and "Opened pull request #1" in out, out

    # Another law: the branch and pull request would be updated, but the window is closed.
    # (Like --dry-run, the run reads the remote's branches as this clone last fetched them.)
    (tmp_path / "laws.yml").write_text(LAWS + MORE_LAW)
    hours, _ = around_now(timedelta(hours=2), timedelta(hours=3))
    monkeypatch.setenv("HAMMURABI_WINDOW_HOURS", hours)
    tip = github_server.branch_sha(repo, "hammurabi/laws")
    github_server.clear_requests()
    code, out = enforce(work, capsys)
    assert code == ExitCode.OUTSIDE_WINDOW, out
    assert "Would update pull request #1" in out and "Outside the maintenance window" in out
    assert github_server.writes() == []
    assert github_server.requests_matching("POST", "git-receive-pack$") == []
    assert github_server.branch_sha(repo, "hammurabi/laws") == tip

    # In the window: updated, as it would have been.
    monkeypatch.delenv("HAMMURABI_WINDOW_HOURS")
    code, out = enforce(work, capsys)
    assert code == ExitCode.OK and "Updated pull request #1" in out, out
    assert github_server.branch_sha(repo, "hammurabi/laws") != tip
