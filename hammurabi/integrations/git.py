"""Git for Hammurabi: the bot branch, one commit per law, and pushes.

This is the only module that talks to git, as plain git processes (a push's report is read
from ``git push --porcelain``). Everything going in and out is one of the small types
below.

How a run uses a repository (see :mod:`hammurabi.orchestration.branch`):

* The user's checkout is never modified: the bot branch is built in a ``git worktree``
  detached at the base commit (one kept per repository in its git dir and reset at each
  run, so a run costs what it touches), so uncommitted changes cannot be lost and the
  checkout stays on the branch it started on. Commits are built from that work tree's
  index, staging only the paths the laws changed.
* Each law that changed files becomes one commit whose message ends with a
  ``Hammurabi-Run: <run id>`` trailer; commits carrying it are Hammurabi's own, anything
  else on the bot branch was pushed by someone else and stops automatic rebuilds.
* The repository is untrusted: no git process Hammurabi starts runs its hooks
  (``core.hooksPath`` points nowhere), its fsmonitor, or the programs its ``core.*``
  settings name (``sshCommand``, ``askPass``): see :data:`SAFE_CONFIG`. Signing follows
  git config unless the settings ask otherwise.
* Credentials reach git only through environment variables of the git process (a
  credential helper given by ``GIT_CONFIG_*``), never through ``.git/config``, a remote URL
  or a command line.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from hammurabi.core.errors import HammurabiError
from hammurabi.core.records import Commit, Credentials

if TYPE_CHECKING:
    from hammurabi.core.results import FileChange, LawResult

log = logging.getLogger(__name__)

#: The trailer that marks a commit as Hammurabi's own.
TRAILER = "Hammurabi-Run"
#: Commits on the bot branch looked at before giving up (more means someone else's work).
HISTORY_LIMIT = 200
_SEP = "\x1f"
_END = "\x1e"
_RAW = "\x1d"
_SIGN_FORMATS = ("gpg", "ssh", "x509")
_HELPER = (
    '!f() { test "$1" = get || exit 0; printf "username=%s\\npassword=%s\\n" '
    '"$HAMMURABI_GIT_USERNAME" "$HAMMURABI_GIT_PASSWORD"; }; f'
)


#: Settings every git process gets (as ``GIT_CONFIG_*`` variables, above any config file),
#: so that no program the repository's configuration names runs: hooks, the fsmonitor,
#: its ssh command and askpass helper. ``GIT_SSH_COMMAND`` still chooses the ssh command.
SAFE_CONFIG = (
    ("core.hooksPath", os.devnull),
    ("core.fsmonitor", "false"),
    ("core.askPass", ""),
)


#: Git's messages in English, as the parsing here expects.
_C_LOCALE = {"LANGUAGE": "C", "LC_ALL": "C"}

#: The lock reason of a run's temporary work tree, followed by its process id and host.
_LOCK_REASON = "hammurabi run, process "
#: In ``.git/hammurabi``: the tree the reusable work tree holds and the commit its ``HEAD``
#: names, written when a run left nothing in it but its commits (deleted while a run uses it).
_TIDY = "worktree.tidy"
#: In ``.git/hammurabi``: what the last run checked out (see ``Repository._kept_sparse``).
_SPARSE_KEPT = "worktree.sparse"
#: The lock reason of the work tree kept for the runs on a repository.
_KEPT_REASON = "hammurabi: the work tree its runs reuse"
#: Git's sparse checkout, with the patterns a kept work tree's ``info/sparse-checkout``
#: holds (non-cone: whole paths), for the commands that check files out there; no look
#: for files outside the patterns (runs write only inside them), which costs a stat per
#: file of the repository.
_SPARSE = (
    "-c",
    "core.sparseCheckout=true",
    "-c",
    "core.sparseCheckoutCone=false",
    "-c",
    "sparse.expectFilesOutsideOfPatterns=true",
)
#: The patterns of a work tree holding the whole tree.
_WHOLE = "/*\n"
#: The files of each folder above a path that a sparse work tree holds too.
_KEPT_FILES = (".gitignore", ".gitattributes")
#: An index smaller than this (about a thousand files) is copied whole for a dry run.
_SMALL_INDEX = 64 * 1024


def _hostname() -> str:
    """This machine's name, as ``socket.gethostname()`` says it, without importing socket
    (a few milliseconds of every run's start-up: it builds enums of all its constants)."""
    return os.uname().nodename


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class GitError(HammurabiError):
    """A git operation failed or was refused (dirty tree, unknown branch, failed hook)."""


class Identity(NamedTuple):
    """A git author or committer."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Built(NamedTuple):
    """A commit of Hammurabi's on the branch a run rebuilds: reused when the run would
    make the very same commit (same parent, tree, people and message, the run trailer
    aside), so a run that changes nothing writes no object."""

    sha: str
    tree: str
    parent: str
    author: Identity
    committer: Identity
    message: str
    #: What it changed: path -> (mode, blob id), None for a removed path; None when a path
    #: cannot be read back exactly (git quoted it).
    changes: dict[str, tuple[str, str] | None] | None = None


class RemoteState(NamedTuple):
    """What ``git ls-remote`` said: the remote's default branch and the heads asked for."""

    default_branch: str | None
    heads: dict[str, str]


class PushResult(NamedTuple):
    """The outcome of one ref update on a remote, read from git's porcelain output."""

    ok: bool
    ref: str
    #: created, updated, deleted, unchanged or rejected.
    action: str
    #: git's summary for the ref, such as ``[remote rejected] (pre-receive hook declined)``.
    summary: str
    #: What the remote said (hook output), without the ``remote:`` prefixes.
    message: str = ""

    def describe(self) -> str:
        text = f"{self.ref}: {self.summary}"
        return f"{text}: {self.message}" if self.message else text


class _SigningFields(NamedTuple):
    mode: str = ""
    key: str = ""


class Signing(_SigningFields):
    """How to sign commits: ``""`` follows git config, ``off``, ``gpg``, ``ssh`` or ``x509``
    (refused as it is made otherwise)."""

    __slots__ = ()

    def __new__(cls, mode: str = "", key: str = "") -> Signing:
        if mode not in ("", "off", *_SIGN_FORMATS):
            raise GitError(f"git.sign must be empty, 'off', 'gpg', 'ssh' or 'x509', not {mode!r}")
        return super().__new__(cls, mode, key)


# -- helpers -------------------------------------------------------------------------------


def safe_url(url: str) -> str:
    """Return ``url`` without any user name or password, for messages and reports."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    if parts.scheme and parts.netloc and "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return url


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """Remove credentials from text git printed: URL user info and any known secret."""
    text = re.sub(r"(\w+://)[^/@\s'\"]+@", r"\1", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def credential_env(
    credentials: Credentials | None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment for a git process that must never prompt, never run a program the
    repository's configuration names (:data:`SAFE_CONFIG`), and may use ``credentials``.

    The token is handed to a one-off credential helper through the process environment
    only (``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``); other credential helpers are switched
    off for that process so the token is not stored anywhere.
    """
    env = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}
    source = os.environ if base is None else base
    try:
        count = int(source.get("GIT_CONFIG_COUNT", "0") or "0")
    except ValueError:
        count = 0
    pairs = list(SAFE_CONFIG)
    if not source.get("GIT_SSH_COMMAND") and not source.get("GIT_SSH"):
        pairs.append(("core.sshCommand", "ssh"))
    if credentials is not None:
        pairs += [("credential.helper", ""), ("credential.helper", _HELPER)]
        env["HAMMURABI_GIT_USERNAME"] = credentials.username
        env["HAMMURABI_GIT_PASSWORD"] = credentials.password
    for offset, (key, value) in enumerate(pairs):
        env[f"GIT_CONFIG_KEY_{count + offset}"] = key
        env[f"GIT_CONFIG_VALUE_{count + offset}"] = value
    env["GIT_CONFIG_COUNT"] = str(count + len(pairs))
    return env


def law_commit_message(law: LawResult, run_id: str) -> str:
    """The commit message for one law: its name, description, changed rules and the trailer."""
    lines = [_one_line(law.name), ""]
    if law.description.strip():
        lines += [law.description.strip(), ""]
    from hammurabi.core.results import Outcome

    changed = [rule for rule in law.walk() if rule.outcome is Outcome.CHANGED]
    if changed:
        lines.append("Rules that changed files:")
        for rule in changed:
            files = ", ".join(rule.files)
            lines.append(f"- {_one_line(rule.rule)}" + (f": {files}" if files else ""))
        lines.append("")
    lines.append(f"{TRAILER}: {run_id}")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _strip_trailer(message: str) -> str:
    kept = [line for line in message.splitlines() if not line.startswith(f"{TRAILER}:")]
    return "\n".join(kept).strip()


def _raw(text: str) -> dict[str, tuple[str, str] | None] | None:
    """Parse ``git log --raw`` lines: path -> (new mode, new blob), None when removed."""
    changes: dict[str, tuple[str, str] | None] = {}
    for line in text.strip("\n").splitlines():
        meta, _, path = line.partition("\t")
        fields = meta.split()
        if len(fields) != 5 or not path or path.startswith('"'):
            return None
        mode, blob, status = fields[1], fields[3], fields[4]
        changes[path] = None if status == "D" else (mode, blob)
    return changes


