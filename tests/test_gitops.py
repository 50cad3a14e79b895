"""The git integration against real repositories: worktrees, commits, no hooks, signing, pushes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hammurabi.core.results import FileChange, LawResult, Outcome, RuleResult
from hammurabi.integrations import git as gitops
from hammurabi.integrations.git import Credentials, GitError, Identity, Signing
from tests.gitrepos import bare_remote, commit_on, git, init_repo, isolate_git, refs

BOT = Identity("Hammurabi", "bot@example.invalid")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "work")


@pytest.fixture
def remote(tmp_path: Path, work: Path) -> Path:
    return bare_remote(tmp_path / "remote.git", work)


def law(name: str = "Debug off", files: tuple[str, ...] = ("app.py",)) -> LawResult:
    rule = RuleResult(
        law=name,
        rule="debug off",
        rule_id="line-replaced",
        outcome=Outcome.CHANGED,
        changes=[FileChange(path, "modified") for path in files],
    )
    return LawResult(name, "No DEBUG in production.", rules=[rule])


def opened(path: Path) -> gitops.Repository:
    repo = gitops.open_repository(path)
    assert repo is not None
    return repo


def build(repo: gitops.Repository, start: str, contents: dict[str, str], run_id: str) -> str:
    """Commit ``contents`` (one commit) on ``start`` in a worktree; return the commit."""
    with repo.worktree(start) as tree:
        for name, text in contents.items():
            (tree.path / name).write_text(text)
        sha = tree.commit(gitops.law_commit_message(law(), run_id), author=BOT)
    assert sha is not None
    return sha


def test_open_only_the_top_of_a_work_tree(tmp_path: Path, work: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert gitops.open_repository(plain) is None
    (work / "sub").mkdir()
    assert gitops.open_repository(work / "sub") is None  # never commit to an enclosing repo
    with opened(work) as repo:
        assert repo.branch == "main" and repo.head == git("rev-parse", "HEAD", cwd=work)


def test_dirty_lists_changes_and_untracked_files(work: Path) -> None:
    with opened(work) as repo:
        assert repo.dirty() == []
        (work / "app.py").write_text("changed\n")
        (work / "new file.txt").write_text("x\n")
        assert sorted(repo.dirty()) == ["app.py", "new file.txt"]


def test_worktree_commits_leave_the_checkout_alone(work: Path) -> None:
    (work / "app.py").write_text("uncommitted work\n")
    before = refs(work)
    with opened(work) as repo:
        with repo.worktree(repo.head or "") as tree:
            assert tree.commit("nothing", author=BOT) is None  # nothing changed: no commit
            (tree.path / "app.py").write_text("DEBUG = False\n")
            (tree.path / "new.txt").write_text("new\n")
            sha = tree.commit(gitops.law_commit_message(law(), "run-1"), author=BOT)
            assert sha == tree.head
            worktree_path = tree.path
        assert not worktree_path.exists()
        assert git("worktree", "list", "--porcelain", cwd=work).count("worktree ") == 1
        repo.set_branch("hammurabi/laws", sha or "")
    assert (work / "app.py").read_text() == "uncommitted work\n"
    assert git("branch", "--show-current", cwd=work) == "main"
    assert refs(work) != before
    message = git("log", "-1", "--format=%an <%ae>|%cn|%B", "hammurabi/laws", cwd=work)
    assert message.startswith("Hammurabi <bot@example.invalid>|Hammurabi|Debug off\n")
    assert "Rules that changed files:\n- debug off: app.py" in message
    assert message.rstrip().endswith("Hammurabi-Run: run-1")
    files = git("show", "--name-only", "--format=", "hammurabi/laws", cwd=work).split()
    assert sorted(files) == ["app.py", "new.txt"]


def test_commits_tell_hammurabi_from_people(work: Path) -> None:
    with opened(work) as repo:
        base = repo.head or ""
        ours = build(repo, base, {"app.py": "DEBUG = False\n"}, "run-1")
        repo.set_branch("bot", ours)
    git("checkout", "--quiet", "bot", cwd=work)
    (work / "fix.txt").write_text("by hand\n")
    git("add", "fix.txt", cwd=work)
    git("commit", "--quiet", "-m", "Fix by hand", cwd=work)
    git("checkout", "--quiet", "main", cwd=work)
    with opened(work) as repo:
        commits = repo.commits(base, "bot")
    assert [(c.subject, c.hammurabi) for c in commits] == [
        ("Fix by hand", False),
        ("Debug off", True),
    ]
    assert commits[0].author == "Test Person <person@example.invalid>"


def test_equivalent_ignores_run_ids_but_not_content_or_base(work: Path) -> None:
    with opened(work) as repo:
        base = repo.head or ""
        first = build(repo, base, {"app.py": "DEBUG = False\n"}, "run-1")
        again = build(repo, base, {"app.py": "DEBUG = False\n"}, "run-2")
        other = build(repo, base, {"app.py": "DEBUG = 0\n"}, "run-3")
        assert first != again
        assert repo.equivalent(base, again, first)
        assert not repo.equivalent(base, other, first)
        moved = build(repo, first, {"README.md": "moved on\n"}, "run-4")
        rebased = build(repo, moved, {"app.py": "DEBUG = True\n"}, "run-5")
        assert not repo.equivalent(moved, rebased, first)  # built on an older base


def test_hooks_of_the_repository_never_run(work: Path) -> None:
    for name in ("pre-commit", "commit-msg"):
        hook = work / ".git" / "hooks" / name
        hook.write_text(f"#!/bin/sh\ntouch '{work.parent}/{name}-ran'\nexit 1\n")
        hook.chmod(0o755)
    with opened(work) as repo:
        sha = build(repo, repo.head or "", {"app.py": "x\n"}, "run-1")
    assert git("show", f"{sha}:app.py", cwd=work) == "x"
    assert not list(work.parent.glob("*-ran"))


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
def test_ssh_signing(tmp_path: Path, work: Path) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    with opened(work) as repo, repo.worktree(repo.head or "") as tree:
        (tree.path / "app.py").write_text("signed\n")
        sha = tree.commit("Signed\n", author=BOT, signing=Signing("ssh", str(key)))
    raw = git("cat-file", "commit", sha or "", cwd=work)
    assert "-----BEGIN SSH SIGNATURE-----" in raw
    with pytest.raises(GitError, match=r"git\.sign"):
        Signing("pgp")


def test_export_writes_no_git_state(tmp_path: Path, work: Path) -> None:
    (work / "app.py").write_text("dirty\n")
    index = work / ".git" / "index"
    before = (refs(work), index.read_bytes(), git("status", "--porcelain", cwd=work))
    with opened(work) as repo:
        repo.export(repo.head or "", tmp_path / "out" / "tree")
    assert (tmp_path / "out" / "tree" / "app.py").read_text() == "DEBUG = True\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["tree"]
    assert (refs(work), index.read_bytes(), git("status", "--porcelain", cwd=work)) == before


def test_push_with_lease_and_delete(work: Path, remote: Path) -> None:
    with opened(work) as repo:
        state = repo.query_remote("origin", ["bot"])
        assert state.default_branch == "main" and list(state.heads) == ["main"]
        base = state.heads["main"]
        first = build(repo, base, {"app.py": "one\n"}, "run-1")
        pushed = repo.push("origin", first, "bot", expected=None)
        assert (pushed.ok, pushed.action) == (True, "created")
        assert not repo.resolve("refs/hammurabi/bot")  # no ref was made for the push
        second = build(repo, base, {"app.py": "two\n"}, "run-2")
        # Someone pushed meanwhile: the lease on "bot at first" no longer holds.
        person = commit_on(remote, "bot", {"theirs.txt": "x\n"}, "Their work")
        stale = repo.push("origin", second, "bot", expected=first)
        assert not stale.ok and stale.action == "rejected" and "stale info" in stale.summary
        assert git("rev-parse", "bot", cwd=remote) == person
        # A branch that must not exist yet but does: also refused.
        assert not repo.push("origin", second, "bot", expected=None).ok
        forced = repo.push("origin", second, "bot", expected=person)
        assert (forced.ok, forced.action) == (True, "updated")
        assert git("rev-parse", "bot", cwd=remote) == second
        assert repo.push("origin", second, "bot", expected=second).action == "unchanged"
        gone = repo.delete_remote_branch("origin", "bot", expected=second)
        assert (gone.ok, gone.action) == (True, "deleted")
        assert repo.query_remote("origin", ["bot"]).heads == {"main": base}


def test_rejected_push_is_reported(work: Path, remote: Path) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'GH006: Protected branch update failed' >&2\nexit 1\n")
    hook.chmod(0o755)
    with opened(work) as repo:
        sha = build(repo, repo.head or "", {"app.py": "x\n"}, "run-1")
        result = repo.push("origin", sha, "bot", expected=None)
    assert not result.ok and result.action == "rejected"
    assert "pre-receive hook declined" in result.summary
    assert "GH006: Protected branch update failed" in result.message
    assert "bot" in result.describe()


def test_fetch_and_forget(work: Path, remote: Path) -> None:
    commit_on(remote, "main", {"new.txt": "upstream\n"}, "Upstream change")
    with opened(work) as repo:
        repo.fetch("origin", ["main"])
        assert repo.resolve("refs/remotes/origin/main") == git("rev-parse", "main", cwd=remote)
        assert repo.remote_default_branch("origin") == "main"
        repo.forget_remote_branch("origin", "main")
        assert repo.resolve("refs/remotes/origin/main") is None
        assert repo.remote_url("origin") == str(remote) and repo.remote_url("nope") is None


def test_unreachable_remote_is_a_git_error(work: Path, tmp_path: Path) -> None:
    git("remote", "add", "gone", str(tmp_path / "missing.git"), cwd=work)
    with opened(work) as repo, pytest.raises(GitError, match="ls-remote"):
        repo.query_remote("gone", [])


def test_credentials_stay_in_the_environment(tmp_path: Path) -> None:
    env = gitops.credential_env(Credentials("x-access-token", "s3cret"), base={})
    count = int(env["GIT_CONFIG_COUNT"])
    assert count == len(gitops.SAFE_CONFIG) + 3  # the safe settings, ssh, two helper entries
    assert all("s3cret" not in env[f"GIT_CONFIG_VALUE_{n}"] for n in range(count))
    assert env["HAMMURABI_GIT_PASSWORD"] == "s3cret" and env["GIT_TERMINAL_PROMPT"] == "0"
    shifted = gitops.credential_env(Credentials("u", "p"), base={"GIT_CONFIG_COUNT": "3"})
    assert shifted["GIT_CONFIG_COUNT"] == str(3 + count) and "GIT_CONFIG_KEY_3" in shifted
    assert "GIT_CONFIG_KEY_2" not in shifted
    assert "s3cret" not in repr(Credentials("x", "s3cret"))
    # The helper answers git's credential protocol with exactly those values.
    out = subprocess.run(
        ["git", "credential", "fill"],
        input="protocol=https\nhost=example.invalid\n\n",
        env={**env, "PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "username=x-access-token" in out and "password=s3cret" in out


def test_safe_url_and_scrub() -> None:
    assert gitops.safe_url("https://x-access-token:tok@github.com/o/r.git") == (
        "https://github.com/o/r.git"
    )
    assert gitops.safe_url("git@github.com:o/r.git") == "git@github.com:o/r.git"
    text = "fatal: unable to access 'https://u:tok@host/o/r.git/': tok expired"
    assert (
        gitops.scrub(text, ["tok"])
        == "fatal: unable to access 'https://host/o/r.git/': *** expired"
    )


def test_branch_names_are_checked() -> None:
    assert gitops.check_branch_name("hammurabi/laws") == "hammurabi/laws"
    with pytest.raises(GitError, match="not a valid git branch name"):
        gitops.check_branch_name("bad..name")


def test_a_kept_clone_fetches_without_a_maintenance_process_until_one_is_due(
    tmp_path: Path, work: Path, remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def maintenance_runs() -> int:
        trace = tmp_path / "trace.txt"
        trace.unlink(missing_ok=True)
        monkeypatch.setenv("GIT_TRACE", str(trace))
        try:
            repo.fetch("origin", ["main"], kept=True)
        finally:
            monkeypatch.delenv("GIT_TRACE")
        return trace.read_text().count("built-in: git maintenance run --auto")

    with opened(work) as repo:
        assert maintenance_runs() == 0
        loose = work / ".git" / "objects" / "17"
        loose.mkdir(exist_ok=True)
        for i in range(30):  # as many loose objects as git's gc.auto wants gathered
            (loose / f"{i:038x}").write_bytes(b"")
        assert maintenance_runs() == 1
        shutil.rmtree(loose)
        packs = work / ".git" / "objects" / "pack"
        for i in range(51):
            (packs / f"pack-{i:040x}.pack").write_bytes(b"")
        assert repo._maintenance_due()
