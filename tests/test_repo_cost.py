"""What a run costs a repository: one reusable work tree, commits of the touched paths only,
no maintenance started by bot commits, no remote contacted under ``--no-push``.

Real repositories and bare remotes; ``GIT_TRACE`` tells which git commands a run started.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from tests.gitrepos import LAWS, bare_remote, git, init_repo, isolate_git, uncommitted

BRANCH = "hammurabi/laws"
FILES = {
    "app.py": "DEBUG = True\n",
    "README.md": "# widgets\n",
    "old.txt": "remove me\n",
    "run.sh": "echo hi\n",
    "docs/untouched.md": "never edited\n",
    "service.yml": "stack: python\n",
}

#: Custom rules that change files with plain pathlib, relative to the repository.
CUSTOM = """
from pathlib import Path
from hammurabi import Law, Pillar
from hammurabi.rules.base import Rule

class Edit(Rule):
    def task(self):
        stack = Path("service.yml").read_text().split(":")[1].strip()
        Path("new/dir").mkdir(parents=True, exist_ok=True)
        Path("new/dir/stack.txt").write_text(stack + "\\n")
        Path("old.txt").unlink(missing_ok=True)
        Path("run.sh").chmod(0o755)
        Path("build.log").write_text("ignored\\n")
        link = Path("latest")
        if not link.is_symlink():
            link.symlink_to("README.md")
        return Path(".")

pillar = Pillar()
pillar.register(Law(name="Shape", description="Files in shape.", rules=(Edit(name="edit"),)))
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = init_repo(tmp_path / "widgets", {**FILES, ".gitignore": "*.log\n"})
    bare_remote(tmp_path / "remote.git", work)
    return work


@pytest.fixture
def laws(tmp_path: Path) -> Path:
    path = tmp_path / "laws.yml"
    path.write_text(LAWS)
    return path


def enforce(repo: Path, laws: Path, *args: str) -> int:
    return main(["enforce", str(repo), "--laws", str(laws), "-p", "python", "-q", *args])


def traced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    trace = tmp_path / "git-trace.txt"
    trace.unlink(missing_ok=True)
    monkeypatch.setenv("GIT_TRACE", str(trace))
    return trace


def commands(trace: Path) -> list[str]:
    """The git commands in a trace (``git <name> ...``), in order."""
    found = []
    for line in trace.read_text().splitlines():
        if "trace: built-in: git " in line:
            found.append(line.split("trace: built-in: git ", 1)[1])
        elif "trace: exec: git-" in line:
            found.append(line.split("trace: exec: git-", 1)[1])
    return found


def work_trees(repo: Path) -> list[Path]:
    out = git("worktree", "list", "--porcelain", cwd=repo)
    paths = [
        Path(line.split(" ", 1)[1]) for line in out.splitlines() if line.startswith("worktree")
    ]
    return [path for path in paths if path != repo]


def test_runs_reuse_one_work_tree_and_rewrite_only_what_they_touch(
    repo: Path, laws: Path, tmp_path: Path
) -> None:
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    (kept,) = work_trees(repo)
    assert kept.is_relative_to(repo / ".git") and kept.name == repo.name
    assert not (kept / "docs").exists()  # the laws name other paths: not checked out
    laws.write_text(LAWS.replace("text: DEBUG = False", "text: DEBUG = 0"))
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    assert work_trees(repo) == [kept]
    assert git("show", f"{BRANCH}:app.py", cwd=repo) == "DEBUG = 0"
    assert git("log", "--format=%s", f"main..{BRANCH}", cwd=repo).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]
    assert git("status", "--porcelain", cwd=repo) == ""  # the checkout is untouched
    assert git("branch", "--show-current", cwd=repo) == "main"