def expected_changes(
    changes: Sequence[FileChange], object_format: int = 40
) -> dict[str, tuple[str, str] | None] | None:
    """What a commit of ``changes`` would record (as :func:`_raw` reads it), computed
    without git; None when it cannot be told exactly (a content that was not kept)."""
    import hashlib

    digest = hashlib.sha256 if object_format == 64 else hashlib.sha1
    found: dict[str, tuple[str, str] | None] = {}
    for change in changes:
        if change.kind in ("owner", "directory-added", "directory-deleted"):
            continue  # nothing git records
        if change.kind == "deleted":
            found[change.path] = None
            continue
        data = change.after
        if data is None:
            return None
        mode = change.modes[1]
        kind = "120000" if mode is None else ("100755" if mode & 0o100 else "100644")
        blob = digest(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
        found[change.path] = (kind, blob)
    return found


def _cleanup(message: str) -> str:
    """A message as ``git commit --cleanup=whitespace`` stores it (without the newline)."""
    lines = [line.rstrip() for line in message.strip().splitlines()]
    kept = [line for n, line in enumerate(lines) if line or (n and lines[n - 1])]
    return "\n".join(kept)


#: Branch names git surely accepts (``git check-ref-format --branch`` decides the others):
#: components of letters, digits, ``.``, ``_`` and ``-``, none starting with ``.`` or ``-``.
_PLAIN_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*")


def _plain_branch(name: str) -> bool:
    if not _PLAIN_BRANCH.fullmatch(name) or ".." in name or name == "HEAD":
        return False
    return not any(part.endswith((".", ".lock")) for part in name.split("/"))


@functools.lru_cache(maxsize=64)
def check_branch_name(name: str) -> str:
    """Return ``name`` if git accepts it as a branch name, else raise GitError (a plain
    name is told without starting git; others are asked once per name)."""
    if _plain_branch(name):
        return name
    status, _, _ = _git_process(["check-ref-format", "--branch", name])
    if status != 0:
        raise GitError(f"{name!r} is not a valid git branch name")
    return name


def _git_process(
    args: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> tuple[int, str, str]:
    """Run git (no prompt, no program the repository names, English messages); return its
    exit status, output and error output, one trailing newline stripped."""
    import subprocess

    done = subprocess.run(
        ["git", *args],
        cwd=None if cwd is None else os.fspath(cwd),
        env={**os.environ, **_C_LOCALE, **credential_env(None), **(env or {})},
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        check=False,
    )
    return done.returncode, done.stdout.removesuffix("\n"), done.stderr.removesuffix("\n")


# -- repositories ----------------------------------------------------------------------------


class Location(NamedTuple):
    """Where git found the work tree holding a folder, from one ``rev-parse``: its top
    level, the commit checked out (None: no commit yet) and the branch (None: detached or
    not told), so that opening the repository right after asks git nothing more."""

    top: Path
    head: str | None = None
    branch: str | None = None
    #: Whether ``head`` and ``branch`` were told (rev-parse answered everything).
    told: bool = False


#: One git process tells the top level, the commit checked out and the branch.
_LOCATE = ["rev-parse", "--show-toplevel", "HEAD^{commit}", "--symbolic-full-name", "HEAD", "--"]


def locate(path: str | os.PathLike[str]) -> Location | None:
    """The work tree holding ``path``, as git finds it (None: in none, or git refuses it,
    such as a repository someone else owns that ``safe.directory`` does not list)."""
    try:
        status, out, _ = _git_process(_LOCATE, cwd=path)
    except OSError:  # no git on this machine
        return None
    lines = out.splitlines()
    if not lines or not lines[0].strip():
        return None
    top = Path(lines[0])
    if status != 0 or len(lines) < 3:  # no commit yet: the top level alone
        return Location(top)
    ref = lines[2]
    branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
    return Location(top, lines[1], branch, told=ref == "HEAD" or branch is not None)


def open_repository(
    path: str | os.PathLike[str], location: Location | None = None
) -> Repository | None:
    """Open the git repository whose work tree top level is ``path``, or return None.

    A folder inside some other repository is not opened: Hammurabi then edits files only,
    rather than committing to a repository it was not pointed at. ``location`` is what
    :func:`locate` just told of ``path`` (then git is not asked again).
    """
    root = Path(path).resolve()
    if not (root / ".git").exists():
        return None
    if location is None or location.top.resolve() != root:
        location = locate(root)
    if location is None or location.top.resolve() != root:
        return None
    repo = Repository(root)
    if location.told:
        repo._opened["head"] = location.head
        repo._opened["branch"] = location.branch
    elif location.head is not None:
        repo._opened["head"] = location.head
    return repo


def clone(
    url: str,
    dest: str | os.PathLike[str],
    *,
    credentials: Credentials | None = None,
    branch: str | None = None,
    depth: int | None = None,
    kept: bool = False,
) -> Repository:
    """Clone ``url`` into ``dest`` (credentials from the environment only) and open it.

    ``kept`` makes a clone for Hammurabi's own use (the fleet's cache): partial (no blob is
    downloaded until a work tree needs it, where the remote supports it) and with no
    checkout (runs build in a work tree of their own).
    """
    args = ["git", "clone", "--quiet", "--no-tags"]
    if branch:
        args += ["--branch", branch]
    if depth:
        args += ["--depth", str(depth)]
    if kept:
        args += ["--no-checkout", "--filter=blob:none"]
    target = Path(dest).resolve()  # git runs from its parent folder (see below)
    args += ["--", url, os.fspath(target)]
    secrets = [credentials.password] if credentials else []
    parent = target.parent
    # From the destination's folder, never from the process's working directory: while
    # laws run in another thread (fleet runs), that is a work tree about to be removed.
    where = os.fspath(parent) if parent.is_dir() else None
    status, _, err = _git_process(args[1:], cwd=where, env=credential_env(credentials))
    if status != 0:
        text = scrub(err.strip() or f"exit code {status}", secrets)
        raise GitError(f"cannot clone {safe_url(url)}: {text}")
    repo = open_repository(dest)
    assert repo is not None
    repo._fetched_with = credentials
    return repo


class Repository:
    """One local repository with a work tree; git runs as plain processes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._secrets: list[str] = []
        #: The credentials of the last fetch or clone, which fetches of missing file
        #: contents (a partial clone) use too.
        self._fetched_with: Credentials | None = None
        #: ``head`` and ``branch`` as read when the repository was opened, each answered
        #: once from here (the first read of a run), then from git again.
        self._opened: dict[str, str | None] = {}
        #: The ``git fast-import`` making a run's commits (see :class:`_Importer`).
        self._importer: _Importer | None = None
        #: Remote URLs and default branches as read (a fleet's clone is opened once).
        self._urls: dict[str, str | None] = {}
        self._defaults: dict[str, str | None] = {}
        #: The settings deciding how commits are made, when read with the remote's URL.
        self._commit_settings: dict[str, str] | None = None
        #: What ``git log`` told between two commits (see :meth:`_log`).
        self._logs: dict[tuple[str, str, int], list[_Logged]] = {}

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the run's fast-import, if one is open (its commits are then written)."""
        self._end_import()

    # -- running git ---------------------------------------------------------------------

    def _git(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        check: bool = True,
        what: str | None = None,
    ) -> str:
        status, out, err = self._run(args, env=env, cwd=cwd)
        if status != 0 and check:
            text = scrub(err.strip() or out.strip() or f"exit code {status}", self._secrets)
            raise GitError(f"git {what or args[0]} failed: {text}")
        return out

    def _run(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stdin: str | None = None,
    ) -> tuple[int, str, str]:
        if args[0] not in _BESIDE_IMPORT:
            self._end_import()  # what it made is seen by other git processes once it ends
        return _git_process(args, cwd=cwd or self.root, env=env, stdin=stdin)

    def _end_import(self) -> None:
        if self._importer is not None:
            importer, self._importer = self._importer, None
            importer.finish()

    def _fetching_env(self) -> dict[str, str]:
        """Environment for a git process that may fetch missing file contents (a partial
        clone's checkout does): the credentials of the last fetch or clone."""
        return self._with_credentials(self._fetched_with)

    def _with_credentials(self, credentials: Credentials | None) -> dict[str, str]:
        if credentials is not None and credentials.password not in self._secrets:
            self._secrets.append(credentials.password)
        return credential_env(credentials)

    # -- reading -------------------------------------------------------------------------

    @property
    def branch(self) -> str | None:
        """The branch checked out in the work tree, or None when HEAD is detached."""
        if "branch" in self._opened:
            return self._opened.pop("branch")
        out = self._git("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return out.strip() or None

    @property
    def head(self) -> str | None:
        """The commit checked out, or None in a repository without commits."""
        if "head" in self._opened:
            return self._opened.pop("head")
        return self.resolve("HEAD")

    def resolve(self, ref: str) -> str | None:
        """Return the commit ``ref`` names, or None if there is none."""
        out = self._git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return out.strip() or None

    def refs(self, names: Sequence[str]) -> dict[str, str]:
        """The commits the refs ``names`` (full names) point at; missing ones left out."""
        return self.refs_checked_out(names)[0]

    def refs_checked_out(self, names: Sequence[str]) -> tuple[dict[str, str], set[str]]:
        """What :meth:`refs` tells, and which of ``names`` are checked out in a work tree of
        this repository (one git process for both)."""
        found, busy, _ = self._read_refs(names)
        return found, busy

    def default_and_refs(
        self, remote: str, names: Sequence[str]
    ) -> tuple[str | None, dict[str, str], set[str]]:
        """:meth:`remote_default_branch` and :meth:`refs_checked_out` of ``names`` in one
        git process; the default branch's remote-tracking ref is among the refs told."""
        head, prefix = f"refs/remotes/{remote}/HEAD", f"refs/remotes/{remote}/"
        found, busy, targets = self._read_refs([head, *names])
        if head not in found:  # none recorded (or a broken link): as git tells it
            return self.remote_default_branch(remote), found, busy
        sha, target = found.pop(head), targets.get(head, "")
        busy.discard(head)
        default = target[len(prefix) :] if target.startswith(prefix) else None
        self._defaults[remote] = default
        if default:
            found[prefix + default] = sha  # the commit the link leads to
        return default, found, busy

    def _read_refs(self, names: Sequence[str]) -> tuple[dict[str, str], set[str], dict[str, str]]:
        """The commits ``names`` point at, those checked out in a work tree, and where the
        symbolic ones among them lead."""
        fields = ["%(refname)", "%(objectname)", "%(worktreepath)", "%(symref)"]
        out = self._git("for-each-ref", f"--format={_SEP.join(fields)}", "--", *names)
        found: dict[str, str] = {}
        busy: set[str] = set()
        targets: dict[str, str] = {}
        for line in out.splitlines():
            ref, sha, where, target = [*line.split(_SEP), "", "", ""][:4]
            found[ref] = sha
            if where:
                busy.add(ref)
            if target:
                targets[ref] = target
        wanted = set(names)
        ordered = {name: found[name] for name in names if name in found}
        return ordered, busy & wanted, targets

    def dirty(self) -> list[str]:
        """Paths with uncommitted changes, untracked files included (ignored ones not)."""
        out = self._git("status", "--porcelain=v1", "-z", "--untracked-files=normal")
        entries = [entry for entry in out.split("\0") if entry]
        paths: list[str] = []
        skip = False
        for entry in entries:
            if skip:  # the source path of a rename
                skip = False
                continue
            code, path = entry[:2], entry[3:]
            paths.append(path)
            skip = "R" in code or "C" in code
        return paths

    def is_shallow(self) -> bool:
        return self._git("rev-parse", "--is-shallow-repository").strip() == "true"

    def remote_url(self, remote: str) -> str | None:
        """The fetch URL of ``remote``, or None if there is no such remote.

        The URL may contain credentials someone put there; show it only via safe_url().
        Read once per repository object (nothing here changes it).
        """
        if remote in self._urls:
            return self._urls[remote]
        told, url = self._read_config(remote)
        if told:
            self._urls[remote] = url
            return url
        status, out, err = self._run(["remote", "get-url", remote])
        if status == 2 and "no such remote" in err.lower():
            url = None
        elif status != 0:
            raise GitError(f"git remote failed: {scrub(err.strip() or out.strip())}")
        else:
            url = out.strip() or None
        self._urls[remote] = url
        return url

    def _read_config(self, remote: str) -> tuple[bool, str | None]:
        """One ``git config`` for the URL of ``remote`` and the settings deciding how commits
        are made (kept for the work tree, see :meth:`Worktree._config`): whether it told
        the URL (not for a remote set up without one, or a setting git would refuse), and
        the URL, rewritten by ``url.<base>.insteadOf`` as git rewrites it."""
        if not _PLAIN_REMOTE.fullmatch(remote):
            return False, None
        rules = r"url\..*\.insteadof|includeif\..*|extensions\.worktreeconfig"
        keys = rf"^(remote\.{remote}\..*|{rules}|{_COMMIT_CONFIG[2:-2]})$"
        status, out, _ = self._run(["config", "-z", "--get-regexp", keys])
        if status not in (0, 1):  # 1: none set
            return False, None
        records = [record.partition("\n") for record in out.split("\0") if record]
        found = [(key, value if sep else None) for key, sep, value in records]
        names = {key for key, _ in found}
        if not any(key.startswith("includeif.") for key in names) and (
            "extensions.worktreeconfig" not in names
        ):  # the kept work tree reads the same settings
            self._commit_settings = {
                key: _git_bool(value) if key in _BOOLEAN_KEYS else value or ""
                for key, value in found
                if re.fullmatch(_COMMIT_CONFIG, key)
            }
        urls = [value for key, value in found if key == f"remote.{remote}.url"]
        rewrites = [(key[4:-10], value) for key, value in found if key.startswith("url.")]
        if None in urls[:1] or any(value is None for _, value in rewrites):
            return False, None
        if urls:
            return True, _rewritten(urls[0] or "", rewrites) or None
        home = self.root / ".git"
        legacy = (home / "remotes" / remote).exists() or (home / "branches" / remote).exists()
        if legacy or any(key.startswith(f"remote.{remote}.") for key in names):
            return False, None
        return True, None

    def checked_out_branches(self) -> set[str]:
        """Branches checked out in this repository's work trees."""
        out = self._git("worktree", "list", "--porcelain")
        return {
            line.split(" ", 1)[1].removeprefix("refs/heads/")
            for line in out.splitlines()
            if line.startswith("branch ")
        }

    def remote_default_branch(self, remote: str) -> str | None:
        """The default branch recorded locally for ``remote`` (``refs/remotes/R/HEAD``),
        read once per repository object (fetches leave it alone)."""
        if remote not in self._defaults:
            out = self._git("symbolic-ref", "--quiet", f"refs/remotes/{remote}/HEAD", check=False)
            ref, prefix = out.strip(), f"refs/remotes/{remote}/"
            self._defaults[remote] = ref[len(prefix) :] if ref.startswith(prefix) else None
        return self._defaults[remote]

    def commits(self, base: str, tip: str, *, limit: int = HISTORY_LIMIT) -> list[Commit]:
        """Commits reachable from ``tip`` but not from ``base``, newest first."""
        return [logged.commit for logged in self._log(base, tip, limit)]

    def changed_paths(self, base: str, tip: str) -> set[str]:
        """The paths whose content differs between ``base`` and ``tip``."""
        out = self._git("diff", "--name-only", "--no-renames", "-z", base, tip, "--")
        return {path for path in out.split("\0") if path}

    def blob_ids(self, commit: str, paths: Sequence[str]) -> dict[str, str]:
        """The blob ids of ``paths`` in ``commit`` (paths it lacks are left out)."""
        if not paths:
            return {}
        out = self._git("ls-tree", "-z", commit, "--", *paths)
        found = {}
        for record in out.split("\0"):
            meta, _, path = record.partition("\t")
            if path:
                found[path] = meta.split()[2]
        return found

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        status, _, _ = self._run(["merge-base", "--is-ancestor", ancestor, descendant])
        return status == 0

    def equivalent(self, base: str, new_tip: str, old_tip: str) -> bool:
        """Tell whether ``old_tip`` holds the same commits on ``base`` as ``new_tip``.

        Same parent, same trees, authors and messages (the run trailer aside) and the same
        number of commits: pushing ``new_tip`` would change nothing anyone could see.
        """
        if new_tip == old_tip:
            return True
        if not self.is_ancestor(base, old_tip):
            return False
        return self._fingerprint(base, new_tip) == self._fingerprint(base, old_tip)

    def built(self, base: str, tip: str) -> list[Built]:
        """Hammurabi's commits from ``base`` to ``tip``, oldest first, with what each one
        changed, up to the first commit that is someone else's or a merge."""
        found: list[Built] = []
        for logged in reversed(self._log(base, tip)[:HISTORY_LIMIT]):
            if logged.built is None:
                break
            found.append(logged.built)
        return found

    def _fingerprint(self, base: str, tip: str) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for logged in reversed(self._log(base, tip)[:HISTORY_LIMIT]):
            rows.append(logged.fingerprint)
        return rows

    def _log(self, base: str, tip: str, limit: int = HISTORY_LIMIT) -> list[_Logged]:
        """The commits from ``base`` to ``tip``, newest first (``limit`` + 1 at most): one
        ``git log`` tells what :meth:`commits`, :meth:`built` and :meth:`equivalent` ask,
        kept for commit ids (what they name never changes) until the next fetch."""
        key = (base, tip, limit)
        fixed = all(_COMMIT_ID.fullmatch(name) for name in (base, tip))
        if fixed and key in self._logs:
            return self._logs[key]
        fields = ["%H", "%T", "%P", "%an", "%ae", "%cn", "%ce", "%s", _TRAILERS, "%B"]
        out = self._git(
            "log",
            "--raw",
            "--no-renames",
            "--no-abbrev",
            f"--format={_END}{_SEP.join(fields)}{_RAW}",
            f"--max-count={limit + 1}",
            tip,
            "--not",
            base,
            "--",
        )
        found = [_logged(record) for record in out.split(_END)[1:]]
        if fixed:
            self._logs[key] = found
        return found

    # -- talking to remotes --------------------------------------------------------------

    def query_remote(
        self, remote: str, branches: Sequence[str], credentials: Credentials | None = None
    ) -> RemoteState:
        """Ask ``remote`` for its default branch and the tips of ``branches`` (read only)."""
        refs = [f"refs/heads/{name}" for name in branches]
        out = self._git(
            "ls-remote",
            "--symref",
            remote,
            "HEAD",
            *refs,
            env=self._with_credentials(credentials),
            what="ls-remote",
        )
        default: str | None = None
        heads: dict[str, str] = {}
        head_sha: str | None = None
        for line in out.splitlines():
            left, _, name = line.partition("\t")
            if left.startswith("ref: ") and name == "HEAD":
                default = left[5:].removeprefix("refs/heads/")
            elif name == "HEAD":
                head_sha = left
            elif name.startswith("refs/heads/"):
                heads[name[len("refs/heads/") :]] = left
        if default is not None and head_sha is not None:
            heads.setdefault(default, head_sha)
        return RemoteState(default, heads)

    def fetch(
        self,
        remote: str,
        branches: Sequence[str],
        credentials: Credentials | None = None,
        *,
        unshallow: bool = False,
        maybe: Sequence[str] = (),
        kept: bool = False,
    ) -> None:
        """Fetch ``branches`` of ``remote`` into ``refs/remotes/<remote>/``, and those in
        ``maybe`` where the remote has them (their remote-tracking refs go where it has
        not): one round trip, no ``ls-remote`` first. In a clone Hammurabi ``kept`` (a
        fleet's cache), git's automatic maintenance runs only when it has work to do."""
        self._logs.clear()  # a shallow clone deepened tells more history
        specs = [f"+refs/heads/{b}:refs/remotes/{remote}/{b}" for b in branches]
        # A pattern matches the branch when it is there and fails nothing when it is not;
        # --prune then drops the refs of those gone (of these patterns only).
        specs += [f"+refs/heads/{b}*:refs/remotes/{remote}/{b}*" for b in maybe]
        extra = ["--unshallow"] if unshallow else []
        extra += ["--prune"] if maybe else []
        extra += ["--no-auto-maintenance"] if kept else []
        self._fetched_with = credentials
        self._git(
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            *extra,
            remote,
            *specs,
            env=self._with_credentials(credentials),
            what="fetch",
        )
        if kept and self._maintenance_due():
            self._git("maintenance", "run", "--auto", "--quiet", check=False)

    def _maintenance_due(self) -> bool:
        """Whether ``git maintenance run --auto`` may have work, by git's default limits
        (gc.auto: over 6,700 loose objects, told from one of the 256 object folders as git
        does; gc.autoPackLimit: over 50 packs), without starting git to tell."""
        objects = self.root / ".git" / "objects"
        if not objects.is_dir():
            return True
        try:
            loose = sum(1 for entry in os.scandir(objects / "17") if len(entry.name) >= 38)
        except FileNotFoundError:
            loose = 0
        try:
            packs = sum(1 for entry in os.scandir(objects / "pack") if entry.name.endswith(".pack"))
        except FileNotFoundError:
            packs = 0
        return loose > (6700 + 255) // 256 or packs > 50

    def forget_remote_branch(self, remote: str, branch: str, *, known: bool = False) -> None:
        """Drop a remote-tracking ref whose branch no longer exists on the remote (``known``:
        the caller saw the ref)."""
        ref = f"refs/remotes/{remote}/{branch}"
        if known or self.resolve(ref):
            self._git("update-ref", "-d", ref)

    def push(
        self,
        remote: str,
        tip: str,
        branch: str,
        *,
        expected: str | None,
        credentials: Credentials | None = None,
    ) -> PushResult:
        """Push ``tip`` to ``branch`` on ``remote`` if the branch still is at ``expected``.

        ``expected`` None means the branch must not exist yet (a lease on "absent"), so a
        branch someone else pushed in the meantime is never overwritten. Rejections
        (protected branches, hooks, stale leases) come back as ``ok=False``.
        """
        # The commit itself is pushed (no ref made for it: two git processes fewer).
        return self._push(remote, f"{tip}:refs/heads/{branch}", branch, expected, credentials)

    def delete_remote_branch(
        self, remote: str, branch: str, *, expected: str, credentials: Credentials | None = None
    ) -> PushResult:
        """Delete ``branch`` on ``remote`` if it still is at ``expected``."""
        return self._push(remote, f":refs/heads/{branch}", branch, expected, credentials)

    def _push(
        self,
        remote: str,
        refspec: str,
        branch: str,
        expected: str | None,
        credentials: Credentials | None,
    ) -> PushResult:
        """One ``git push --porcelain`` with a lease; its report read line by line."""
        lease = f"refs/heads/{branch}:{expected or ''}"
        status, out, err = self._run(
            ["push", "--porcelain", f"--force-with-lease={lease}", "--", remote, refspec],
            env=self._with_credentials(credentials),
        )
        said = [line.strip() for line in err.splitlines()]  # what the remote said: its hooks
        remote_lines = [
            line[len("remote:") :].strip() for line in said if line.startswith("remote:")
        ]
        message = scrub(" ".join(text for text in remote_lines if text), self._secrets)
        for line in out.splitlines():  # <flag> TAB <from>:<to> TAB <summary>
            flag, sep, rest = line.partition("\t")
            refs, _, summary = rest.partition("\t")
            if not sep or len(flag) != 1 or refs.rpartition(":")[2] != f"refs/heads/{branch}":
                continue
            summary = scrub(summary.strip(), self._secrets)
            if flag == "!":
                return PushResult(False, branch, "rejected", summary, message)
            action = {"-": "deleted", "=": "unchanged", "*": "created"}.get(flag, "updated")
            return PushResult(True, branch, action, summary, message)
        if status != 0:
            text = scrub(err.strip() or f"exit code {status}", self._secrets)
            return PushResult(False, branch, "rejected", "push failed", text)
        return PushResult(False, branch, "rejected", "no result from git push", message)

    # -- local branches --------------------------------------------------------------------

    def set_branch(self, branch: str, tip: str, *, free: bool = False) -> None:
        """Point the local ``branch`` at ``tip`` (refused if it is checked out). ``free``
        says the caller saw it checked out nowhere: then, when the run's fast-import made
        ``tip``, it moves the branch as it ends (no git process of its own)."""
        check_branch_name(branch)
        if free and self._importer is not None and self._importer.reset(branch, tip):
            return
        self._git("branch", "--force", "--no-track", branch, tip, what="branch")

    def delete_branch(self, branch: str) -> None:
        """Delete the local ``branch`` (refused if it is checked out)."""
        self._git("branch", "--delete", "--force", branch, what="branch")

    # -- building trees ----------------------------------------------------------------------

    @contextlib.contextmanager
    def worktree(
        self, start: str, *, reuse: bool = False, paths: Sequence[str] | None = None
    ) -> Iterator[Worktree]:
        """A work tree detached at ``start`` where laws run and commits are built.

        ``reuse`` keeps one work tree per repository in its git dir
        (``.git/hammurabi/worktree/<name>``), reset to ``start`` at the beginning of each
        run: only the files that differ are rewritten, so a run costs what it touches, not
        the repository's size. ``paths`` (repository-relative, a folder standing for all it
        holds) are all the run's laws can touch: the kept work tree then holds only them
        (a sparse checkout), with the folders git holds above them and their ignore and
        attribute files; None checks out the whole tree.

        A run finding it busy (another run holds its lock), or a repository whose ``.git``
        is not a folder, gets a temporary work tree instead, removed afterwards and locked
        with this process's id so that a later run can tell it was left by a killed run and
        remove it. Commits made in either stay in the repository's object database; keep
        them reachable (push, set_branch).
        """
        kept = self._reusable_worktree(start, paths=paths) if reuse else None
        if kept is not None:
            path, lock, at, partial = kept
            tree = Worktree(
                self, path, path.parent.parent, start, at=at, paths=paths if partial else None
            )
            try:
                yield tree
                tidy = tree.settle()
                if tidy:  # nothing but committed changes in it: the next run's fast path
                    (path.parent.parent / _TIDY).write_text(tidy, encoding="ascii")
            finally:
                os.close(lock)  # releases the lock
            return
        self._clean_stale_worktrees()
        scratch = Path(tempfile.mkdtemp(prefix="hammurabi-"))
        path = scratch / self.root.name
        try:
            self._git(
                "worktree",
                "add",
                "--detach",
                "--quiet",
                "--lock",
                f"--reason={_LOCK_REASON}{os.getpid()} on {_hostname()}",
                os.fspath(path),
                start,
                what="worktree add",
            )
            try:
                yield Worktree(self, path, scratch, start)
            finally:
                removed, _, _ = self._run(
                    ["worktree", "remove", "--force", "--force", os.fspath(path)]
                )
                if removed != 0:
                    shutil.rmtree(scratch, ignore_errors=True)
                    self._git("worktree", "prune", check=False)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @contextlib.contextmanager
    def dry_tree(self, start: str, paths: Sequence[str] | None = None) -> Iterator[DryTree]:
        """A tree at ``start`` for a dry run, whose changes are put back afterwards.

        The reusable work tree when runs made one (reset to ``start``, rewriting only the
        paths that differ), so a dry run costs what it touches; else (no run made one yet,
        or it is busy) a temporary copy of the tree, which registers no work tree. Either
        way the repository's refs, index and checkout are left as they were. ``paths`` as
        for :meth:`worktree`.
        """
        kept = self._reusable_worktree(start, create=False, paths=paths)
        if kept is None:
            with tempfile.TemporaryDirectory(prefix="hammurabi-dry-run-") as scratch:
                copy = Path(scratch) / self.root.name
                self.export(start, copy, paths)
                yield DryTree(self, copy, None)
            return
        path, lock, at, _ = kept
        try:
            tree = DryTree(self, path, start, at)
            yield tree
            if tree.put_back():  # the next run's fast path, as after a tidy run
                (path.parent.parent / _TIDY).write_text(f"{start} {start}", encoding="ascii")
        finally:
            os.close(lock)

    def _reusable_worktree(
        self, start: str, *, create: bool = True, paths: Sequence[str] | None = None
    ) -> tuple[Path, int, str | None, bool] | None:
        """Lock the repository's reusable work tree and reset it to ``start`` holding
        ``paths`` (creating it the first time, unless ``create`` is false); None when it is
        busy or cannot be kept here. Also the commit its ``HEAD`` names, when known."""
        try:
            import fcntl
        except ImportError:  # not POSIX
            return None
        home = self.root / ".git"
        if home.is_symlink() or not home.is_dir():
            return None
        folder = home / "hammurabi"
        if not create and not (folder / "worktree" / self.root.name / ".git").is_file():
            return None
        try:
            folder.mkdir(exist_ok=True)
            lock = os.open(folder / "worktree.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock)
            log.info("the reusable work tree is busy: using a temporary one")
            return None
        path = folder / "worktree" / self.root.name
        try:
            if self._left_by_runs(home):
                self._clean_stale_worktrees()
            sparse = self._kept_sparse(folder / _SPARSE_KEPT, start, paths)
            reset, at = self._reset_worktree(path, start, sparse)
            if not reset:
                if not create:
                    os.close(lock)
                    return None
                self._create_worktree(path, start, sparse)
                at = start
            for name in sparse.folders:  # as in a whole tree, though nothing in them is out
                (path / name).mkdir(parents=True, exist_ok=True)
        except BaseException:
            os.close(lock)
            raise
        return path, lock, at, sparse.patterns != _WHOLE

    @staticmethod
    def _left_by_runs(home: Path) -> bool:
        """Whether any temporary work tree of a run is registered (read without git)."""
        for locked in home.glob("worktrees/*/locked"):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                if locked.read_text(encoding="utf-8").startswith(_LOCK_REASON):
                    return True
        return False

    def _sparse(self, start: str, paths: Sequence[str] | None) -> _Sparse:
        """What a work tree at ``start`` holding ``paths`` checks out (see :class:`_Sparse`):
        the whole tree when ``paths`` is None, or where a path, a folder above it or
        anything in a folder named is a link or a submodule in git, or a folder above a
        path is a file (a rule would then read what lies elsewhere)."""
        if paths is None:
            return _Sparse()
        env = {"GIT_LITERAL_PATHSPECS": "1"}
        above = {
            "/".join(path.split("/")[:depth])
            for path in paths
            for depth in range(1, path.count("/") + 1)
        }
        kept = [
            f"{folder}{name}"
            for folder in ["", *(f"{f}/" for f in sorted(above))]
            for name in _KEPT_FILES
        ]
        # The folders above each path (-t), the path, and all a named folder holds (-r).
        status, out, _ = self._run(
            ["ls-tree", "-r", "-t", "-z", start, "--", *paths, *kept], env=env
        )
        if status != 0:
            return _Sparse()
        records = [record for record in out.split("\0") if record]
        kinds = dict(_tree_entry(record) for record in records)
        named = tuple(paths)
        inside = tuple(f"{path}/" for path in paths)
        for name, kind in kinds.items():
            if kind in ("120000", "160000") and (name in named or name.startswith(inside)):
                return _Sparse()
        folders: set[str] = set()
        unknown: set[str] = set()  # absent, or not a folder (-t shows folders only)
        for path in paths:
            parts = path.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if kinds.get(folder) != "040000":
                    unknown.add(folder)
                    break
                folders.add(folder)
        if unknown:  # shown now only if it is there: as a file, a link or a submodule
            _, out, _ = self._run(["ls-tree", "-z", start, "--", *sorted(unknown)], env=env)
            if out:
                return _Sparse()
        lines = ["/.gitignore", "/.gitattributes"]
        for folder in sorted(folders):
            lines += [f"/{folder}/.gitignore", f"/{folder}/.gitattributes"]
        lines += [f"/{path}" for path in paths]
        entries = [record for record in records if " tree " not in record.partition("\t")[0]]
        return _Sparse("\n".join(lines) + "\n", sorted(folders), entries)

    @staticmethod
    def _write_patterns(gitdir: Path, patterns: str) -> bool:
        """Give the work tree whose git dir is ``gitdir`` its sparse-checkout patterns;
        False when it had them already."""
        where = gitdir / "info" / "sparse-checkout"
        with contextlib.suppress(OSError, UnicodeDecodeError):
            if where.read_text(encoding="utf-8") == patterns:
                return False
        where.parent.mkdir(exist_ok=True)
        where.write_text(patterns, encoding="utf-8")
        return True

    def _kept_sparse(self, where: Path, start: str, paths: Sequence[str] | None) -> _Sparse:
        """:meth:`_sparse`, remembered in ``where`` for the next run: a run on the same
        commit with the same paths (a re-run) asks git nothing."""
        import json

        key = [start, None if paths is None else list(paths)]
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            kept = json.loads(where.read_text(encoding="utf-8"))
            if kept["key"] == key:
                return _Sparse(kept["patterns"], kept["folders"], kept["entries"])
        sparse = self._sparse(start, paths)
        data = {"key": key, **sparse._asdict()}
        with contextlib.suppress(OSError):  # we hold the work tree's lock
            where.write_text(json.dumps(data), encoding="utf-8")
        return sparse

    def _index_bytes(self) -> int:
        """The size of the checkout's index: about 70 bytes a file (0 when unknown)."""
        try:
            return (self.root / ".git" / "index").stat().st_size
        except OSError:
            return 0

    def _reset_worktree(self, path: Path, start: str, sparse: _Sparse) -> tuple[bool, str | None]:
        """Bring the kept work tree to ``start`` with nothing else in it (a killed run may
        have left edits, stray files or locks) and only what ``sparse`` checks out; False
        when it is missing or broken. Also the commit its ``HEAD`` names, when known."""
        link = path / ".git"
        if not link.is_file():
            return False, None
        try:
            gitdir = Path(link.read_text(encoding="utf-8").strip().removeprefix("gitdir:").strip())
        except (OSError, UnicodeDecodeError):
            return False, None
        if not gitdir.is_dir() or gitdir.parent.parent.resolve() != (self.root / ".git").resolve():
            return False, None
        (gitdir / "index.lock").unlink(missing_ok=True)  # ours alone: we hold the lock
        moved = self._write_patterns(gitdir, sparse.patterns)
        tidy = path.parent.parent / _TIDY
        try:
            left, _, head = tidy.read_text(encoding="ascii").strip().partition(" ")
            tidy.unlink()  # until this run ends tidily
        except (OSError, UnicodeDecodeError):
            left = head = ""
        if left == start == head and not moved:  # put back at start by the last run
            return True, head
        if sparse.patterns != _WHOLE:
            return self._fill(path, gitdir, start, sparse, head), start
        env = self._fetching_env()
        if left and not moved:
            # The last run left its files as the tree ``left`` (all committed): move to
            # ``start`` rewriting only the paths that differ between the two.
            read = [*_SPARSE, "read-tree", "-m", "-u", left, start]
            status, _, _ = self._run(read, cwd=path, env=env)
            if status == 0:  # HEAD follows in Worktree.settle
                return True, head if _COMMIT_ID.fullmatch(head) else None
        for args in ([*_SPARSE, "reset", "--quiet", "--hard", start], ["clean", "-qdffx"]):
            status, _, err = self._run(args, cwd=path, env=env)
            if status != 0:
                log.info("recreating the reusable work tree: %s", err.strip())
                return False, None
        return True, start if _COMMIT_ID.fullmatch(start) else None

    def _fill(
        self, path: Path, gitdir: Path, start: str, sparse: _Sparse, head: str | None
    ) -> bool:
        """Make the kept work tree at ``path`` hold ``sparse.entries`` of ``start`` and
        nothing else, its index only them (what git does not list there is not out, and
        stays so): each step costs what the run's paths hold, not the repository's size.
        ``head``: the commit its ``HEAD`` names ("": unknown), None for a new work tree."""
        (gitdir / "index").unlink(missing_ok=True)
        self._prefetch(start, sparse.entries)
        listed = "".join(f"{entry}\0" for entry in sparse.entries)
        steps: list[tuple[list[str], str | None]] = [
            (["update-index", "-z", "--index-info"], listed),
            (["checkout-index", "--all", "--force", "-u"], None),
        ]
        if head is not None:  # else a new work tree: nothing to clean, HEAD at start
            steps[1:1] = [(["clean", "-qdffx"], None)]  # what the last run left, or is out now
            if head != start:
                steps.append((["update-ref", "--no-deref", "HEAD", start], None))
        env = self._fetching_env()  # what the prefetch left out
        for args, stdin in steps:
            status, _, err = self._run(args, cwd=path, env=env, stdin=stdin)
            if status != 0:
                log.info("recreating the reusable work tree: %s", err.strip())
                return False
        return True

    def _prefetch(self, commit: str, entries: Sequence[str]) -> None:
        """In a partial clone, fetch the contents of ``entries`` (``ls-tree`` records of
        ``commit``) that are not here in one request, with the last fetch's credentials
        (git would fetch each one alone as it is checked out, and run maintenance after
        each)."""
        if not entries or not any((self.root / ".git" / "objects" / "pack").glob("*.promisor")):
            return
        names = [entry.partition("\t")[2] for entry in entries]
        listing = ["rev-list", "--objects", "--missing=print", "--no-walk", commit, "--", *names]
        _, out, _ = self._run(listing, env={"GIT_LITERAL_PATHSPECS": "1"})
        missing = "".join(f"{line[1:]}\n" for line in out.splitlines() if line.startswith("?"))
        if not missing:
            return
        _, remote, _ = self._run(["config", "extensions.partialClone"])
        fetch = ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-auto-maintenance"]
        fetch += ["--recurse-submodules=no", "--filter=blob:none", "--stdin", remote or "origin"]
        status, _, err = self._run(fetch, env=self._fetching_env(), stdin=missing)
        if status != 0:  # checkout-index then asks for each file itself
            log.info("fetching the files the laws name: %s", scrub(err.strip(), self._secrets))

    def _create_worktree(self, path: Path, start: str, sparse: _Sparse) -> None:
        if path.exists() or path.is_symlink():
            self._run(["worktree", "remove", "--force", "--force", os.fspath(path)])
            shutil.rmtree(path, ignore_errors=True)
        if (self.root / ".git" / "worktrees").is_dir():
            # Its folder may have been deleted by hand: a locked entry is never pruned.
            self._run(["worktree", "unlock", os.fspath(path)])
            self._git("worktree", "prune", check=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = sparse.patterns != _WHOLE
        self._git(
            "worktree",
            "add",
            "--detach",
            "--quiet",
            "--lock",
            f"--reason={_KEPT_REASON}",
            *(["--no-checkout"] if partial else []),
            os.fspath(path),
            start,
            env=self._fetching_env(),
            what="worktree add",
        )
        link = (path / ".git").read_text(encoding="utf-8").strip().removeprefix("gitdir:")
        gitdir = Path(link.strip())
        self._write_patterns(gitdir, sparse.patterns)
        if partial and not self._fill(path, gitdir, start, sparse, None):
            raise GitError("git could not check out the paths the laws name")

    def _clean_stale_worktrees(self) -> None:
        """Remove the work trees (and their temporary folders) of Hammurabi runs on this
        machine whose process is gone: a killed run cannot clean up after itself."""
        out = self._git("worktree", "list", "--porcelain", check=False)
        for block in out.split("\n\n"):
            fields = dict(line.partition(" ")[::2] for line in block.splitlines())
            path, reason = fields.get("worktree", ""), fields.get("locked", "")
            owner = re.fullmatch(rf"{re.escape(_LOCK_REASON)}(\d+) on (.*)", reason)
            if not path or owner is None or owner[2] != _hostname():
                continue
            if _alive(int(owner[1])):
                continue
            log.info("removing the work tree %s left by a killed run", path)
            self._run(["worktree", "remove", "--force", "--force", path])
            scratch = Path(path).parent
            if scratch.name.startswith("hammurabi-"):
                shutil.rmtree(scratch, ignore_errors=True)
        self._git("worktree", "prune", check=False)

    def export(self, commit: str, dest: Path, paths: Sequence[str] | None = None) -> None:
        """Write the tree of ``commit`` to ``dest`` without touching the repository: only
        ``paths`` (and the folders git holds above them) when given, as :meth:`worktree`.

        Uses a throw-away index file, so the repository's index, refs and work tree stay
        exactly as they were (this is what dry runs start from).
        """
        dest.mkdir(parents=True, exist_ok=True)
        index = dest.parent / f".{dest.name}.index"
        env = {**self._fetching_env(), "GIT_INDEX_FILE": os.fspath(index)}
        # A small tree is copied whole: that costs less than finding what to copy. A clone
        # without a checkout (a fleet's, partial: each file a download) tells no size.
        small = paths is None or 0 < self._index_bytes() < _SMALL_INDEX
        sparse = _Sparse() if small else self._sparse(commit, paths)
        prefix = f"--prefix={os.fspath(dest)}{os.sep}"
        try:
            if sparse.patterns == _WHOLE:  # one process reads the tree and writes its files
                whole = ["-c", "core.sparseCheckout=false", f"--work-tree={os.fspath(dest)}"]
                self._git(*whole, "read-tree", "--reset", "-u", commit, env=env, what="read-tree")
                return
            self._prefetch(commit, sparse.entries)
            listed = "".join(f"{entry}\0" for entry in sparse.entries)
            for args, stdin in (
                (["update-index", "-z", "--index-info"], listed),
                (["checkout-index", "--all", "--force", prefix], None),
            ):
                status, _, err = self._run(args, env=env, stdin=stdin)
                if status != 0:
                    raise GitError(f"git {args[0]} failed: {scrub(err, self._secrets)}")
            for name in sparse.folders:
                (dest / name).mkdir(parents=True, exist_ok=True)
        finally:
            index.unlink(missing_ok=True)


#: git commands run while a fast-import is open (they need none of the objects it makes).
_BESIDE_IMPORT = frozenset({"check-ignore"})
#: Dates given to git through the environment (commits are then made as before).
_DATES = ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")
#: The settings that decide whether fast-import makes the commit commit-tree would.
_COMMIT_CONFIG = (
    r"^(commit\.gpgsign|core\.(filemode|symlinks|autocrlf|attributesfile)|i18n\.commitencoding)$"
)
#: Of those, the booleans (``core.autocrlf`` may also be ``input``).
_BOOLEAN_KEYS = frozenset({"commit.gpgsign", "core.filemode", "core.symlinks", "core.autocrlf"})
#: Remote names whose config keys read literally in a regular expression.
_PLAIN_REMOTE = re.compile(r"[A-Za-z0-9_-]+")


def _rewritten(url: str, rewrites: Sequence[tuple[str, str | None]]) -> str:
    """``url`` as git rewrites it with ``url.<base>.insteadOf`` settings, given as (base,
    prefix) in config order: the longest prefix wins, the first base among equals."""
    order: dict[str, int] = {}
    for base, _ in rewrites:
        order.setdefault(base, len(order))
    best: tuple[str, str] | None = None
    for base, prefix in sorted(rewrites, key=lambda rewrite: order[rewrite[0]]):
        longer = best is None or len(prefix or "") > len(best[1])
        if prefix is not None and url.startswith(prefix) and longer:
            best = (base, prefix)
    return url if best is None else best[0] + url[len(best[1]) :]


def _git_bool(value: str | None) -> str:
    """A boolean setting as ``git config --type=bool-or-str`` shows it (None: no value,
    which git takes as true); anything else as written."""
    if value is None:
        return "true"
    word = value.strip().lower()
    if word in ("true", "yes", "on"):
        return "true"
    if word in ("false", "no", "off", ""):
        return "false"
    number = re.fullmatch(r"([-+]?\d+)([kmg]?)", word)
    if number:
        return "true" if int(number[1]) else "false"
    return value


#: What git strips from the ends of names and emails (ident.c's crud()).
_CRUD = set(" .,:;<>\"\\'")


class _Sparse(NamedTuple):
    """What a sparse work tree holds: its sparse-checkout ``patterns`` (each path named,
    and the ignore and attribute files of the folders above them), those ``folders``
    that git holds (made although nothing else in them may be checked out), and its
    ``entries``, all its index holds: the ``git ls-tree`` records of the files the patterns
    check out. The defaults: the whole tree."""

    patterns: str = _WHOLE
    folders: Sequence[str] = ()
    entries: Sequence[str] = ()


_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
#: Whether a commit message carries Hammurabi's trailer, as git reads trailers.
_TRAILERS = f"%(trailers:key={TRAILER},valueonly,separator=%x2c)"


class _Logged(NamedTuple):
    """One commit as :meth:`Repository._log` read it: who made it, the commit as
    :meth:`Repository.built` tells it (None: a merge, or not Hammurabi's), and what
    :meth:`Repository.equivalent` compares."""

    commit: Commit
    built: Built | None
    fingerprint: tuple[str, ...]


def _logged(record: str) -> _Logged:
    head, _, raw = record.partition(_RAW)
    sha, tree, parents, an, ae, cn, ce, subject, trailer, message = head.split(_SEP, 9)
    merge = " " in parents.strip()
    commit = Commit(sha, f"{an} <{ae}>", subject, bool(trailer.strip()))
    built = None
    if not merge and f"\n{TRAILER}:" in f"\n{message}":
        people = (Identity(an, ae), Identity(cn, ce))
        cleaned = _cleanup(_strip_trailer(message))
        built = Built(sha, tree, parents.strip(), *people, cleaned, _raw(raw))
    fingerprint = (tree, str(merge), an, ae, cn, ce, _strip_trailer(message))
    return _Logged(commit, built, fingerprint)


def _tree_entry(record: str) -> tuple[str, str]:
    """The path and mode of one ``git ls-tree -z`` record."""
    meta, _, name = record.partition("\t")
    return name, meta.partition(" ")[0]


def _plain_ident(who: Identity) -> bool:
    """Whether git records ``who`` exactly as written (it strips or refuses other text)."""
    for text in (who.name, who.email):
        if not text or text[0] in _CRUD or text[-1] in _CRUD:
            return False
        if any(ord(char) < 32 or char in "<>" for char in text):
            return False
    return True


class _Importer:
    """One ``git fast-import`` making a run's commits: one process for all of them instead
    of three (update-index, write-tree, commit-tree) for each. Its objects are seen by other
    git processes once it has ended (:meth:`finish`), which the repository makes it do
    before starting any other. They stay in the pack it wrote, as a fetch's would (git
    would start unpack-objects to write each of a few dozen to a file of its own; gc
    gathers packs as it gathers loose objects)."""

    def __init__(self, cwd: Path) -> None:
        import subprocess

        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()
        self._process = subprocess.Popen(
            [
                "git",
                *("-c", "fastimport.unpackLimit=1"),  # one pack, not a file per object
                *("fast-import", "--quiet", "--done", "--force", "--date-format=raw"),
            ],
            cwd=os.fspath(cwd),
            env={**os.environ, **_C_LOCALE, **credential_env(None)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
        )
        #: The marks of the commits it made (``from`` takes those by mark only).
        self._marks: dict[str, int] = {}

    def tree(self, commit: str, path: str) -> str | None:
        """The object id at ``path`` ("": the root tree) in ``commit``; None if none."""
        answer = self._ask(
            f"ls {commit} {path}\n".encode() if path else f'ls {commit} ""\n'.encode()
        )
        meta, _, _ = answer.partition("\t")
        fields = meta.split()
        return fields[2] if len(fields) == 3 else None

    def commit(
        self,
        parent: str,
        entries: list[tuple[str, str, bytes]],
        message: str,
        author: Identity,
        committer: Identity,
    ) -> tuple[str, str]:
        """Make a commit of ``entries`` on ``parent``, dated now; return it and its tree."""
        import time

        now = int(time.time())
        offset = time.localtime(now).tm_gmtoff
        zone = (
            f"{'-' if offset < 0 else '+'}{abs(offset) // 3600:02d}{abs(offset) % 3600 // 60:02d}"
        )
        mark = len(self._marks) + 1
        base = f":{self._marks[parent]}" if parent in self._marks else parent
        data = message.encode("utf-8", "surrogateescape")
        parts = [
            f"commit HEAD\nmark :{mark}\n".encode(),
            f"author {author} {now} {zone}\ncommitter {committer} {now} {zone}\n".encode(),
            b"data %d\n" % len(data),
            data,
            f"\nfrom {base}\n".encode(),
        ]
        for mode, rel, content in entries:
            path = os.fsencode(rel)
            if not mode:
                parts.append(b"D " + path + b"\n")
            else:
                parts += [b"M %s inline %s\ndata %d\n" % (mode.encode(), path, len(content))]
                parts += [content, b"\n"]
        parts.append(b"\n")
        self._send(b"".join(parts))
        sha = self._ask(f"get-mark :{mark}\n".encode()).strip()
        self._marks[sha] = mark
        tree = self.tree(f":{mark}", "")
        if tree is None:
            raise GitError("git fast-import did not tell the new commit's tree")
        return sha, tree

    def reset(self, branch: str, sha: str) -> bool:
        """Point ``branch`` at ``sha`` as the stream ends, when this import made ``sha``
        (False: it did not, and did nothing)."""
        mark = self._marks.get(sha)
        if mark is None:
            return False
        self._send(f"reset refs/heads/{branch}\nfrom :{mark}\n\n".encode())
        return True

    def rest(self, sha: str) -> None:
        """Leave the work tree's ``HEAD`` at ``sha`` as the stream ends."""
        self._send(f"reset HEAD\nfrom {sha}\n\n".encode())

    def finish(self) -> None:
        """End the stream: git writes the objects and moves the work tree's HEAD (and the
        branches :meth:`reset` names)."""
        try:
            self._send(b"done\n")
            assert self._process.stdin is not None
            self._process.stdin.close()
        except GitError:
            pass
        status = self._process.wait()
        self._process.stdout.close()  # type: ignore[union-attr]
        self._errors.seek(0)
        error = self._errors.read().decode("utf-8", "replace").strip()
        self._errors.close()
        if status != 0:
            raise GitError(f"git fast-import failed: {error or f'exit code {status}'}")

    def _send(self, data: bytes) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(data)
            self._process.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise GitError("git fast-import stopped") from None

    def _ask(self, question: bytes) -> str:
        self._send(question)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise GitError("git fast-import stopped")
        return line.decode("utf-8", "surrogateescape").rstrip("\n")


def _put_back(repository: Repository, path: Path, changes: Sequence[FileChange]) -> bool:
    """Undo ``changes`` in the work tree at ``path`` whose index holds the tree they were
    made on: the changed paths checked out from the index again, the new ones removed.
    False when that cannot be told exactly (a folder changed, or git refused)."""
    changes = [change for change in changes if change.kind != "owner"]
    if any(change.kind.startswith("directory") for change in changes):
        return False
    first: dict[str, str] = {}  # a path was new at the start if its first change added it
    for change in changes:
        first.setdefault(change.path, change.kind)
    restored = sorted(rel for rel, kind in first.items() if kind != "added")
    for rel in sorted(rel for rel, kind in first.items() if kind == "added"):
        full = path / rel
        with contextlib.suppress(FileNotFoundError):
            full.unlink()
        folder = full.parent
        while folder != path:  # the folders made for it, now empty
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent
    if restored:
        status, _, _ = repository._run(
            ["checkout-index", "--force", "-z", "--stdin"],
            cwd=path,
            stdin="".join(f"{rel}\0" for rel in restored),
        )
        if status != 0:
            return False
    return True


class DryTree:
    """Where a dry run's laws run: :attr:`path`; the reusable work tree when ``start`` is
    given (then :meth:`put_back` undoes the run's changes), else a temporary copy."""

    def __init__(
        self, repository: Repository, path: Path, start: str | None, at: str | None = None
    ) -> None:
        self.repository = repository
        self.path = path
        self._start = start
        #: The commit the work tree's ``HEAD`` names, when known.
        self._at = at
        self._changes: list[FileChange] | None = None

    def record(self, changes: Sequence[FileChange]) -> None:
        """The run's changes (the workspace's record), which :meth:`put_back` undoes."""
        self._changes = list(changes)

    def put_back(self) -> bool:
        """Bring the reusable work tree back to ``start``: the changed paths checked out
        from its index again, the new ones removed. False when that cannot be told exactly
        (the next run then resets the whole work tree)."""
        if self._start is None or self._changes is None:
            return False
        if not _put_back(self.repository, self.path, self._changes):
            return False
        if self._at != self._start:
            self.repository._git("update-ref", "--no-deref", "HEAD", self._start, cwd=self.path)
        return True


class Worktree:
    """A private work tree where laws run and each law's changes become one commit.

    Commits are built from the index (``update-index`` of the changed paths, ``write-tree``,
    ``commit-tree``): nothing scans the whole tree, and no hook, maintenance or gc runs.
    The commit built last is :attr:`head` (the work tree's ``HEAD`` follows in
    :meth:`settle`).
    """

    def __init__(
        self,
        repository: Repository,
        path: Path,
        scratch: Path,
        start: str | None = None,
        *,
        at: str | None = None,
        paths: Sequence[str] | None = None,
    ) -> None:
        self.repository = repository
        self.path = path
        self._scratch = scratch
        #: The paths a partial work tree holds (its index only their files; see
        #: ``Repository._fill``): commits made through an index then use one of their own.
        self._paths = paths
        self._index: dict[str, str] = {}
        #: The commit the work tree's ``HEAD`` names (once the run's fast-import ended),
        #: when known: :meth:`settle` then moves it only if it differs.
        self._at = at
        self._offered: list[Built] = []
        #: Where the work tree was put, when given as a commit id.
        self._start = start if start and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", start) else None
        self._head: str | None = self._start
        self._tree: str | None = None
        #: Whether the work tree holds nothing but what is committed (see ``tidy``).
        self._tidy = True
        #: Whether the index was used for a commit (then offered commits are reused only
        #: after write-tree); and the paths of commits reused without staging them.
        self._staged = False
        self._pending: set[str] = set()
        #: The changes the commits recorded, which :meth:`settle` undoes in the work tree
        #: (None once the index is used: it then no longer holds the starting tree).
        self._made: list[FileChange] | None = []
        #: git config, read once; which folders hold attributes ("": git's own files).
        self._settings: dict[str, str] | None = None
        self._attributes: dict[str, bool] | None = None

    def offer(self, built: Sequence[Built]) -> None:
        """Commits to reuse, in order, where this run would make the very same ones."""
        self._offered = list(built)

    @property
    def head(self) -> str:
        """The commit the work tree is at: the last one built, else its ``HEAD``."""
        if self._head is None:
            self._head = self.repository._git("rev-parse", "HEAD", cwd=self.path).strip()
        return self._head

    @property
    def tree(self) -> str:
        """The tree of :attr:`head` (what the index holds between commits)."""
        if self._tree is None:
            out = self.repository._git("rev-parse", f"{self.head}^{{tree}}", cwd=self.path)
            self._tree = out.strip()
        return self._tree

    def commit(
        self,
        message: str,
        *,
        author: Identity,
        committer: Identity | None = None,
        signing: Signing = Signing(),
        changes: Sequence[FileChange] | None = None,
    ) -> str | None:
        """Stage the work tree's changes and commit them; None when nothing changed.

        ``changes`` are every change made since the last commit (the workspace's record):
        only their paths are staged, so the cost does not grow with the repository; new
        files git ignores stay out, as with ``git add --all``, which stages everything
        when ``changes`` is None. An offered commit recording the very same changes (same
        parent, people and message, the run trailer aside) is reused, and while they all
        are, nothing is staged until :meth:`settle`. A refused commit (signing) raises
        GitError.
        """
        repo = self.repository
        committer = committer or author
        text = _cleanup(message)
        if changes is not None and self._offered and not self._staged:
            candidate = self._offered[0]
            same = (candidate.parent, candidate.author, candidate.committer) == (
                self.head,
                author,
                committer,
            )
            if same and candidate.message == _cleanup(_strip_trailer(text)):
                wanted = expected_changes(changes, len(candidate.tree))
                if wanted is not None and wanted == candidate.changes:
                    self._record(changes)
                    self._offered.pop(0)
                    self._pending.update(change.path for change in changes)
                    self._head, self._tree = candidate.sha, candidate.tree
                    return candidate.sha
        if changes is not None and self._importable(author, committer, signing):
            entries = self._entries(changes)
            if entries is not None and not self._has_attributes(entries):
                self._record(changes)
                return self._import(entries, changes, text, author, committer)
        if self._paths is None or changes is None:
            self._made = None  # the index is the work tree's: it no longer holds the start
        else:
            self._record(changes)
        if self._pending or (self._paths is not None and not self._index):
            # The index follows the commits reused or imported; a partial work tree's
            # commits are staged in a whole index of their own.
            if self._paths is not None:
                self._index = {"GIT_INDEX_FILE": os.fspath(self._scratch / "worktree.index")}
            env = self._index
            repo._git("read-tree", "--reset", self.tree, cwd=self.path, env=env)
            self._pending.clear()
        self._staged = True
        if changes is not None:
            paths = sorted({change.path for change in changes})
            added = sorted({change.path for change in changes if change.kind == "added"})
            self._stage(paths, added)
        else:
            self._tidy = False  # whatever add --all leaves out (ignored files) stays
            within = ["--", *self._paths] if self._paths is not None else []
            env = {**self._index, "GIT_LITERAL_PATHSPECS": "1"}
            repo._git("add", "--all", *within, cwd=self.path, env=env)
        parent, before = self.head, self.tree
        tree = repo._git("write-tree", cwd=self.path, env=self._index).strip()
        if tree == before:
            if changes:
                self._tidy = False  # changes git does not record (a mode, with filemode off)
            return None
        sha = self._reuse(tree, parent, text, author, committer)
        if sha is None:
            sha = self._commit_tree(tree, parent, text, author, committer, signing)
        self._head, self._tree = sha, tree
        return sha

    def _record(self, changes: Sequence[FileChange]) -> None:
        if self._made is not None:
            self._made.extend(changes)

    def settle(self) -> str | None:
        """At the end of a run: put the work tree back at its start (the changes undone,
        its ``HEAD`` there) when the commits left the index as it was, so that the next
        run from there finds it ready; else stage what the commits hold and move ``HEAD``
        to :attr:`head`. What the next run may rely on (``"<tree> <HEAD>"``: the files
        are those of ``tree``, all committed), or None when it cannot rely on anything."""
        repo, start = self.repository, self._start
        if self._index:
            Path(self._index["GIT_INDEX_FILE"]).unlink(missing_ok=True)
        if self._made is not None and start and self._tidy:
            if repo._importer is not None:
                repo._importer.rest(start)
                repo._end_import()
                self._at = start
            if self._at != start:
                repo._git("update-ref", "--no-deref", "HEAD", start, cwd=self.path)
                self._at = start
            self._pending.clear()
            return f"{start} {start}" if _put_back(repo, self.path, self._made) else None
        if self._paths is not None:  # the next run fills the partial work tree again
            repo._end_import()
            return None
        if self._pending:
            self._stage(sorted(self._pending), ())
            self._pending.clear()
        repo._end_import()  # its commits written, HEAD (and a branch) moved
        if self._at != self.head:
            repo._git("update-ref", "--no-deref", "HEAD", self.head, cwd=self.path)
            self._at = self.head
        return f"{self.tree} {self.head}" if self._tidy else None

    def _reuse(
        self, tree: str, parent: str, text: str, author: Identity, committer: Identity
    ) -> str | None:
        """The offered commit equal to the one about to be made, else None."""
        if not self._offered:
            return None
        candidate = self._offered[0]
        same = (candidate.tree, candidate.parent, candidate.author, candidate.committer)
        if same != (tree, parent, author, committer):
            return None
        if candidate.message != _cleanup(_strip_trailer(text)):
            return None
        self._offered.pop(0)
        return candidate.sha

    def _commit_tree(
        self,
        tree: str,
        parent: str,
        text: str,
        author: Identity,
        committer: Identity,
        signing: Signing,
    ) -> str:
        repo = self.repository
        config: list[str] = []
        sign: list[str] = []
        if signing.mode == "off":
            sign = ["--no-gpg-sign"]
        elif signing.mode:
            config += ["-c", f"gpg.format={'openpgp' if signing.mode == 'gpg' else signing.mode}"]
            if signing.key:
                config += ["-c", f"user.signingkey={signing.key}"]
            sign = ["--gpg-sign"]
        elif self._signs_by_default():
            sign = ["--gpg-sign"]  # commit.gpgSign, which commit-tree does not read itself
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email,
        }
        status, out, err = repo._run(
            [*config, "commit-tree", tree, "-p", parent, *sign],
            env=env,
            cwd=self.path,
            stdin=text + "\n",
        )
        if status != 0:
            text = scrub(err.strip() or out.strip() or f"exit code {status}", repo._secrets)
            raise GitError(f"git commit failed: {text}")
        return out.strip()

    def _signs_by_default(self) -> bool:
        return self._config().get("commit.gpgsign", "false") == "true"

    def _config(self) -> dict[str, str]:
        """The settings that decide how commits are made, read once (booleans as
        ``true``/``false``)."""
        if self._settings is None:
            self._settings = self.repository._commit_settings
        if self._settings is None:
            _, out, _ = self.repository._run(
                ["config", "-z", "--type=bool-or-str", "--get-regexp", _COMMIT_CONFIG],
                cwd=self.path,
            )
            found: dict[str, str] = {}
            for record in out.split("\0"):
                key, _, value = record.partition("\n")
                if key:
                    found[key.lower()] = value
            self._settings = found
        return self._settings

    def _importable(self, author: Identity, committer: Identity, signing: Signing) -> bool:
        """Whether git fast-import makes the very commit ``commit-tree`` would: unsigned,
        dated now, people git takes as written, no attributes or line-ending conversion
        (git add would filter the files), file modes and symbolic links as on disk."""
        if signing.mode not in ("", "off") or any(key in os.environ for key in _DATES):
            return False
        if not all(_plain_ident(who) for who in (author, committer)):
            return False
        config = self._config()
        if signing.mode == "" and config.get("commit.gpgsign", "false") != "false":
            return False
        if config.get("core.filemode", "true") != "true":
            return False
        if config.get("core.symlinks", "true") != "true":
            return False
        if config.get("core.autocrlf", "false") != "false":
            return False
        return not any(key in config for key in ("core.attributesfile", "i18n.commitencoding"))

    def _has_attributes(self, entries: list[tuple[str, str, bytes]]) -> bool:
        """Whether git attributes could apply to the paths of ``entries`` (then git add
        might filter or convert their content)."""
        if self._attributes is None:
            common = self.repository.root / ".git"
            xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
            places = [common / "info" / "attributes", Path(xdg) / "git" / "attributes"]
            if not os.environ.get("GIT_ATTR_NOSYSTEM"):
                places.append(Path("/etc/gitattributes"))
            self._attributes = {"": any(place.exists() for place in places)}
        for _, rel, _ in entries:
            folder = rel
            while folder:
                folder = folder.rpartition("/")[0]
                if folder not in self._attributes:
                    where = self.path / folder / ".gitattributes"
                    self._attributes[folder] = where.exists() or where.is_symlink()
                if self._attributes[folder]:
                    return True
        return self._attributes[""]

    def _entries(self, changes: Sequence[FileChange]) -> list[tuple[str, str, bytes]] | None:
        """What a commit of ``changes`` records, read from the work tree: (mode, path,
        content), mode ``""`` for a removed path. None where fast-import would not record
        what the index does (a folder where a file was, anything but a file or a link)."""
        import stat as st

        entries: list[tuple[str, str, bytes]] = []
        for rel in sorted({change.path for change in changes if change.kind != "owner"}):
            if rel.startswith('"') or "\n" in rel:
                return None
            full = self.path / rel
            try:
                info = full.lstat()
            except FileNotFoundError:
                entries.append(("", rel, b""))
                continue
            if st.S_ISLNK(info.st_mode):
                entries.append(("120000", rel, os.fsencode(os.readlink(full))))
            elif st.S_ISREG(info.st_mode):
                mode = "100755" if info.st_mode & 0o100 else "100644"
                entries.append((mode, rel, full.read_bytes()))
            else:
                return None
        return entries

    def _import(
        self,
        entries: list[tuple[str, str, bytes]],
        changes: Sequence[FileChange],
        text: str,
        author: Identity,
        committer: Identity,
    ) -> str | None:
        """Commit ``entries`` on :attr:`head` through the run's fast-import; None when they
        leave the tree as it is (say, only new files git ignores)."""
        repo = self.repository
        added = sorted({change.path for change in changes if change.kind == "added"})
        if added:
            _, out, _ = repo._run(
                ["check-ignore", "-z", "--stdin"], cwd=self.path, stdin="\0".join(added)
            )
            ignored = {path for path in out.split("\0") if path}
            if ignored:
                self._tidy = False  # as with git add: new files git ignores stay out
                entries = [entry for entry in entries if entry[1] not in ignored]
        if repo._importer is None:
            repo._importer = _Importer(self.path)
        importer, parent = repo._importer, self.head
        # A path removed that the tree does not hold (an untracked file) changes nothing.
        entries = [e for e in entries if e[0] or importer.tree(parent, e[1]) is not None]
        if not entries:
            return None
        before = self._tree or importer.tree(parent, "")
        sha, tree = importer.commit(parent, entries, text + "\n", author, committer)
        self._at = sha  # where the fast-import leaves HEAD as it ends
        if tree == before:
            return None
        self._staged = True
        self._pending.update(rel for _, rel, _ in entries)
        self._head, self._tree = self._reuse(tree, parent, text, author, committer) or sha, tree
        return self._head

    def _stage(self, paths: Sequence[str], added: Sequence[str]) -> None:
        """Stage exactly ``paths`` (changed, new or deleted) in the index."""
        repo, env = self.repository, self._index
        ignored: set[str] = set()
        if added:
            _, out, _ = repo._run(
                ["check-ignore", "-z", "--stdin"], cwd=self.path, env=env, stdin="\0".join(added)
            )
            ignored = {path for path in out.split("\0") if path}
            self._tidy = self._tidy and not ignored
        files: list[str] = []
        folders: list[str] = []
        for rel in paths:
            if rel in ignored:
                continue
            full = self.path / rel
            (folders if full.is_dir() and not full.is_symlink() else files).append(rel)
        if folders:  # a path that became a folder: its files are listed on their own
            repo._git("update-index", "--force-remove", "--", *folders, cwd=self.path, env=env)
        if files:
            status, out, err = repo._run(
                ["update-index", "--add", "--remove", "--replace", "-z", "--stdin"],
                cwd=self.path,
                env=env,
                stdin="".join(f"{rel}\0" for rel in files),
            )
            if status != 0:
                text = scrub(err.strip() or out.strip() or f"exit code {status}", repo._secrets)
                raise GitError(f"git update-index failed: {text}")

    def discard(self) -> None:
        """Throw away uncommitted changes (after a failed commit), back to :attr:`head`."""
        repo = self.repository
        repo._git(*_SPARSE, "reset", "--quiet", "--hard", self.head, cwd=self.path, what="reset")
        self._at, self._made = self.head, None
        if self._index:  # the work tree's own index is whole now, and at head
            Path(self._index.pop("GIT_INDEX_FILE")).unlink(missing_ok=True)
        self._paths = None
        repo._git("clean", "--quiet", "-d", "--force", "--force", "-x", cwd=self.path)
