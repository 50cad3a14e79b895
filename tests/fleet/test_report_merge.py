"""``hammurabi report merge``: the shards' JSON reports add up to one run over the fleet.

The fleet is local bare remotes (no forge). It is run once whole and once as two shards on
a copy of the same remotes; the merged shard reports must match the whole run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from hammurabi.orchestration.fleet.targets import Shard
from tests.gitrepos import LAWS, git, init_repo, isolate_git

COMPLIANT = {".gitignore": "__pycache__/\n", "app.py": "DEBUG = False\n"}
NEEDS = {"app.py": "DEBUG = True\n"}
NAMES = [f"team/svc-{index}" for index in range(8)]


@pytest.fixture
def remotes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Eight bare remotes under ``remotes/team`` (every third compliant), and a ghost."""
    isolate_git(monkeypatch)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    for index, name in enumerate(NAMES):
        work = init_repo(tmp_path / "work" / name, COMPLIANT if index % 3 == 0 else NEEDS)
        git("clone", "--quiet", "--bare", str(work), str(tmp_path / "remotes" / f"{name}.git"))
    (tmp_path / "laws.yml").write_text(LAWS)
    return tmp_path / "remotes"


def run_fleet(tmp_path: Path, remotes: Path, report: Path, *args: str) -> int:
    """``hammurabi enforce`` over ``remotes`` (and one remote that does not exist)."""
    repos = tmp_path / f"{report.stem}-repos.txt"
    lines = [str(remotes / f"{name}.git") for name in NAMES] + [str(remotes / "team/ghost.git")]
    repos.write_text("\n".join(lines) + "\n")
    argv = ["enforce", str(tmp_path), "--laws", str(tmp_path / "laws.yml"), "-p", "python"]
    argv += ["--repos", str(repos), "--cache", str(tmp_path / f"cache-{report.stem}")]
    return main([*argv, "--jobs", "1", "--report", f"json={report}", *args])


def per_repo(data: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {repo["name"]: (repo["status"], repo["branch"]) for repo in data["repos"]}


def test_shard_reports_merge_to_the_whole_run(
    tmp_path: Path,
    remotes: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    halves = [Shard(1, 2), Shard(2, 2)]
    assert all(any(half.holds(name) for name in NAMES) for half in halves)  # both non-empty
    copy = tmp_path / "copy" / "remotes"
    shutil.copytree(remotes, copy)

    whole_report = tmp_path / "whole.json"
    assert (
        run_fleet(tmp_path, remotes, whole_report, "--run-id", "r-whole") == ExitCode.RULES_FAILED
    )
    shard_reports = [tmp_path / "shard-1.json", tmp_path / "shard-2.json"]
    for half, report in zip(halves, shard_reports, strict=True):
        run_fleet(tmp_path, copy, report, "--run-id", "r-shards", "--shard", str(half))
    capsys.readouterr()

    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    merged_json, merged_md = tmp_path / "merged.json", tmp_path / "merged.md"
    reports = ["--report", f"json={merged_json}", "--report", f"markdown={merged_md}"]
    code = main(["report", "merge", *map(str, shard_reports), *reports])
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out

    whole = json.loads(whole_report.read_text())
    merged = json.loads(merged_json.read_text())
    shards = [json.loads(path.read_text()) for path in shard_reports]
    assert all(0 < len(shard["repos"]) < len(whole["repos"]) for shard in shards)
    assert merged["counts"] == whole["counts"]
    assert per_repo(merged) == per_repo(whole)
    assert len(merged["repos"]) == len(NAMES) + 1
    assert whole["counts"]["branch-created"] == 5 and whole["counts"]["failed"] == 1
    assert merged["shards"] == ["1/2", "2/2"] and merged["run_id"] == "r-shards"
    assert merged["laws"] == whole["laws"] == ["Ignore caches", "Debug off"]
    failed = next(repo for repo in merged["repos"] if repo["status"] == "failed")
    assert failed["name"] == "team/ghost" and "cannot clone" in failed["reason"]
    changed = next(repo for repo in merged["repos"] if repo["name"] == "team/svc-1")
    assert "+DEBUG = False" in changed["diff"] and changed["files"]
    # The Markdown and the step summary tell the whole fleet.
    markdown = merged_md.read_text()
    assert "shards 1/2, 2/2" in markdown and "5 branch created" in markdown
    assert markdown.count("| team/") == len(NAMES) + 1 and "Missing shards" not in markdown
    assert summary.read_text() == markdown
    assert "9 repositories" in out and "5 branch created" in out

    # One shard alone: merged, with a warning and a note naming the missing shard.
    code = main(["report", "merge", str(shard_reports[0]), "--report", f"markdown={merged_md}"])
    assert code == ExitCode.OK
    assert "no report of shard 2/2" in capsys.readouterr().err
    assert "**Missing shards:** 2/2" in merged_md.read_text()


def write(path: Path, data: Any) -> str:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["report", "merge", *args])
    captured = capsys.readouterr()
    assert code == ExitCode.USAGE_ERROR, captured.out + captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


def test_reports_that_do_not_add_up_are_refused(
    tmp_path: Path, remotes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "s1.json", tmp_path / "s2.json"
    run_fleet(tmp_path, remotes, first, "--dry-run", "--run-id", "r1", "--shard", "1/2")
    run_fleet(tmp_path, remotes, second, "--dry-run", "--run-id", "r1", "--shard", "2/2")
    capsys.readouterr()
    base = json.loads(second.read_text())
    target = tmp_path / "bad.json"

    # One repository in two reports (the same shard given twice).
    line = refused([str(first), str(first)], capsys)
    assert "is in two reports" in line and "team/" in line
    # Another run, other laws, a real run mixed with dry runs, another split.
    line = refused([str(first), write(target, {**base, "run_id": "r2"})], capsys)
    assert "not a shard of the run" in line and "'r2'" in line and "bad.json" in line
    other_laws = {**base, "laws": ["Something else"]}
    assert "laws" in refused([str(first), write(target, other_laws)], capsys)
    other_branch = {**base, "branch": "hammurabi/other"}
    assert "bot branch" in refused([str(first), write(target, other_branch)], capsys)
    assert "dry run" in refused([str(first), write(target, {**base, "dry_run": False})], capsys)
    line = refused([str(first), write(target, {**base, "shard": "2/3"})], capsys)
    assert "split the fleet differently" in line
    # Attempts of one GitHub Actions run are one run (a failed shard re-run).
    one = tmp_path / "gh1.json"
    write(one, {**json.loads(first.read_text()), "run_id": "gh-77-1"})
    again = write(target, {**base, "run_id": "gh-77-2"})
    assert main(["report", "merge", str(one), again, "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["run_id"] == "gh-77-2" and printed["shards"] == ["1/2", "2/2"]
    assert printed["counts"]["branch-created"] == 5 and printed["dry_run"] is True
    assert main(["report", "merge", str(one), again, "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("9 repositories; ")

    # Files that are not fleet reports.
    assert "not valid JSON" in refused([write(target, "{not json")], capsys)
    assert "no 'repos'" in refused([write(target, {"run_id": "x"})], capsys)
    bad_status = {**base, "repos": [{"name": "a/b", "status": "exploded"}]}
    assert "'exploded'" in refused([write(target, bad_status)], capsys)
    assert "cannot read" in refused([str(tmp_path / "missing.json")], capsys)
    assert "bad.json" in refused([write(target, [1, 2])], capsys)