def test_files_a_run_left_uncommitted_are_gone_before_the_next(
    repo: Path, laws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pillar = tmp_path / "shape.py"
    pillar.write_text(CUSTOM)  # leaves build.log, which git ignores, in the work tree
    assert enforce(repo, pillar, "--no-push") == ExitCode.OK
    (kept,) = work_trees(repo)
    assert (kept / "build.log").exists()
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    assert not (kept / "build.log").exists() and not (kept / "new").exists()
    files = git("ls-tree", "-r", "--name-only", BRANCH, cwd=repo).splitlines()
    assert sorted(files) == sorted([*FILES, ".gitignore"])
    assert git("show", f"{BRANCH}:app.py", cwd=repo) == "DEBUG = False"
    # A tidy run (everything committed) puts the work tree back: the next has nothing to reset.
    git("branch", "-D", BRANCH, cwd=repo)
    trace = traced(monkeypatch, tmp_path)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    ran = [cmd.split()[0] for cmd in commands(trace)]
    assert not {"read-tree", "reset", "clean"} & set(ran)
    assert git("rev-parse", f"{BRANCH}~2", cwd=repo) == git("rev-parse", "main", cwd=repo)
    assert git("rev-parse", "HEAD", cwd=kept) == git("rev-parse", "main", cwd=repo)
    assert uncommitted(kept) == ""


def test_a_busy_work_tree_makes_a_concurrent_run_use_a_temporary_one(
    repo: Path, laws: Path
) -> None:
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    (kept,) = work_trees(repo)
    git("branch", "-D", BRANCH, cwd=repo)
    locks = list((repo / ".git").rglob("*.lock"))
    assert locks, "the reusable work tree has a lock file"
    handle = os.open(locks[0], os.O_RDWR)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another run holds it
        (kept / "marker").write_text("the other run's file\n")
        assert enforce(repo, laws, "--no-push") == ExitCode.OK
        assert (kept / "marker").exists()  # not reset under the other run's feet
    finally:
        os.close(handle)
    assert work_trees(repo) == [kept]  # the temporary one is gone
    assert git("log", "--format=%s", f"main..{BRANCH}", cwd=repo).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]


