"""A repository configured for Hammurabi 0.11, with a 0.11 pillar, runs with ``hammurabi enforce``.

The pillar (tests/compat/original_repo.py) has 40 rules over lines, files, directories,
JSON, YAML, TOML and INI, and every 0.11 precondition. The bot branch must hold exactly the
files Hammurabi 0.11.1 committed for it (tests/compat/expected_0_11.py, recorded by running
0.11.1 on the same repository), its 0.11 JSON report must sort the rules as 0.11's did, and
a second run must change nothing (0.11 added its lines again; this is fixed).
"""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.compat import mode
from tests.compat import expected_0_11, original_repo
from tests.gitrepos import bare_remote, git, init_repo, isolate_git

USER = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)
    mode.forget()


def base_files() -> dict[str, str]:
    return {
        **original_repo.FILES,
        "pyproject.toml": original_repo.SETTINGS,
        "pillar.conf.py": original_repo.PILLAR.replace("OWNER", USER),
    }


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = init_repo(tmp_path / "widgets", base_files())
    bare_remote(tmp_path / "widgets.git", path)
    monkeypatch.chdir(path)
    return path


def tree(repo: Path, branch: str) -> dict[str, tuple[str, int]]:
    """Every file of ``branch``: path -> (content, permission bits as git records them)."""
    out = {}
    for line in git("ls-tree", "-r", branch, cwd=repo).splitlines():
        meta, path = line.split("\t", 1)
        content = git("show", f"{branch}:{path}", cwd=repo, strip=False)
        out[path] = (content, int(meta.split()[0], 8) & 0o777)
    return out


def expected_tree() -> dict[str, tuple[str, int]]:
    files: dict[str, tuple[str, int] | None] = {
        path: (content, 0o644) for path, content in base_files().items()
    }
    files.update(expected_0_11.EXPECTED)
    return {path: entry for path, entry in files.items() if entry is not None}


def test_the_bot_branch_holds_what_0_11_committed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["enforce", "--no-allow-push"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert tree(repo, "hammurabi") == expected_tree()
    assert git("rev-list", "--count", "main..hammurabi", cwd=repo) == "7"  # one per law
    assert "git_branch_name" in err and "--allow-push/--no-allow-push" in err
    deprecations = [line for line in err.splitlines() if line.startswith("hammurabi: deprecated:")]
    assert len(deprecations) == len(set(deprecations))  # each said once

    report = json.loads((repo / "hammurabi_report.json").read_text())
    assert list(report) == ["passed", "failed", "skipped", "additional_data"]
    # 0.11 counted a rule as passed when anything in the repository was dirty; these three
    # changed nothing, and are reported as skipped (neither passed nor failed, 0.11's meaning).
    unchanged = ["Keeps its version", "Pytest addopts (already renamed)", "Owned by its owner"]
    truthful = {
        "passed": [name for name in expected_0_11.REPORT["passed"] if name not in unchanged],
        "failed": expected_0_11.REPORT["failed"],
        "skipped": expected_0_11.REPORT["skipped"] + unchanged,
    }
    assert {key: [item["name"] for item in report[key]] for key in truthful} == truthful
    assert report["passed"][0]["law"] == {
        "name": "Gunicorn settings",
        "description": "Workers are tuned and debugging is off.",
    }
    assert set(report["additional_data"]) == {"started", "finished", "pull_request_url"}


def test_a_second_run_changes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["enforce", "--no-allow-push"]) == 0
    first = git("rev-parse", "hammurabi", cwd=repo)
    mode.forget()
    assert main(["enforce", "--no-allow-push"]) == 0
    out = capsys.readouterr().out
    assert git("rev-parse", "hammurabi", cwd=repo) == first
    assert "up to date" in out.lower()


def test_no_report_and_dry_run_settings(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["enforce", "--no-allow-push", "--no-report"]) == 0
    assert not (repo / "hammurabi_report.json").exists()
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(original_repo.SETTINGS + "dry_run = true\n")
    git("commit", "--quiet", "--all", "--message", "dry", cwd=repo)
    git("branch", "--quiet", "--delete", "--force", "hammurabi", cwd=repo)
    capsys.readouterr()
    assert main(["enforce", "--no-allow-push"]) == 0
    assert "dry run" in capsys.readouterr().out.lower()
    assert git("branch", "--list", "hammurabi", cwd=repo) == ""


def test_the_0_11_report_as_a_reporter_plugin(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.json"
    assert main(["enforce", "--no-allow-push", "--report", f"json-0.11={target}"]) == 0
    written = json.loads((repo / "hammurabi_report.json").read_text())
    reported = json.loads(target.read_text())
    assert list(reported) == ["passed", "failed", "skipped", "additional_data"]
    for key in ("passed", "failed"):
        assert reported[key] == written[key]
    # laws skipped by a law precondition have no rule records: the plugin lists what ran
    assert reported["skipped"] == [
        item for item in written["skipped"] if item in reported["skipped"]
    ]
