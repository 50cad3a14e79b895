"""How many git processes a run starts: a dry run, a run committing each law, and the
no-change re-run; and the cases where git refuses the repository, which behave as before.

Real repositories; ``GIT_TRACE`` tells which git commands a run started.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from tests.gitrepos import LAWS, bare_remote, git, init_repo, isolate_git, uncommitted
from tests.test_repo_cost import commands, traced, work_trees

BRANCH = "hammurabi/laws"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)


@pytest.fixture
def laws(tmp_path: Path) -> Path:
    path = tmp_path / "laws.yml"
    path.write_text(LAWS)
    return path


def run(repo: Path, laws: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    code = main(["enforce", str(repo), "--laws", str(laws), "-p", "python", *args, "-f", "json"])
    out = capsys.readouterr().out
    report = json.loads(out[out.index("{") :])
    report["exit"] = code
    return report


def names(trace: Path) -> list[str]:
    return [cmd.split()[0] for cmd in commands(trace)]


def ref_reads(trace: Path) -> list[str]:
    """Hammurabi's own ``for-each-ref`` commands (not those a push starts on the remote)."""
    return [cmd for cmd in commands(trace) if cmd.startswith("for-each-ref '--format=%(refname)")]


@pytest.mark.parametrize("remote", [False, True])
def test_a_run_asks_rev_parse_once(
    tmp_path: Path,
    laws: Path,
    remote: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = init_repo(tmp_path / "widgets")
    if remote:
        bare_remote(tmp_path / "remote.git", repo)
    (repo / "sub").mkdir()
    trace = traced(monkeypatch, tmp_path)
    assert run(repo / "sub", laws, "--dry-run", capsys=capsys)["exit"] == ExitCode.OK
    assert names(trace).count("rev-parse") == 1
    trace = traced(monkeypatch, tmp_path)
    report = run(repo, laws, "--no-push", capsys=capsys)
    assert report["exit"] == ExitCode.OK and report["git"]["action"] == "created"
    assert names(trace).count("rev-parse") == 1
    assert git("log", "--format=%s", f"main..{BRANCH}", cwd=repo).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]


@pytest.mark.parametrize("mode", ["--no-push", "--dry-run"])
def test_a_re_run_reads_the_branchs_history_once(
    tmp_path: Path,
    laws: Path,
    mode: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = init_repo(tmp_path / "widgets")
    assert run(repo, laws, "--no-push", capsys=capsys)["exit"] == ExitCode.OK
    before = git("log", "--format=%H", f"main..{BRANCH}", cwd=repo)
    trace = traced(monkeypatch, tmp_path)
    report = run(repo, laws, mode, capsys=capsys)
    assert report["exit"] == ExitCode.OK
    assert report["git"]["action"] == "unchanged"
    assert names(trace).count("log") == 1
    assert git("log", "--format=%H", f"main..{BRANCH}", cwd=repo) == before


def test_a_run_moves_refs_in_its_fast_import(
    tmp_path: Path, laws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "widgets")
    trace = traced(monkeypatch, tmp_path)
    assert run(repo, laws, "--no-push", capsys=capsys)["git"]["action"] == "created"
    ran = commands(trace)
    assert not [cmd for cmd in ran if cmd.startswith(("branch", "update-ref --no-deref"))]
    tip = git("rev-parse", BRANCH, cwd=repo)
    assert git("log", "--format=%s", f"main..{BRANCH}", cwd=repo).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]
    (kept,) = work_trees(repo)
    base = git("rev-parse", "main", cwd=repo)
    assert git("rev-parse", "HEAD", cwd=kept) == base  # put back where runs start
    assert uncommitted(kept) == ""
    assert git("for-each-ref", "--format=%(refname:short)", "refs/heads/", cwd=repo).split() == [
        BRANCH,
        "main",
    ]

    trace = traced(monkeypatch, tmp_path)  # the no-change re-run: its HEAD stays
    assert run(repo, laws, "--no-push", capsys=capsys)["git"]["action"] == "unchanged"
    assert "update-ref" not in names(trace)  # nor made a work tree (whose HEAD git sets)
    assert git("rev-parse", "HEAD", cwd=kept) == base and tip == git("rev-parse", BRANCH, cwd=repo)
    assert uncommitted(kept) == ""

    git("branch", "-D", BRANCH, cwd=repo)  # the same work again, on a used work tree
    assert run(repo, laws, "--no-push", capsys=capsys)["git"]["action"] == "created"
    again = git("rev-parse", BRANCH, cwd=repo)
    assert git("rev-parse", "HEAD", cwd=kept) == base
    assert uncommitted(kept) == ""

    laws.write_text(LAWS.replace("DEBUG = False", "DEBUG = 0"))  # the branch is rebuilt
    assert run(repo, laws, "--no-push", capsys=capsys)["git"]["action"] == "updated"
    rebuilt = git("rev-parse", BRANCH, cwd=repo)
    assert rebuilt != again and git("rev-parse", "HEAD", cwd=kept) == base
    assert git("show", f"{BRANCH}:app.py", cwd=repo) == "DEBUG = 0"
    assert uncommitted(kept) == ""
    # Nothing unreachable but the branch deleted above (no reflog of a HEAD holds it now).
    assert git("fsck", "--no-progress", cwd=repo) == f"dangling commit {tip}"