def test_bot_commits_start_no_maintenance_or_gc(
    repo: Path, laws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git("config", "gc.auto", "1", cwd=repo)
    trace = traced(monkeypatch, tmp_path)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    ran = commands(trace)
    assert any(cmd.startswith(("commit", "commit-tree", "fast-import")) for cmd in ran)
    assert not [cmd for cmd in ran if cmd.startswith(("maintenance", "gc"))]


def test_no_push_contacts_no_remote(
    repo: Path, laws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git("fetch", "--quiet", "origin", cwd=repo)
    git("remote", "set-url", "origin", str(tmp_path / "gone.git"), cwd=repo)
    trace = traced(monkeypatch, tmp_path)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    remote = ("ls-remote", "fetch", "push", "upload-pack", "receive-pack", "remote-")
    assert not [cmd for cmd in commands(trace) if cmd.startswith(remote)]
    assert git("log", "--format=%s", f"origin/main..{BRANCH}", cwd=repo).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]


def test_a_no_change_re_run_writes_no_object(repo: Path, laws: Path) -> None:
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    before = git("count-objects", "-v", cwd=repo)
    tip = git("rev-parse", BRANCH, cwd=repo)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    assert git("rev-parse", BRANCH, cwd=repo) == tip
    assert git("count-objects", "-v", cwd=repo) == before


def test_custom_rules_edit_with_pathlib_and_each_kind_of_change_is_committed(
    repo: Path, tmp_path: Path
) -> None:
    pillar = tmp_path / "shape.py"
    pillar.write_text(CUSTOM)
    assert enforce(repo, pillar, "--no-push") == ExitCode.OK
    branch = "hammurabi/shape"
    files = git("ls-tree", "-r", branch, cwd=repo).splitlines()
    entries = {line.split("\t")[1]: line.split()[0] for line in files}
    assert git("show", f"{branch}:new/dir/stack.txt", cwd=repo) == "python"
    assert "old.txt" not in entries and "build.log" not in entries  # deleted; ignored
    assert entries["run.sh"] == "100755" and entries["latest"] == "120000"
    assert git("log", "--format=%s", f"main..{branch}", cwd=repo).splitlines() == ["Shape"]
    # Idempotent: the second run finds the branch up to date.
    assert enforce(repo, pillar, "--no-push") == ExitCode.OK
    assert git("rev-list", "--count", f"main..{branch}", cwd=repo) == "1"
    mode = (repo / "run.sh").stat().st_mode
    assert not mode & stat.S_IXUSR  # the checkout itself is never edited


@pytest.mark.parametrize("mode", ["--no-push", "--dry-run"])
def test_a_run_that_pushes_nothing_loads_no_gitpython(repo: Path, laws: Path, mode: str) -> None:
    probe = (
        "import json, sys\nfrom hammurabi.cli.main import main\n"
        f"code = main(['enforce', {str(repo)!r}, '--laws', {str(laws)!r}, '-p', 'python', "
        f"'-q', {mode!r}])\n"
        "print(json.dumps([code, sorted(m for m in sys.modules if m.split('.')[0] == 'git')]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [ExitCode.OK, []]


def test_a_deleted_work_tree_is_made_again(repo: Path, laws: Path) -> None:
    import shutil

    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    (kept,) = work_trees(repo)
    shutil.rmtree(repo / ".git" / "hammurabi")  # someone cleaned the git dir by hand
    git("branch", "-D", BRANCH, cwd=repo)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    assert work_trees(repo) == [kept] and (kept / "app.py").exists()


def test_a_no_change_re_run_stages_and_commits_nothing(
    repo: Path, laws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    trace = traced(monkeypatch, tmp_path)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    ran = [cmd.split()[0] for cmd in commands(trace)]
    assert "write-tree" not in ran and "commit-tree" not in ran
    assert ran.count("update-index") <= 1  # the reused commits' paths, once, at the end


THREE = """\
laws:
  - name: Debug off
    description: No DEBUG.
    rules:
      - line-replaced: {name: debug off, path: app.py, target: '^DEBUG = .*', text: DEBUG = False}
  - name: Readme
    description: Checked.
    rules:
      - line-exists: {name: checked, path: README.md, text: '# checked'}
  - name: Version
    description: A version.
    rules:
      - line-exists: {name: version, path: app.py, text: 'VERSION = 1'}
"""


def test_commits_are_reused_up_to_the_first_law_that_changed(repo: Path, tmp_path: Path) -> None:
    laws = tmp_path / "three.yml"
    laws.write_text(THREE)
    branch = "hammurabi/three"
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    before = git("log", "--format=%H", f"main..{branch}", cwd=repo).splitlines()
    laws.write_text(THREE.replace("VERSION = 1", "VERSION = 2"))
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    after = git("log", "--format=%H", f"main..{branch}", cwd=repo).splitlines()
    assert after[1:] == before[1:] and after[0] != before[0]  # the first two reused
    assert git("show", f"{branch}:app.py", cwd=repo) == "DEBUG = False\nVERSION = 2"
    assert git("show", f"{branch}:README.md", cwd=repo) == "# widgets\n# checked"
    assert git("show", f"{branch}~1:app.py", cwd=repo) == "DEBUG = False"
    (kept,) = work_trees(repo)
    assert uncommitted(kept) == ""
    assert git("rev-parse", "HEAD", cwd=kept) == git("rev-parse", "main", cwd=repo)  # put back
    laws.write_text(THREE)  # back: the third commit differs again, on the reused two
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    again = git("log", "--format=%H", f"main..{branch}", cwd=repo).splitlines()
    assert again[1:] == before[1:]
    assert git("show", f"{branch}:app.py", cwd=repo) == "DEBUG = False\nVERSION = 1"


def test_a_no_change_run_loads_neither_gitpython_nor_rich(repo: Path, laws: Path) -> None:
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    argv = ["enforce", str(repo), "--laws", str(laws), "-p", "python", "--no-push"]
    probe = (
        "import sys\nfrom hammurabi.cli.main import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'git', 'rich'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "Up to date" in out.stdout and out.stdout.strip().splitlines()[-1] == "[]"


def checked_out(tree: Path) -> set[str]:
    """The files in a work tree (its ``.git`` link aside)."""
    return {
        path.relative_to(tree).as_posix()
        for path in tree.rglob("*")
        if not path.is_dir() and path.name != ".git"
    }


def test_a_run_checks_out_only_the_paths_its_laws_name(
    repo: Path, laws: Path, tmp_path: Path
) -> None:
    for i in range(30):
        (repo / "many" / f"file{i:02d}.txt").parent.mkdir(exist_ok=True)
        (repo / "many" / f"file{i:02d}.txt").write_text(f"{i}\n")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "many", cwd=repo)
    git("push", "-q", "origin", "main", cwd=repo)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    (kept,) = work_trees(repo)
    assert checked_out(kept) == {".gitignore", "app.py"}  # of 37 files
    files = git("ls-tree", "-r", "--name-only", BRANCH, cwd=repo).splitlines()
    assert len(files) == 37 and "many/file29.txt" in files  # the commits hold the rest
    assert git("show", f"{BRANCH}:app.py", cwd=repo) == "DEBUG = False"
    assert uncommitted(kept) == ""
    # A custom rule may read anything (service.yml, with pathlib): the whole tree is out.
    pillar = tmp_path / "shape.py"
    pillar.write_text(CUSTOM)
    assert enforce(repo, pillar, "--no-push") == ExitCode.OK
    assert git("show", "hammurabi/shape:new/dir/stack.txt", cwd=repo) == "python"
    assert {"service.yml", "many/file29.txt"} <= checked_out(kept)
    # Back to laws naming their paths: the rest goes again, the commits are the same.
    tip = git("rev-parse", BRANCH, cwd=repo)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    assert checked_out(kept) == {".gitignore", "app.py"}
    assert git("rev-parse", BRANCH, cwd=repo) == tip
    assert uncommitted(kept) == ""


NEW_FILE = """\
laws:
  - name: Notes
    description: A notes file among the docs.
    rules:
      - file-exists: {name: notes, path: docs/notes.md, content: "# notes\\n"}
"""


def test_a_new_file_in_a_folder_not_checked_out_is_all_a_run_adds(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    laws = tmp_path / "notes.yml"
    laws.write_text(NEW_FILE)
    argv = ["enforce", str(repo), "--laws", str(laws), "-p", "python", "-f", "json"]
    assert main([*argv, "--no-push"]) == ExitCode.OK
    (kept,) = work_trees(repo)
    assert checked_out(kept) == {".gitignore"}  # not docs/untouched.md; docs/notes.md went
    assert git("show", "hammurabi/notes:docs/notes.md", cwd=repo) == "# notes"  # committed
    git("branch", "-D", "hammurabi/notes", cwd=repo)
    capsys.readouterr()
    assert main([*argv, "--dry-run"]) == ExitCode.OK
    out = capsys.readouterr().out
    report = json.loads(out[out.index("{") :])
    changes = [(c["path"], c["kind"]) for law in report["laws"] for c in law["changes"]]
    assert changes == [("docs/notes.md", "added")]  # the folder was there, as in git
    assert main([*argv, "--no-push"]) == ExitCode.OK
    assert git("show", "hammurabi/notes:docs/untouched.md", cwd=repo) == "never edited"
    assert git("show", "hammurabi/notes:docs/notes.md", cwd=repo) == "# notes"


LINKED = """\
laws:
  - name: Config
    description: Debug off in the linked config.
    rules:
      - line-replaced: {name: debug off, path: conf/app.cfg, target: '^debug', text: quiet}
"""


def test_a_link_above_a_named_path_checks_out_the_whole_tree(repo: Path, tmp_path: Path) -> None:
    (repo / "real").mkdir()
    (repo / "real" / "app.cfg").write_text("debug\n")
    (repo / "conf").symlink_to("real")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "linked", cwd=repo)
    git("push", "-q", "origin", "main", cwd=repo)
    laws = tmp_path / "linked.yml"
    laws.write_text(LINKED)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    (kept,) = work_trees(repo)
    assert {"real/app.cfg", "docs/untouched.md"} <= checked_out(kept)
    assert git("show", "hammurabi/linked:real/app.cfg", cwd=repo) == "quiet"


def test_a_runs_commits_are_written_as_one_pack(
    repo: Path, laws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def loose() -> int:
        counts = dict(
            line.split(": ") for line in git("count-objects", "-v", cwd=repo).splitlines()
        )
        return int(counts["count"])

    before = loose()
    trace = traced(monkeypatch, tmp_path)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    assert not [cmd for cmd in commands(trace) if cmd.startswith("unpack-objects")]
    assert loose() == before  # a fetch of as few objects would write them one file each
    assert git("log", "--format=%s", f"main..{BRANCH}", cwd=repo).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]


def test_a_re_run_on_the_same_commit_asks_git_nothing_about_the_paths(
    repo: Path, laws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    trace = traced(monkeypatch, tmp_path)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    assert not [cmd for cmd in commands(trace) if cmd.startswith("ls-tree")]
    (kept,) = work_trees(repo)
    assert checked_out(kept) == {".gitignore", "app.py"}
    # Another commit to start from: asked again (a path may have become a link there).
    (repo / "src").mkdir()
    (repo / "app.py").rename(repo / "src" / "app.py")
    (repo / "app.py").symlink_to("src/app.py")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "a link", cwd=repo)
    git("push", "-q", "origin", "main", cwd=repo)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    assert "docs/untouched.md" in checked_out(kept)  # the whole tree
    assert git("show", f"{BRANCH}:src/app.py", cwd=repo) == "DEBUG = False"


def test_a_run_puts_its_work_tree_back_so_a_re_run_touches_no_index(
    repo: Path, laws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept work tree's index holds only the files the laws name (reading or writing
    one of the whole tree costs what the repository holds), and a run leaves it as it
    found it: a re-run from the same commit has nothing to reset."""
    trace = traced(monkeypatch, tmp_path)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    assert not {"read-tree", "reset"} & {cmd.split()[0] for cmd in commands(trace)}
    (kept,) = work_trees(repo)
    assert git("ls-files", cwd=kept).splitlines() == [".gitignore", "app.py"]
    base = git("rev-parse", "main", cwd=repo)
    assert git("rev-parse", "HEAD", cwd=kept) == base  # back where runs start
    assert uncommitted(kept) == ""
    assert (kept / "app.py").read_text() == FILES["app.py"]
    tip = git("rev-parse", BRANCH, cwd=repo)
    for args in (("--no-push",), ("--dry-run",), ("--no-push",)):
        trace = traced(monkeypatch, tmp_path)
        assert enforce(repo, laws, *args) == ExitCode.OK
        ran = [cmd.split()[0] for cmd in commands(trace)]
        assert not {"read-tree", "update-index", "reset", "clean", "update-ref"} & set(ran)
        assert git("rev-parse", BRANCH, cwd=repo) == tip
        assert git("rev-parse", "HEAD", cwd=kept) == base
        assert uncommitted(kept) == ""
    git("branch", "-D", BRANCH, cwd=repo)  # the same work again: the same commits
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    assert git("rev-parse", f"{BRANCH}^{{tree}}", cwd=repo) == git(
        "rev-parse", f"{tip}^{{tree}}", cwd=repo
    )
    assert uncommitted(kept) == ""


GONE_AND_BACK = """\
laws:
  - name: Gone
    description: No old file.
    rules:
      - file-not-exists: {name: gone, path: old.txt}
  - name: Back
    description: A new old file.
    rules:
      - file-exists: {name: back, path: old.txt, content: "new\\n"}
"""


def test_a_file_removed_then_made_again_is_put_back_as_it_was(repo: Path, tmp_path: Path) -> None:
    laws = tmp_path / "gone.yml"
    laws.write_text(GONE_AND_BACK)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    (kept,) = work_trees(repo)
    assert (kept / "old.txt").read_text() == FILES["old.txt"]  # there at the start: kept
    assert uncommitted(kept) == ""
    tip = git("rev-parse", "hammurabi/gone", cwd=repo)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    assert git("rev-parse", "hammurabi/gone", cwd=repo) == tip
    assert git("show", f"{tip}:old.txt", cwd=repo) == "new"


def test_a_partial_work_tree_follows_a_moved_base_and_commits_through_an_index_keep_all(
    repo: Path, laws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept work tree indexes only the named files; commits made through an index
    (given dates: no fast-import) still hold the whole tree, and a moved base is followed
    without reading the whole tree."""
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    (kept,) = work_trees(repo)
    (repo / "app.py").write_text("DEBUG = True\nNAME = 'widgets'\n")
    (repo / "docs" / "new.md").write_text("new\n")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "moved", cwd=repo)
    git("push", "-q", "origin", "main", cwd=repo)
    monkeypatch.setenv("GIT_AUTHOR_DATE", "1700000000 +0000")  # commits through an index
    trace = traced(monkeypatch, tmp_path)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK
    ran = {cmd.split()[0] for cmd in commands(trace)}
    assert "fast-import" not in ran and "write-tree" in ran
    files = git("ls-tree", "-r", "--name-only", BRANCH, cwd=repo).splitlines()
    assert sorted(files) == sorted([*FILES, ".gitignore", "docs/new.md"])
    assert git("show", f"{BRANCH}:app.py", cwd=repo) == "DEBUG = False\nNAME = 'widgets'"
    assert git("rev-parse", f"{BRANCH}~2", cwd=repo) == git("rev-parse", "main", cwd=repo)
    assert git("ls-files", cwd=kept).splitlines() == [".gitignore", "app.py"]
    assert checked_out(kept) == {".gitignore", "app.py"}
    assert (kept / "app.py").read_text() == "DEBUG = True\nNAME = 'widgets'\n"  # put back
    assert uncommitted(kept) == ""
    monkeypatch.delenv("GIT_AUTHOR_DATE")
    tip = git("rev-parse", BRANCH, cwd=repo)
    assert enforce(repo, laws, "--no-push") == ExitCode.OK  # the same work: nothing new
    assert git("rev-parse", f"{BRANCH}^{{tree}}", cwd=repo) == git(
        "rev-parse", f"{tip}^{{tree}}", cwd=repo
    )


def test_a_partial_clone_fetches_the_named_files_in_one_request(
    repo: Path, laws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fleet's clones hold no file content until a work tree needs it: the files the laws
    name are fetched together, not one request (and one maintenance run) per file."""
    remote = tmp_path / "remote.git"
    git("config", "uploadpack.allowFilter", "true", cwd=remote)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    listing = tmp_path / "repos.txt"
    listing.write_text(f"file://{remote}\n")
    argv = ["enforce", str(tmp_path), "--repos", str(listing), "--laws", str(laws), "-q"]
    argv += ["--cache", str(tmp_path / "cache"), "--no-push"]
    trace = traced(monkeypatch, tmp_path)
    assert main(argv) == ExitCode.OK
    ran = commands(trace)
    assert next(cmd for cmd in ran if cmd.startswith("clone")).count("--filter=blob:none") == 1
    blobs = [cmd for cmd in ran if cmd.startswith("fetch") and "--stdin" in cmd]
    assert len(blobs) == 1  # app.py and .gitignore, in one request
    assert not [cmd for cmd in ran if cmd.startswith("maintenance")]
    (clone,) = [path for path in (tmp_path / "cache").rglob("remote/.git") if path.is_dir()]
    branch = git("for-each-ref", "--format=%(refname:short)", "refs/heads/", cwd=clone.parent)
    assert git("show", f"{branch.split()[0]}:app.py", cwd=clone.parent) == "DEBUG = False"
