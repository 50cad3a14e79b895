"""Real git repositories for the git, forge and workflow tests (and the workflow benchmark).

Every git process started by these helpers or by Hammurabi runs with an isolated
configuration (no global or system config) and a fixed identity, so the tests behave the
same on every machine.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

#: Environment for an isolated, deterministic git.
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_AUTHOR_NAME": "Test Person",
    "GIT_AUTHOR_EMAIL": "person@example.invalid",
    "GIT_COMMITTER_NAME": "Test Person",
    "GIT_COMMITTER_EMAIL": "person@example.invalid",
}

LAWS = """\
laws:
  - name: Ignore caches
    description: Git ignores bytecode caches.
    rules:
      - line-exists: {name: pycache ignored, path: .gitignore, text: __pycache__/, create: true}
  - name: Debug off
    description: No DEBUG in production.
    rules:
      - line-replaced: {name: debug off, path: app.py, target: '^DEBUG = .*', text: DEBUG = False}
"""

FILES = {"app.py": "DEBUG = True\n", "README.md": "# widgets\n"}


def isolate_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give every git process in this test the isolated environment."""
    for key in list(os.environ):
        if key.startswith("GIT_") or key in ("GITHUB_TOKEN", "GITHUB_API_URL"):
            monkeypatch.delenv(key, raising=False)
        if key.startswith("HAMMURABI_"):
            monkeypatch.delenv(key, raising=False)
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


def git(
    *args: str,
    cwd: Path | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    strip: bool = True,
) -> str:
    """Run git (isolated config, fixed identity) and return its stdout (stripped by default)."""
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip() if strip else proc.stdout


def write(root: Path, files: Mapping[str, str]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def init_repo(path: Path, files: Mapping[str, str] = FILES, branch: str = "main") -> Path:
    """A repository at ``path`` with one commit holding ``files``."""
    path.mkdir(parents=True, exist_ok=True)
    git("init", "--quiet", "--initial-branch", branch, str(path))
    write(path, files)
    git("add", "--all", cwd=path)
    git("commit", "--quiet", "--message", "Initial commit", cwd=path)
    return path


def bare_remote(path: Path, source: Path) -> Path:
    """A bare repository at ``path`` holding ``source``'s branches, added as its origin."""
    git("init", "--quiet", "--bare", "--initial-branch", "main", str(path))
    git("remote", "add", "origin", str(path), cwd=source)
    git("push", "--quiet", "origin", "main", cwd=source)
    git("remote", "set-head", "origin", "main", cwd=source)
    return path


def commit_on(repo: Path, branch: str, files: Mapping[str, str], message: str) -> str:
    """Commit ``files`` on ``branch`` of a (possibly bare) repository, as a person would."""
    work = repo.parent / f".{repo.name}-{branch.replace('/', '-')}-work"
    if work.exists():
        subprocess.run(["rm", "-rf", str(work)], check=True)
    git("clone", "--quiet", "--branch", branch, str(repo), str(work))
    write(work, files)
    git("add", "--all", cwd=work)
    git("commit", "--quiet", "--message", message, cwd=work)
    git("push", "--quiet", "origin", branch, cwd=work)
    return git("rev-parse", "HEAD", cwd=work)


def refs(repo: Path) -> str:
    """Every ref of a repository with its target, for before/after comparisons."""
    return git("for-each-ref", "--format=%(refname) %(objectname)", cwd=repo)


def uncommitted(tree: Path) -> str:
    """What a work tree holds that its ``HEAD`` does not (``git status --porcelain
    --ignored``), the files a partial work tree leaves out aside: the kept work tree of a
    run whose laws name their paths indexes only those, so git lists the rest as deleted,
    though no file of them is there."""
    lines = git("status", "--porcelain", "--ignored", cwd=tree).splitlines()
    return "\n".join(
        line for line in lines if not (line.startswith("D  ") and not (tree / line[3:]).exists())
    )
