"""Read and write the stand-in's bare repositories with the git CLI (the only module that does)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ZERO_SHA = "0" * 40
IDENTITY = {
    "GIT_AUTHOR_NAME": "GitHub Stand-in",
    "GIT_AUTHOR_EMAIL": "standin@example.invalid",
    "GIT_COMMITTER_NAME": "GitHub Stand-in",
    "GIT_COMMITTER_EMAIL": "standin@example.invalid",
}


def clean_env(**extra: str) -> dict[str, str]:
    """Return an environment without the caller's GIT_* variables, global or system config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0")
    env.update(extra)
    return env


class GitError(RuntimeError):
    """A git command failed."""


@dataclass(frozen=True)
class CommitInfo:
    """The facts about one commit that the REST API shows."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_date: str
    committer_name: str
    committer_email: str
    committer_date: str
    message: str


class BareRepo:
    """One bare repository on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(
        self, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        """Run git in this repository and return its stripped stdout."""
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            cwd=self.path,  # never the process's working directory: a run may chdir
            input=input,
            capture_output=True,
            env=clean_env(**IDENTITY, **(env or {})),
            check=False,
        )
        if proc.returncode != 0:
            cmd = shlex.join(args)
            raise GitError(f"git {cmd} failed: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout.decode().strip()

    def init(self, default_branch: str) -> None:
        """Create the bare repository, served read/write over smart HTTP."""
        self.path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--bare", f"--initial-branch={default_branch}")
        self.git("config", "http.receivepack", "true")
        self.git("config", "receive.advertisePushOptions", "true")
        self.git("config", "uploadpack.allowFilter", "true")  # partial clones, as GitHub

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        """Return ``{refname: sha}`` under ``prefix``, read live from packed and loose refs."""
        found: dict[str, str] = {}
        packed = self.path / "packed-refs"
        if packed.exists():
            for line in packed.read_text().splitlines():
                sha, _, name = line.partition(" ")
                if name.startswith(prefix) and not line.startswith(("#", "^")):
                    found[name] = sha
        skip = len(str(self.path)) + 1
        for folder, _dirs, names in os.walk(self.path / "refs"):
            base = folder[skip:].replace(os.sep, "/")
            if not (f"{base}/".startswith(prefix) or prefix.startswith(f"{base}/")):
                continue
            for leaf in names:
                name = f"{base}/{leaf}"
                if not name.startswith(prefix) or name.endswith(".lock"):
                    continue
                try:
                    with open(f"{folder}/{leaf}") as handle:
                        content = handle.read().strip()
                except FileNotFoundError:
                    continue  # deleted while we looked
                if len(content) == 40:
                    found[name] = content
        return found

    def branches(self) -> dict[str, str]:
        """Return every branch name with the sha of its tip."""
        return {name[len("refs/heads/") :]: sha for name, sha in self.refs("refs/heads/").items()}

    def tip(self, branch: str) -> str | None:
        """Return the sha of a branch tip, or None when the branch does not exist."""
        return self.branches().get(branch)

    def resolve(self, rev: str) -> str | None:
        """Return the commit sha a revision names, or None."""
        try:
            return self.git(
                "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
            )
        except GitError:
            return None

    def update_ref(self, ref: str, sha: str, old: str | None = None) -> None:
        """Point a ref at a commit (optionally only if it still points at ``old``)."""
        self.git("update-ref", ref, sha, *([old] if old else []))

    def delete_ref(self, ref: str) -> None:
        """Delete a ref."""
        self.git("update-ref", "-d", ref)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Tell whether ``ancestor`` is reachable from ``descendant``."""
        try:
            self.git("merge-base", "--is-ancestor", ancestor, descendant)
        except GitError:
            return False
        return True

    def commits_between(self, base: str, head: str) -> list[str]:
        """Return the commits on ``head`` that are not on ``base``, oldest first."""
        out = self.git("rev-list", "--reverse", f"{base}..{head}")
        return out.split()

    def changed_files(self, base: str, head: str) -> list[tuple[str, str, int, int]]:
        """Return (status letter, path, additions, deletions) per file changed since the fork."""
        names = self.git("diff", "--name-status", "--no-renames", f"{base}...{head}")
        counts = self.git("diff", "--numstat", "--no-renames", f"{base}...{head}")
        numbers = {}
        for line in counts.splitlines():
            added, deleted, path = line.split("\t", 2)
            numbers[path] = (
                int(added) if added != "-" else 0,
                int(deleted) if deleted != "-" else 0,
            )
        files = []
        for line in names.splitlines():
            letter, path = line.split("\t", 1)
            files.append((letter, path, *numbers.get(path, (0, 0))))
        return files

    def commit_info(self, sha: str) -> CommitInfo:
        """Return author, committer, parents and message of a commit."""
        fmt = "%H%n%T%n%P%n%an%n%ae%n%aI%n%cn%n%ce%n%cI%n%B"
        out = self.git("show", "-s", f"--format={fmt}", sha)
        lines = out.split("\n")
        return CommitInfo(
            sha=lines[0],
            tree=lines[1],
            parents=tuple(lines[2].split()),
            author_name=lines[3],
            author_email=lines[4],
            author_date=lines[5],
            committer_name=lines[6],
            committer_email=lines[7],
            committer_date=lines[8],
            message="\n".join(lines[9:]).strip(),
        )

    def commit_files(
        self,
        branch: str,
        files: Mapping[str, str | bytes | None],
        message: str,
        parent: str | None = None,
    ) -> str:
        """Commit files (None deletes one) on top of ``parent`` and point ``branch`` at it."""
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if parent:
                self.git("read-tree", parent, env=env)
            for path, content in files.items():
                if content is None:
                    self.git("update-index", "--force-remove", "--", path, env=env)
                    continue
                data = content.encode() if isinstance(content, str) else content
                blob = self.git("hash-object", "-w", "--stdin", input=data)
                self.git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            tree = self.git("write-tree", env=env)
        parents = ["-p", parent] if parent else []
        sha = self.git("commit-tree", tree, *parents, "-m", message)
        self.update_ref(f"refs/heads/{branch}", sha)
        return sha

    def merged_tree(self, base_sha: str, head_sha: str) -> str | None:
        """Return the tree of merging ``head_sha`` into ``base_sha``, or None on a conflict."""
        try:
            return self.git("merge-tree", "--write-tree", base_sha, head_sha).splitlines()[0]
        except GitError:
            return None

    def merge(self, base: str, head: str, message: str, method: str = "merge") -> str:
        """Merge branch ``head`` into branch ``base`` and return the new tip of ``base``.

        ``merge`` makes a merge commit, ``squash`` one commit with the merged tree, ``rebase``
        replays each commit of ``head`` onto ``base`` (authors kept). Raises GitError on a
        conflict."""
        base_sha, head_sha = self.resolve(f"refs/heads/{base}"), self.resolve(f"refs/heads/{head}")
        if base_sha is None or head_sha is None:
            raise GitError("branch not found")
        if method == "rebase":
            sha = self._replay(base_sha, head_sha)
        else:
            tree = self.merged_tree(base_sha, head_sha)
            if tree is None:
                raise GitError("merge conflict")
            parents = ["-p", base_sha] if method == "squash" else ["-p", base_sha, "-p", head_sha]
            sha = self.git("commit-tree", tree, *parents, "-m", message)
        self.update_ref(f"refs/heads/{base}", sha, base_sha)
        return sha

    def _replay(self, onto: str, head_sha: str) -> str:
        """Cherry-pick the commits of ``head_sha`` missing from ``onto`` in a scratch worktree."""
        commits = self.commits_between(onto, head_sha)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / "w"
            self.git("worktree", "add", "--quiet", "--detach", str(work), onto)

            def run(*args: str) -> str:
                proc = subprocess.run(
                    ["git", *args], cwd=work, capture_output=True, env=clean_env(**IDENTITY)
                )
                if proc.returncode != 0:
                    raise GitError(f"git {shlex.join(args)} failed in a scratch worktree")
                return proc.stdout.decode().strip()

            try:
                for sha in commits:
                    run("cherry-pick", "--allow-empty", "--keep-redundant-commits", sha)
                return run("rev-parse", "HEAD")
            finally:
                self.git("worktree", "remove", "--force", str(work))

    def merge_base_into(self, head: str, base: str, message: str) -> str:
        """Merge branch ``base`` into branch ``head`` (GitHub's "Update branch"); GitError on a
        conflict. Returns the new tip of ``head``."""
        base_sha, head_sha = self.resolve(f"refs/heads/{base}"), self.resolve(f"refs/heads/{head}")
        if base_sha is None or head_sha is None:
            raise GitError("branch not found")
        tree = self.merged_tree(head_sha, base_sha)
        if tree is None:
            raise GitError("merge conflict")
        sha = self.git("commit-tree", tree, "-p", head_sha, "-p", base_sha, "-m", message)
        self.update_ref(f"refs/heads/{head}", sha, head_sha)
        return sha

    def set_pre_receive(self, script: str | None) -> None:
        """Install (or with None remove) an executable pre-receive hook."""
        hook = self.path / "hooks" / "pre-receive"
        if script is None:
            hook.unlink(missing_ok=True)
            return
        hook.parent.mkdir(exist_ok=True)
        hook.write_text(script)
        hook.chmod(0o755)
