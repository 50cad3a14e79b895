"""The fleet as a library, over local bare repositories (no forge): workers and progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from hammurabi.core.results import Status
from hammurabi.orchestration import repository as runner
from hammurabi.orchestration.fleet.records import RepoRun
from hammurabi.orchestration.fleet.run import FleetOptions, run_fleet
from hammurabi.orchestration.fleet.targets import read_list
from tests.gitrepos import LAWS, git, init_repo, isolate_git


class Recorder:
    """Keeps what a fleet run reports to its observer."""

    def __init__(self) -> None:
        self.total = -1
        self.starts: list[str] = []
        self.ends: list[str] = []

    def begin(self, total: int) -> None:
        self.total = total

    def started(self, name: str) -> None:
        self.starts.append(name)

    def finished(self, repo: RepoRun) -> None:
        self.ends.append(repo.name)


@pytest.mark.parametrize("jobs", [1, 3])
def test_local_remotes_in_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    isolate_git(monkeypatch)
    monkeypatch.chdir(tmp_path)
    lines = []
    for index in range(5):
        work = init_repo(tmp_path / "work" / f"svc-{index}", {"app.py": "DEBUG = True\n"})
        bare = tmp_path / "remotes" / "team" / f"svc-{index}.git"
        git("clone", "--quiet", "--bare", str(work), str(bare))
        lines.append(str(bare))
    (tmp_path / "repos.txt").write_text("\n".join(lines) + "\n")
    (tmp_path / "laws.yml").write_text(LAWS)
    session = runner.prepare(tmp_path, overrides={"laws": [str(tmp_path / "laws.yml")]}, env={})
    recorder = Recorder()
    targets = read_list(tmp_path / "repos.txt", "https://github.com")
    options = FleetOptions(cache=tmp_path / "cache", jobs=jobs)
    result = run_fleet(session, targets, options, new_run_id="r1", observer=recorder)

    names = [f"team/svc-{index}" for index in range(5)]
    assert [repo.name for repo in result.repos] == names
    assert {repo.status for repo in result.repos} == {Status.BRANCH_CREATED}
    assert {repo.branch for repo in result.repos} == {"created"}
    assert recorder.total == 5 and sorted(recorder.starts) == sorted(recorder.ends) == names
    for bare in lines:  # pushed to the bare remotes, one commit per law
        log = git("log", "--format=%s", "main..hammurabi/laws", cwd=Path(bare))
        assert log.splitlines() == ["Debug off", "Ignore caches"]
    assert result.repos[0].result is not None and "+DEBUG = False" in result.repos[0].diff


def test_cached_clones_hold_no_checkout_and_are_fetched_not_cloned_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hammurabi.orchestration.fleet import cache

    isolate_git(monkeypatch)
    monkeypatch.chdir(tmp_path)
    work = init_repo(tmp_path / "work" / "svc", {"app.py": "DEBUG = True\n", "a/b.txt": "b\n"})
    bare = tmp_path / "remotes" / "team" / "svc.git"
    git("clone", "--quiet", "--bare", str(work), str(bare))
    (tmp_path / "repos.txt").write_text(f"{bare}\n")
    (tmp_path / "laws.yml").write_text(LAWS)
    session = runner.prepare(tmp_path, overrides={"laws": [str(tmp_path / "laws.yml")]}, env={})
    targets = read_list(tmp_path / "repos.txt", "https://github.com")
    options = FleetOptions(cache=tmp_path / "cache", jobs=1)
    first = run_fleet(session, targets, options, new_run_id="r1")
    assert [repo.status for repo in first.repos] == [Status.BRANCH_CREATED]
    clone = cache.folder(tmp_path / "cache", targets[0])
    assert sorted(path.name for path in clone.iterdir()) == [".git"]  # no checkout
    objects = (clone / ".git" / "objects").stat().st_ino
    git("push", "--quiet", str(bare), "HEAD:refs/heads/main", cwd=work)  # nothing new
    (tmp_path / "laws.yml").write_text(LAWS.replace("text: DEBUG = False", "text: DEBUG = 0"))
    session = runner.prepare(tmp_path, overrides={"laws": [str(tmp_path / "laws.yml")]}, env={})
    second = run_fleet(session, targets, options, new_run_id="r2")
    assert [repo.status for repo in second.repos] == [Status.BRANCH_UPDATED]
    assert (clone / ".git" / "objects").stat().st_ino == objects  # the same clone, fetched
    assert sorted(path.name for path in clone.iterdir()) == [".git"]
    assert git("show", "hammurabi/laws:app.py", cwd=bare) == "DEBUG = 0"


def test_a_relative_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)
    monkeypatch.chdir(tmp_path)
    work = init_repo(tmp_path / "work" / "svc", {"app.py": "DEBUG = True\n"})
    bare = tmp_path / "remotes" / "team" / "svc.git"
    git("clone", "--quiet", "--bare", str(work), str(bare))
    (tmp_path / "repos.txt").write_text(f"{bare}\n")
    (tmp_path / "laws.yml").write_text(LAWS)
    session = runner.prepare(tmp_path, overrides={"laws": [str(tmp_path / "laws.yml")]}, env={})
    targets = read_list(tmp_path / "repos.txt", "https://github.com")
    result = run_fleet(session, targets, FleetOptions(cache=Path("cache"), jobs=1), new_run_id="r")
    assert [repo.status for repo in result.repos] == [Status.BRANCH_CREATED]


def test_a_cached_clone_is_brought_up_to_date_by_one_fetch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_git(monkeypatch)
    monkeypatch.chdir(tmp_path)
    work = init_repo(tmp_path / "work" / "svc", {"app.py": "DEBUG = True\n"})
    bare = tmp_path / "remotes" / "team" / "svc.git"
    git("clone", "--quiet", "--bare", str(work), str(bare))
    (tmp_path / "repos.txt").write_text(f"file://{bare}\n")
    (tmp_path / "laws.yml").write_text(LAWS)
    session = runner.prepare(tmp_path, overrides={"laws": [str(tmp_path / "laws.yml")]}, env={})
    targets = read_list(tmp_path / "repos.txt", "https://github.com")
    options = FleetOptions(cache=tmp_path / "cache", jobs=1)
    first = run_fleet(session, targets, options, new_run_id="r1")
    assert [repo.status for repo in first.repos] == [Status.BRANCH_CREATED]
    # The bot branch merged and deleted, the base moved on: the next run sees both.
    (work / "README.md").write_text("# svc\n")
    git("add", "README.md", cwd=work)
    git("commit", "--quiet", "-m", "readme", cwd=work)
    git("push", "--quiet", str(bare), "HEAD:refs/heads/main", cwd=work)
    git("branch", "--quiet", "-D", "hammurabi/laws", cwd=bare)
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    second = run_fleet(session, targets, options, new_run_id="r2")
    monkeypatch.delenv("GIT_TRACE")
    assert [repo.status for repo in second.repos] == [Status.BRANCH_CREATED]
    ran = [
        line.split("trace: built-in: git ", 1)[1]
        for line in trace.read_text().splitlines()
        if "trace: built-in: git " in line
    ]
    assert not [cmd for cmd in ran if cmd.startswith("ls-remote")]
    assert len([cmd for cmd in ran if cmd.startswith("fetch ")]) == 1
    assert not [cmd for cmd in ran if cmd.startswith("maintenance")]  # none due yet
    for once in ("rev-parse", "config", "symbolic-ref"):  # the clone opened once
        assert len([cmd for cmd in ran if cmd.startswith(once)]) == 1, (once, ran)
    assert git("show", "hammurabi/laws:README.md", cwd=bare) == "# svc"
    assert git("log", "--format=%s", "main..hammurabi/laws", cwd=bare).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]
