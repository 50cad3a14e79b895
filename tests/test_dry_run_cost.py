"""A dry run on a repository whose runs keep a work tree: no copy of the tree, the same diff.

Real repositories; ``GIT_TRACE`` tells which git commands a run started.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from tests.gitrepos import LAWS, git, init_repo, isolate_git, uncommitted
from tests.test_repo_cost import CUSTOM, FILES, commands, traced, work_trees

BRANCH = "hammurabi/laws"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "widgets", {**FILES, ".gitignore": "*.log\n"})


def run(repo: Path, laws: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    code = main(["enforce", str(repo), "--laws", str(laws), "-p", "python", *args, "-f", "json"])
    out = capsys.readouterr().out
    report = json.loads(out[out.index("{") :])
    report["exit"] = code
    report["diff"] = "".join(c["diff"] for law in report["laws"] for c in law["changes"])
    return report


def test_a_dry_run_uses_the_kept_work_tree_and_its_diff_is_exact(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    fresh = run(repo, laws, "--dry-run", capsys=capsys)  # no kept work tree yet: a copy
    assert work_trees(repo) == []  # a dry run registers no work tree
    assert run(repo, laws, "--no-push", capsys=capsys)["exit"] == ExitCode.OK
    (kept,) = work_trees(repo)
    git("branch", "-D", BRANCH, cwd=repo)
    assert not (kept / "README.md").exists()  # no law names it: not checked out

    trace = traced(monkeypatch, tmp_path)
    again = run(repo, laws, "--dry-run", capsys=capsys)
    ran = commands(trace)
    assert not [cmd for cmd in ran if cmd.startswith(("checkout-index --all", "worktree add"))]
    assert again["diff"] == fresh["diff"] and again["files"] == fresh["files"]
    assert again["git"]["action"] == "create"
    assert not (kept / "README.md").exists()
    assert uncommitted(kept) == ""  # put back
    assert git("branch", "--list", BRANCH, cwd=repo) == ""  # nothing written

    assert run(repo, laws, "--no-push", capsys=capsys)["exit"] == ExitCode.OK
    assert git("log", "--format=%s", f"main..{BRANCH}", cwd=repo).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]
    assert git("show", f"{BRANCH}:app.py", cwd=repo) == "DEBUG = False"


def test_custom_rules_in_a_dry_run_leave_the_kept_work_tree_clean(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    pillar = tmp_path / "shape.py"
    pillar.write_text(CUSTOM)  # pathlib edits: new folder, deletion, mode, symlink, ignored file
    fresh = run(repo, pillar, "--dry-run", capsys=capsys)
    assert run(repo, laws, "--no-push", capsys=capsys)["exit"] == ExitCode.OK
    (kept,) = work_trees(repo)

    again = run(repo, pillar, "--dry-run", capsys=capsys)
    assert again["diff"] == fresh["diff"] and again["files"] == fresh["files"]
    assert "new/dir/stack.txt" in again["files"]
    assert uncommitted(kept) == ""
    assert not (kept / "new").exists() and not (kept / "build.log").exists()

    assert run(repo, pillar, "--no-push", capsys=capsys)["exit"] == ExitCode.OK
    branch = "hammurabi/shape"
    assert git("show", f"{branch}:new/dir/stack.txt", cwd=repo) == "python"
    entries = git("ls-tree", "-r", branch, cwd=repo)
    assert "old.txt" not in entries and "100755 blob" in entries


# -- law commits: one fast-import for a run's commits ------------------------------------------

CRLF = """
from pathlib import Path
from hammurabi import Law, Pillar
from hammurabi.rules.base import Rule

class Write(Rule):
    def task(self):
        Path("win.txt").write_bytes(b"one\\r\\ntwo\\r\\n")
        return Path("win.txt")

