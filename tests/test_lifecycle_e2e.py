"""The pull-request lifecycle a platform team can trust (issue 12), end to end through the CLI.

Real repositories, bare remotes and the GitHub stand-in over HTTP with the real PyGithub.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from tests.gitrepos import LAWS, bare_remote, commit_on, git, init_repo, isolate_git

BRANCH = "hammurabi/laws"
FILES = {"app.py": "DEBUG = True\n", "README.md": "# widgets\n"}
#: "Debug off" changes app.py, then fails on a file that does not exist.
HALF_LAW = LAWS.replace(
    "text: DEBUG = False}\n",
    "text: DEBUG = False}\n"
    "      - line-exists: {name: settings exist, path: settings.py, text: X = 1}\n",
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def first_json(text: str) -> dict:
    """The JSON document printed first (stderr lines may follow it)."""
    return json.JSONDecoder().raw_decode(text[text.index("{") :])[0]


@pytest.fixture
def half_law(tmp_path: Path) -> Path:
    path = tmp_path / "laws.yml"
    path.write_text(HALF_LAW)
    return path


def test_a_failed_law_commits_nothing(tmp_path: Path, half_law: Path, capsys):
    work = init_repo(tmp_path / "work", FILES)
    remote = bare_remote(tmp_path / "remote.git", work)
    code, out = cli(capsys, "enforce", str(work), "--laws", str(half_law), "-p", "python")
    assert code == ExitCode.RULES_FAILED, out
    assert "Debug off" in out and "settings exist" in out and "does not exist" in out
    # Only the law that succeeded is on the branch; app.py is as it was.
    assert git("log", "--format=%s", f"main..{BRANCH}", cwd=remote) == "Ignore caches"
    assert git("show", f"{BRANCH}:app.py", cwd=remote) == "DEBUG = True"


def test_a_failed_law_leaves_no_diff_in_a_dry_run(tmp_path: Path, half_law: Path, capsys):
    work = init_repo(tmp_path / "work", FILES)
    bare_remote(tmp_path / "remote.git", work)
    code, out = cli(
        capsys,
        "enforce",
        str(work),
        "--laws",
        str(half_law),
        "-p",
        "python",
        "--dry-run",
        "--format",
        "json",
    )
    assert code == ExitCode.RULES_FAILED
    report = first_json(out)
    assert report["files"] == [".gitignore"]
    assert "DEBUG" not in json.dumps(report["laws"][1]["changes"])
    (law,) = [law for law in report["laws"] if law["name"] == "Debug off"]
    assert law["outcome"] == "failed" and law["files"] == []
    assert [commit["law"] for commit in report["git"]["commits"]] == ["Ignore caches"]


def test_a_failed_law_leaves_its_files_in_place_mode(tmp_path: Path, half_law: Path, capsys):
    work = init_repo(tmp_path / "work", FILES)
    code, out = cli(
        capsys, "enforce", str(work), "--laws", str(half_law), "-p", "python", "--no-git"
    )
    assert code == ExitCode.RULES_FAILED, out
    assert (work / "app.py").read_text() == "DEBUG = True\n"
    assert (work / ".gitignore").read_text() == "__pycache__/\n"
    assert not (work / "settings.py").exists()


def test_a_rerun_that_finds_nothing_new_says_so(tmp_path: Path, capsys):
    work = init_repo(tmp_path / "work", FILES)
    remote = bare_remote(tmp_path / "remote.git", work)
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    args = ("enforce", str(work), "--laws", str(laws), "-p", "python")
    code, out = cli(capsys, *args, "--format", "json")
    first = first_json(out)
    assert code == ExitCode.OK and first["status"] == "branch-created"
    assert [law["status"] for law in first["laws"]] == ["changed", "changed"]

    # The same run again: one line, and a report naming the commits the remote holds.
    code, out = cli(capsys, *args)
    assert code == ExitCode.OK
    assert out == (
        "Up to date: origin/hammurabi/laws already proposes 2 of 2 laws; nothing to push.\n"
    )
    code, out = cli(capsys, *args, "--format", "json")
    report = first_json(out)
    assert report["status"] == "up-to-date" and report["git"]["action"] == "unchanged"
    assert [law["status"] for law in report["laws"]] == ["up-to-date", "up-to-date"]
    on_remote = git("log", "--format=%H", f"main..{BRANCH}", cwd=remote).splitlines()
    assert sorted(commit["sha"] for commit in report["git"]["commits"]) == sorted(on_remote)
    # A dry run tells the same without building anything.
    code, out = cli(capsys, *args, "--dry-run")
    assert code == ExitCode.OK and out.startswith("Up to date: origin/hammurabi/laws")
    # Once the base holds every law: nothing to change, in one line too.
    code, out = cli(capsys, "check", str(work), "--laws", str(laws), "-p", "python")
    assert code == ExitCode.CHANGES_NEEDED
    (work / ".gitignore").write_text("__pycache__/\n")
    (work / "app.py").write_text("DEBUG = False\n")
    code, out = cli(capsys, "check", str(work), "--laws", str(laws), "-p", "python")
    assert code == ExitCode.OK and out == "Nothing to change: all 2 laws already hold.\n"


def test_a_rejected_push_lists_no_commits(tmp_path: Path, capsys):
    work = init_repo(tmp_path / "work", FILES)
    remote = bare_remote(tmp_path / "remote.git", work)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'no pushes today' >&2\nexit 1\n")
    hook.chmod(0o755)
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    code, out = cli(
        capsys, "enforce", str(work), "--laws", str(laws), "-p", "python", "--format", "json"
    )
    report = first_json(out)
    assert code == ExitCode.RULES_FAILED and report["status"] == "failed"
    assert report["git"]["commits"] == [] and report["git"]["pushed"] is False
    code, out = cli(capsys, "enforce", str(work), "--laws", str(laws), "-p", "python")
    assert code == ExitCode.RULES_FAILED and out.count("no pushes today") == 1, out
    assert "Left origin/hammurabi/laws as it was: the push was rejected" in out


def test_a_subfolder_stands_for_its_repository(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
):
    work = init_repo(tmp_path / "work", {**FILES, "src/pkg/mod.py": "X = 1\n"})
    remote = bare_remote(tmp_path / "remote.git", work)
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    monkeypatch.chdir(work / "src" / "pkg")
    code, out = cli(capsys, "laws", "--laws", str(laws), "-p", "python", "--format", "json")
    assert code == ExitCode.OK and "Debug off" in out
    code, out = cli(capsys, "check", "--laws", str(laws), "-p", "python")
    assert code == ExitCode.CHANGES_NEEDED and "+DEBUG = False" in out
    code, out = cli(capsys, "enforce", "--laws", str(laws), "-p", "python")
    assert code == ExitCode.OK and "Created origin/hammurabi/laws with 2 commits" in out, out
    # The checkout is never edited in place: the change is on the bot branch.
    assert (work / "app.py").read_text() == "DEBUG = True\n"
    assert not (work / "src" / "pkg" / ".gitignore").exists()
    assert git("show", f"{BRANCH}:app.py", cwd=remote) == "DEBUG = False"
    # The same from a path naming the subfolder.
    code, out = cli(capsys, "enforce", str(work / "src"), "--laws", str(laws), "-p", "python")
    assert code == ExitCode.OK and out.startswith("Up to date"), out


def test_a_repository_without_commits_is_an_error(tmp_path: Path, capsys):
    work = tmp_path / "empty"
    work.mkdir()
    git("init", "--quiet", str(work))
    (work / "app.py").write_text("DEBUG = True\n")
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    code, out = cli(capsys, "enforce", str(work), "--laws", str(laws), "-p", "python")
    assert code == ExitCode.RULES_FAILED
    assert "has no commits yet" in out and "--no-git" in out and len(out.splitlines()) == 1
    assert (work / "app.py").read_text() == "DEBUG = True\n"
    code, out = cli(capsys, "enforce", str(work), "--laws", str(laws), "-p", "python", "--no-git")
    assert code == ExitCode.OK and (work / "app.py").read_text() == "DEBUG = False\n"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--report", "json={missing}/x.json"), "does not exist"),
        (("--metrics", "http::addr=localhost:abc;"), "metrics conf"),
        (("--metrics", "garbage"), "metrics conf must look like"),
        (("--laws", "{missing}/laws.yml"), "laws.yml"),
    ],
)
def test_options_are_checked_before_any_work(
    tmp_path: Path, capsys, option: tuple[str, str], message: str
):
    work = init_repo(tmp_path / "work", FILES)
    remote = bare_remote(tmp_path / "remote.git", work)
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    missing = str(tmp_path / "missing")
    extra = [arg.replace("{missing}", missing) for arg in option]
    for command in ("enforce", "check"):
        code, out = cli(capsys, command, str(work), "--laws", str(laws), "-p", "python", *extra)
        assert code == ExitCode.USAGE_ERROR, out
        (line,) = out.splitlines()
        assert line.startswith("hammurabi: error: ") and message in line, out
    assert git("branch", "--list", BRANCH, cwd=remote) == ""
    assert git("branch", "--list", BRANCH, cwd=work) == ""


def test_blocked_is_reported_in_the_metrics_too(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
):
    from hammurabi.integrations.metrics.spool import Spool

    spool = tmp_path / "spool.sqlite3"
    monkeypatch.setenv("HAMMURABI_METRICS_SPOOL_ONLY", "true")
    monkeypatch.setenv("HAMMURABI_METRICS_SPOOL", str(spool))
    work = init_repo(tmp_path / "work", FILES)
    remote = bare_remote(tmp_path / "remote.git", work)
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    args = ("enforce", str(work), "--laws", str(laws), "-p", "python")
    assert cli(capsys, *args)[0] == ExitCode.OK
    commit_on(remote, BRANCH, {"notes.txt": "mine\n"}, "Human touch")
    laws.write_text(LAWS.replace("text: DEBUG = False", "text: DEBUG = 0"))
    code, out = cli(capsys, *args)
    assert code == ExitCode.BLOCKED and "Blocked: origin/hammurabi/laws" in out, out
    with Spool(spool) as rows:
        health = [row.values for row in rows.pending() if row.table == "hammurabi_repo_health"]
    assert [values["status"] for values in health] == ["branch-created", "blocked"]


def test_laws_already_proposed_say_so_when_another_law_fails(tmp_path: Path, capsys):
    work = init_repo(tmp_path / "work", FILES)
    bare_remote(tmp_path / "remote.git", work)
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    args = ("enforce", str(work), "--laws", str(laws), "-p", "python")
    assert cli(capsys, *args)[0] == ExitCode.OK
    broken = "  - name: Broken\n    description: x\n    rules:\n"
    broken += "      - line-exists: {name: no such file, path: missing.py, text: X = 1}\n"
    laws.write_text(LAWS + broken)
    code, out = cli(capsys, *args)
    assert code == ExitCode.RULES_FAILED, out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 3}
    assert "up-to-date" in rows["Debug off"] and "failed" in rows["Broken"], out