@pytest.mark.parametrize("where", ["checkout", "work tree"])
def test_a_bot_branch_checked_out_is_left_alone(
    tmp_path: Path,
    laws: Path,
    where: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = init_repo(tmp_path / "widgets")
    assert run(repo, laws, "--no-push", capsys=capsys)["exit"] == ExitCode.OK
    tip = git("rev-parse", BRANCH, cwd=repo)
    git("reset", "-q", "--hard", "HEAD", cwd=repo)
    git("commit", "-q", "--allow-empty", "-m", "moved on", cwd=repo)  # the base moved
    if where == "checkout":
        git("checkout", "-q", BRANCH, cwd=repo)
        monkeypatch.setenv("HAMMURABI_GIT_BASE", "main")
    else:
        git("worktree", "add", "-q", str(tmp_path / "mine"), BRANCH, cwd=repo)
    capsys.readouterr()
    code = main(["enforce", str(repo), "--laws", str(laws), "-p", "python", "--no-push"])
    assert code != ExitCode.OK and "is checked out" in capsys.readouterr().err
    assert git("rev-parse", BRANCH, cwd=repo) == tip


def test_a_pushing_run_reads_its_refs_once_after_the_fetch(
    tmp_path: Path, laws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "widgets")
    remote = bare_remote(tmp_path / "remote.git", repo)
    tracking = f"refs/remotes/origin/{BRANCH}"
    trace = traced(monkeypatch, tmp_path)
    report = run(repo, laws, capsys=capsys)
    assert report["git"]["action"] == "created" and report["git"]["pushed"]
    assert names(trace).count("rev-parse") == 1 and len(ref_reads(trace)) == 1
    pushed = git("rev-parse", BRANCH, cwd=remote)
    trace = traced(monkeypatch, tmp_path)
    assert run(repo, laws, capsys=capsys)["git"]["action"] == "unchanged"
    assert names(trace).count("rev-parse") == 1 and len(ref_reads(trace)) == 1
    assert git("rev-parse", tracking, cwd=repo) == pushed

    git("branch", "-D", BRANCH, cwd=remote)  # someone deleted it: the run forgets it, makes it anew
    report = run(repo, laws, capsys=capsys)
    assert report["git"]["action"] == "created"
    assert git("rev-parse", BRANCH, cwd=remote) == git("rev-parse", tracking, cwd=repo)
    git("branch", "-D", BRANCH, cwd=remote)
    laws.write_text(  # nothing to change: nothing pushed, the stale ref is gone
        "laws:\n  - name: Title\n    description: Kept.\n    rules:\n"
        "      - line-exists: {name: title, path: README.md, text: '# widgets'}\n"
    )
    report = run(repo, laws, capsys=capsys)
    assert report["exit"] == ExitCode.OK and report["git"]["action"] == "none"
    assert git("for-each-ref", tracking, cwd=repo) == ""
    assert git("branch", "--list", BRANCH, cwd=remote) == ""


@pytest.mark.parametrize("recorded", [True, False])
def test_the_remotes_default_branch_is_read_with_the_refs(
    tmp_path: Path,
    laws: Path,
    recorded: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = init_repo(tmp_path / "widgets")
    bare_remote(tmp_path / "remote.git", repo)  # records origin/HEAD -> main
    if not recorded:
        git("remote", "set-head", "origin", "--delete", cwd=repo)
    git("checkout", "-q", "-b", "topic", cwd=repo)
    (repo / "app.py").write_text("DEBUG = 1\n")
    git("commit", "-qam", "topic work", cwd=repo)
    git("push", "-q", "origin", "topic", cwd=repo)
    base = "main" if recorded else "topic"
    for mode in ("--dry-run", "--no-push"):
        trace = traced(monkeypatch, tmp_path)
        report = run(repo, laws, mode, capsys=capsys)
        assert report["exit"] == ExitCode.OK and report["git"]["base"] == base
        assert report["git"]["base_sha"] == git("rev-parse", base, cwd=repo)
        assert "symbolic-ref" not in names(trace) or not recorded
        assert len(ref_reads(trace)) == 1
    assert git("show", f"{BRANCH}:app.py", cwd=repo) == "DEBUG = False"
    assert git("rev-parse", f"{BRANCH}~2", cwd=repo) == git("rev-parse", base, cwd=repo)


def test_one_git_config_tells_the_remote_and_how_commits_are_made(
    tmp_path: Path, laws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "widgets")
    bare_remote(tmp_path / "remote.git", repo)
    trace = traced(monkeypatch, tmp_path)
    report = run(repo, laws, "--no-push", capsys=capsys)
    assert report["git"]["action"] == "created"
    assert report["git"]["url"] == str(tmp_path / "remote.git")
    ran = names(trace)
    assert ran.count("config") == 1 and "remote" not in ran


@pytest.mark.parametrize(
    "setting",
    [
        ["url.https://example.invalid/acme/.insteadOf", "gh:"],  # rewritten as git does
        ["url.https://example.invalid/.insteadOf", "gh:"],  # the longest prefix wins
        ["url.https://other.invalid/.insteadOf", "gh:"],  # the first base among equals
        ["remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"],  # a remote without url
        ["includeIf.gitdir:/nowhere/.path", "/nowhere/config"],
    ],
)
def test_the_remote_url_is_as_git_tells_it(
    tmp_path: Path, laws: Path, setting: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "widgets")
    if setting[0] != "remote.origin.fetch":
        git("remote", "add", "origin", "gh:acme/widgets.git", cwd=repo)
    git("config", "--add", *setting, cwd=repo)
    if "example.invalid/.insteadOf" in setting[0]:
        git("config", "--add", "url.https://example.invalid/acme/.insteadOf", "gh:acme", cwd=repo)
    if "other.invalid" in setting[0]:
        git("config", "--add", "url.https://example.invalid/.insteadOf", "gh:", cwd=repo)
    expected = git("remote", "get-url", "origin", cwd=repo, check=False) or None
    report = run(repo, laws, "--dry-run", capsys=capsys)
    assert report["exit"] == ExitCode.OK
    assert report["git"].get("url") == expected


@pytest.mark.parametrize("where", ["repository", "includeIf"])
def test_commit_settings_read_with_the_remote_still_apply(
    tmp_path: Path, laws: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "widgets")
    bare_remote(tmp_path / "remote.git", repo)
    settings = tmp_path / "signing.gitconfig"
    settings.write_text("[commit]\n\tgpgSign\n[gpg]\n\tprogram = false\n")
    if where == "repository":
        git("config", "include.path", str(settings), cwd=repo)
    else:
        git("config", f"includeIf.gitdir:{repo}/.path", str(settings), cwd=repo)
    report = run(repo, laws, "--no-push", capsys=capsys)
    errors = [law.get("error") or "" for law in report["laws"]]
    assert all("its commit was refused" in error for error in errors), errors
    assert git("branch", "--list", BRANCH, cwd=repo) == ""


# -- repositories git refuses: files edited in place, as before --------------------------------


def refused(tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = init_repo(tmp_path / case)
    if case == "dubious-owner":  # git's own stand-in for a repository someone else owns
        monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    elif case == "empty-git-folder":
        shutil.rmtree(repo / ".git")
        (repo / ".git").mkdir()
    elif case == "dangling-git-file":
        shutil.rmtree(repo / ".git")
        (repo / ".git").write_text("gitdir: /nonexistent/hammurabi\n")
    elif case == "garbled-head":
        (repo / ".git" / "HEAD").write_text("garbage\n")
    return repo


@pytest.mark.parametrize(
    "case", ["dubious-owner", "empty-git-folder", "dangling-git-file", "garbled-head"]
)
def test_a_repository_git_refuses_is_a_plain_folder(
    tmp_path: Path,
    laws: Path,
    case: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = refused(tmp_path, case, monkeypatch)
    report = run(repo, laws, "--dry-run", capsys=capsys)
    assert report["exit"] == ExitCode.OK
    assert report["git"] == {"mode": "files", "reason": "not in a git work tree"}
    assert (repo / "app.py").read_text() == "DEBUG = True\n"


# -- a dry run's copy of the tree -----------------------------------------------------------


def files_of(tree: Path) -> dict[str, tuple[int, bytes]]:
    """Each file and link under ``tree`` (``.git`` aside): its mode and content."""
    import os

    found = {}
    for path in sorted(tree.rglob("*")):
        rel = path.relative_to(tree).as_posix()
        if rel == ".git" or (path.is_dir() and not path.is_symlink()):
            continue
        info = path.lstat()
        data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        found[rel] = (info.st_mode, data)
    return found


def test_a_dry_runs_copy_is_one_git_process_and_the_commits_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hammurabi.integrations.git import open_repository

    repo = init_repo(
        tmp_path / "widgets",
        {
            "app.py": "DEBUG = True\n",
            "deep/er/run.sh": "echo hi\n",
            ".gitattributes": "*.txt text eol=crlf\n",
            "notes.txt": "one\ntwo\n",
        },
    )
    (repo / "deep" / "er" / "run.sh").chmod(0o755)
    (repo / "latest").symlink_to("app.py")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "more", cwd=repo)
    expected = tmp_path / "expected"  # what git checks out
    git("worktree", "add", "-q", "--detach", str(expected), "HEAD", cwd=repo)
    git("sparse-checkout", "set", "--no-cone", "/app.py", cwd=repo)  # the user's own
    (repo / "app.py").write_text("dirty\n")
    before = (git("status", "--porcelain", cwd=repo), (repo / ".git" / "index").read_bytes())

    trace = traced(monkeypatch, tmp_path)
    with open_repository(repo) as opened:
        assert opened is not None
        opened.export(opened.head or "", tmp_path / "out" / "tree")
    assert len(commands(trace)) == 2  # rev-parse (opening), and the copy
    assert files_of(tmp_path / "out" / "tree") == files_of(expected)
    assert files_of(expected)["notes.txt"][1] == b"one\r\ntwo\r\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["tree"]
    assert (git("status", "--porcelain", cwd=repo), (repo / ".git" / "index").read_bytes()) == (
        before
    )