pillar = Pillar()
pillar.register(Law(name="Windows", description="A file.", rules=(Write(name="write"),)))
"""


def test_a_runs_commits_are_made_by_one_git_process(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    trace = traced(monkeypatch, tmp_path)
    assert run(repo, laws, "--no-push", capsys=capsys)["exit"] == ExitCode.OK
    ran = [cmd.split()[0] for cmd in commands(trace)]
    assert ran.count("fast-import") == 1 and "commit-tree" not in ran and "write-tree" not in ran
    assert git("log", "--format=%s", f"main..{BRANCH}", cwd=repo).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]
    assert git("show", f"{BRANCH}:app.py", cwd=repo) == "DEBUG = False"
    assert git("show", f"{BRANCH}:.gitignore", cwd=repo) == "*.log\n__pycache__/"
    (kept,) = work_trees(repo)
    assert uncommitted(kept) == ""
    assert git("fsck", "--no-progress", cwd=repo) == ""
    author = git("log", "-1", "--format=%an <%ae>|%cn <%ce>", BRANCH, cwd=repo)
    assert author.split("|")[0] == "Hammurabi <hammurabi-bot@users.noreply.github.com>"


def test_attributes_and_given_dates_are_honoured(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".gitattributes").write_text("* text=auto\n")
    git("add", ".gitattributes", cwd=repo)
    git("commit", "-qm", "attributes", cwd=repo)
    pillar = tmp_path / "windows.py"
    pillar.write_text(CRLF)
    assert run(repo, pillar, "--no-push", capsys=capsys)["exit"] == ExitCode.OK
    blob = git("cat-file", "blob", "hammurabi/windows:win.txt", cwd=repo, strip=False)
    assert blob == "one\ntwo\n"  # normalized as git add would

    monkeypatch.setenv("GIT_AUTHOR_DATE", "1700000000 +0200")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "1700000100 +0200")
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    assert run(repo, laws, "--no-push", capsys=capsys)["exit"] == ExitCode.OK
    dates = git("log", "-1", "--format=%at %ai|%ct", BRANCH, cwd=repo)
    assert dates == "1700000000 2023-11-15 00:13:20 +0200|1700000100"


def test_a_push_is_one_git_process(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.gitrepos import bare_remote

    remote = bare_remote(tmp_path / "remote.git", repo)
    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS)
    trace = traced(monkeypatch, tmp_path)
    report = run(repo, laws, "--push", capsys=capsys)
    assert report["exit"] == ExitCode.OK and report["git"]["action"] == "created"
    ran = [cmd.split()[0] for cmd in commands(trace)]
    assert ran.count("push") == 1 and "version" not in ran  # no GitPython around git push
    assert not [cmd for cmd in commands(trace) if "refs/hammurabi/" in cmd]  # the commit
    assert git("rev-parse", BRANCH, cwd=remote) == git("rev-parse", f"origin/{BRANCH}", cwd=repo)
    assert run(repo, laws, "--push", capsys=capsys)["git"]["action"] == "unchanged"


def test_a_first_dry_run_copies_only_the_paths_its_laws_name(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_repo_cost import NEW_FILE

    laws = tmp_path / "laws.yml"
    laws.write_text(LAWS + NEW_FILE.removeprefix("laws:\n"))
    monkeypatch.setattr("hammurabi.integrations.git._SMALL_INDEX", 0)  # none is copied whole
    trace = traced(monkeypatch, tmp_path)
    report = run(repo, laws, "--dry-run", capsys=capsys)
    ran = commands(trace)
    assert [cmd for cmd in ran if cmd.startswith("checkout-index")] == [
        "checkout-index --all --force " + next(c for c in ran if "--prefix" in c).split()[-1]
    ]
    assert not [cmd for cmd in ran if cmd.startswith("read-tree")]  # no index of the whole tree
    changes = [(c["path"], c["kind"]) for law in report["laws"] for c in law["changes"]]
    assert changes == [
        (".gitignore", "modified"),
        ("app.py", "modified"),
        ("docs/notes.md", "added"),
    ]
    assert "-DEBUG = True\n+DEBUG = False" in report["diff"]
    assert work_trees(repo) == []
