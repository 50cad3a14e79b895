"""One repository from start to finish: bot branch, laws, one commit per law, push, pull request.

What happens depends on what the repository is (all documented in the README):

* **Not in a git work tree** (or ``git.enabled = false``, ``--no-git``): the laws edit the
  files in place, nothing else. This is the plain-folder case. (A folder inside a work
  tree stands for the whole repository, found as git finds it; a repository without
  commits is an error.)
* **A git repository**: the user's checkout is never touched. The bot branch
  (``hammurabi/<name>``) is rebuilt from the base branch in a separate work tree (the
  one kept in the repository's git dir), one commit per law that changed files. Without
  a remote (or with ``--no-push``, which contacts no remote) the commits land on the
  local bot branch; with a remote the branch is pushed (force-pushed with a
  lease, and only when it holds nothing but Hammurabi's commits).
* **A forge is configured** (a GitHub token or App): the branch's pull request is opened,
  updated, or closed (and the branch deleted) when nothing is left to change.

``--dry-run`` makes no git or API writes: it starts from the last fetched base, reads the
forge to say what it would open or update, and records the plan with imperative verbs
(``open``, ``update``, ``close``) instead of past ones (``opened``, ``updated``, ``closed``).

Each run first decides, then acts: :func:`hammurabi.orchestration.plan.decide` says what to
do with the bot branch (keep, create, rebuild, delete, leave it blocked, ignored or held)
from what the run found, read only as far as the decision needs it (:class:`_Found`);
:meth:`_BranchRun._carry_out` sets or pushes the branch, and :meth:`_BranchRun._conclude`
syncs the pull request and deletes a branch left with nothing to change.

The records go into the result's typed fields (:mod:`hammurabi.core.records`): ``git``
(branch, commits, pushed, action), ``pull_request`` (number, url, state, action, ...),
``campaign`` (where the repository stands) and ``timings`` (seconds in git, rules, the API).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hammurabi.core.engine import enforce as run_laws
from hammurabi.core.engine import new_run_id
from hammurabi.core.errors import ConfigError, HammurabiError
from hammurabi.core.records import (
    AutomergeRecord,
    BranchAction,
    CampaignRecord,
    GitMode,
    GitRecord,
    LawCommit,
    PullAction,
    PullRequestRecord,
    PullSummary,
    Timings,
)
from hammurabi.core.results import RunResult, Status
from hammurabi.orchestration import plan
from hammurabi.orchestration.paths import law_paths
from hammurabi.orchestration.plan import Decision

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from hammurabi.core.pullstate import PullState
    from hammurabi.core.records import Commit, Credentials
    from hammurabi.core.results import LawResult
    from hammurabi.integrations.forges.base import Forge, PullRequest, PullRequestSpec
    from hammurabi.integrations.git import Repository
    from hammurabi.loading.settings import Settings
    from hammurabi.orchestration.session import Session

log = logging.getLogger(__name__)

BRANCH_PREFIX = "hammurabi/"


#: While laws run, the engine makes the repository the process's working directory, which
#: is one for all threads: runs in threads (fleet runs) take turns for that part only.
ENGINE_LOCK = threading.RLock()


def default_branch_name(settings: Settings) -> str:
    """``hammurabi/<name>``: the single law source's name, else ``hammurabi/laws``."""
    sources = [source for source in settings.laws if source] or ["plugins"]
    name = "laws"
    if len(sources) == 1 and sources[0] != "plugins":
        source = sources[0].rstrip("/\\")
        path = Path(source)
        if path.suffix in (".yml", ".yaml", ".py"):
            name = path.stem
        elif "/" in source or "\\" in source or path.is_dir():
            name = path.resolve().name if path.exists() else path.name
        else:
            name = source.rsplit(".", 1)[-1]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._").lower()
    return f"{BRANCH_PREFIX}{slug or 'laws'}"


def run(
    session: Session,
    *,
    dry_run: bool = False,
    run_id: str | None = None,
    use_git: bool = True,
    fetched: bool = False,
    kept: bool = False,
    repo: Repository | None = None,
) -> RunResult:
    """Enforce the session's laws on its repository; branch, commit, push and sync the PR.

    ``use_git=False`` only edits files (what ``hammurabi check`` wants). ``fetched=True``
    says the remote's branches were just fetched (a fresh clone, or fleet runs that fetch
    first): the remote-tracking refs are used as they are, without asking the remote again
    (pushes still carry a lease, so a branch moved meanwhile is never overwritten).
    ``kept=True`` says the repository is a clone Hammurabi keeps (the fleet's cache, with no
    checkout and nobody's work in it): its checkout is not checked for uncommitted changes.
    ``repo`` is the repository at the session's root when the caller opened it already
    (the fleet's clone, just fetched); the run closes it.
    """
    from hammurabi.integrations import git as gitops

    run_id = run_id or new_run_id()
    settings = session.settings
    reason: str | None = None
    if repo is not None and (not use_git or not settings.git.enabled):
        repo.close()
        repo = None
    if not use_git:
        reason = "git is not used by this command"
    elif not settings.git.enabled:
        reason = "git.enabled is false"
    else:
        # What git told while the session was loaded serves this one opening only.
        location, session.location = session.location, None
        repo = repo or gitops.open_repository(session.root, location)
        if repo is None:
            reason = "not in a git work tree"
        elif repo.head is None:
            repo.close()
            raise gitops.GitError(
                f"the git repository {session.root} has no commits yet: commit something "
                "first (the bot branch starts from a commit), or pass --no-git to edit the "
                "files in place"
            )
    if repo is None:
        timings = Timings()
        with ENGINE_LOCK, timings.measure("rules"):
            result = run_laws(session.laws, session.root, dry_run=dry_run, run_id=run_id)
        result.git = GitRecord(GitMode.FILES, reason=reason)
        result.timings = timings
    else:
        with repo:
            branch_run = _BranchRun(
                session, repo, dry_run=dry_run, run_id=run_id, fetched=fetched, kept=kept
            )
            result = branch_run.run()
    if result.law_sources is None:
        result.law_sources = _law_sources(settings)
    return result


def _law_sources(settings: Settings) -> list[str]:
    """Where the run's laws come from (pull-request bodies say it, with how to re-run)."""
    return [source for source in settings.laws if source]


@dataclass
class _Start:
    """Where the bot branch starts and what it holds now."""

    base: str
    base_sha: str
    remote_tip: str | None
    local_tip: str | None
    history: list[Commit] = field(default_factory=list)

    @property
    def foreign(self) -> list[Commit]:
        return [commit for commit in self.history if not commit.hammurabi]

    def target(self, publish: bool) -> str | None:
        """The branch's tip the run compares with: the remote's when it pushes."""
        return self.remote_tip if publish else self.local_tip


class _Found:
    """What a run found, as :func:`plan.decide` asks for it: the costly facts (the forge's
    pull requests, git comparisons) are read only when asked, once."""

    def __init__(
        self,
        run: _BranchRun,
        start: _Start,
        result: RunResult,
        *,
        changed: bool,
        holds_at: Callable[[str], bool],
    ) -> None:
        self._run, self._start, self._result = run, start, result
        self.changed = changed
        #: Whether the branch at a commit already holds the run's change.
        self._holds_at = holds_at
        self.target = start.target(run.git.publish)
        self.exists = self.target is not None
        self.foreign = bool(start.foreign)

    @functools.cached_property
    def closed(self) -> PullRequest | None:
        """The reviewer's closed pull request that proposed this very change (a forge
        read, only when there is a change)."""
        if not self.changed:
            return None
        return self._run._review(self._result, self._start, self._run.git.publish)

    @property
    def closed_by_reviewer(self) -> bool:
        return self.closed is not None

    @functools.cached_property
    def held(self) -> bool:
        return self._run._held()

    @property
    def rebuild(self) -> bool:
        _ = self.closed  # the review reads the rebuild label
        return self._run._rebuild

    @functools.cached_property
    def ours_hold(self) -> bool:
        ours = _ours(self._start)
        return bool(ours) and self._holds_at(ours[-1].sha)

    @functools.cached_property
    def holds(self) -> bool:
        return self.target is not None and self._holds_at(self.target)

    @functools.cached_property
    def open_pull(self) -> bool:
        """An open pull request whose state the forge can read (a forge read, made once
        per run: the reviewers' decision read it already)."""
        run = self._run
        reader = getattr(run.forge, "pull_state", None)
        if reader is None or run.forge_repo is None or not run.git.publish or not self._laws:
            return False
        with run.timings.measure("api"):
            return run._read_pulls(self._start.base)[0] is not None

    @functools.cached_property
    def base_moved(self) -> bool:
        assert self.target is not None
        with self._run.timings.measure("git"):
            return not self._run.repo.is_ancestor(self._start.base_sha, self.target)

    @functools.cached_property
    def same_change(self) -> bool:
        assert self.target is not None
        with self._run.timings.measure("git"):
            return self._run._same_change(self._start, self.target, self._laws)

    @functools.cached_property
    def read_state(self) -> PullState | None:
        """The open pull request's state (a forge read), None when it could not be read."""
        run = self._run
        pull = run._read_pulls(self._start.base)[0]
        reader = getattr(run.forge, "pull_state", None)
        assert reader is not None and run.forge_repo is not None and pull is not None
        try:
            with run.timings.measure("api"):
                state: PullState = reader(run.forge_repo, pull)
                return state
        except HammurabiError as exc:
            log.info("cannot tell whether %s may stay on its older base: %s", self.target, exc)
            return None

    @property
    def merge_state(self) -> str | None:
        state = self.read_state
        if state is None:
            return None
        return "dirty" if state.mergeable is False else state.mergeable_state or "unknown"

    @functools.cached_property
    def _laws(self) -> list[LawResult]:
        return [law for law in self._result.laws if _changed(law)]


class _BranchRun:
    """The git (and forge) side of one run over one repository."""

    def __init__(
        self,
        session: Session,
        repo: Repository,
        *,
        dry_run: bool,
        run_id: str,
        fetched: bool = False,
        kept: bool = False,
    ):
        self.session = session
        self.settings = session.settings
        self.repo = repo
        self.dry_run = dry_run
        self.fetched = fetched
        self.kept = kept
        self.run_id = run_id
        self.timings = Timings()
        self.git = GitRecord(GitMode.BRANCH)
        self.forge: Forge | None = None
        self.forge_repo: str | None = None
        self.credentials: Credentials | None = None
        #: Whether a branch holding others' commits may be rebuilt, and the pull request
        #: whose label said so.
        self._rebuild = session.settings.git.rebuild
        self._rebuild_label: PullRequest | None = None
        #: The open pull request, once read (``_review`` reads it before pushing).
        self._open_pull: tuple[PullRequest | None] | None = None
        #: The pull request as the run left it, and the last closed one ``_review`` found.
        self._pull: PullRequest | None = None
        self._closed: tuple[PullRequest | None] | None = None
        #: The open pull request's state, read before pushing when the base moved.
        self._state: PullState | None = None

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> RunResult:
        from hammurabi.integrations import git as gitops

        git = self.settings.git
        with self.timings.measure("git"):
            dirty = [] if self.kept or git.allow_dirty else self.repo.dirty()
        if dirty and not git.allow_dirty:
            raise gitops.GitError(
                f"{self.session.root} has {len(dirty)} uncommitted change(s) (first: "
                f"{dirty[0]}); commit them first or pass --allow-dirty (Hammurabi never "
                "touches them: it builds its branch in a separate work tree)"
            )
        options = self.settings.automerge
        method = options.method
        asked = options.enabled or (
            options.laws and any(law.automerge for law in self.session.laws)
        )
        if asked and method not in ("merge", "squash", "rebase"):
            raise ConfigError(f"automerge.method {method!r}: use merge, squash or rebase")
        branch = gitops.check_branch_name(git.branch or default_branch_name(self.settings))
        url = self.repo.remote_url(git.remote)
        publish = url is not None and git.push
        record = self.git
        record.branch, record.publish = branch, publish
        record.remote = git.remote if url else None
        record.url = gitops.safe_url(url) if url else None
        if url is not None:
            with self.timings.measure("api"):
                self._choose_forge(url)
        with self.timings.measure("git"):
            start = self._start(branch, url, publish)
        if start.base == branch:
            raise gitops.GitError(f"the bot branch {branch!r} cannot also be the base branch")
        record.base, record.base_sha = start.base, start.base_sha
        result = self._dry_run(start) if self.dry_run else self._build(start)
        self._campaign(result, branch, start.base)
        result.root = str(self.session.root.resolve())
        if self.forge_repo and not result.repo:
            result.repo = self.forge_repo
        result.git = self.git
        result.timings = self.timings
        return result

    def _choose_forge(self, url: str) -> None:
        forge = self.session.pm.hook.hammurabi_forge(settings=self.settings)
        if forge is None:
            return
        repository = forge.repository(url)
        if repository is None:
            log.info("the remote is not on the %s forge; no pull request", forge.name)
            return
        self.forge, self.forge_repo = forge, repository
        if not self.dry_run and url.startswith(("http://", "https://")):
            self.credentials = forge.git_credentials(repository)

    def _start(self, branch: str, url: str | None, publish: bool) -> _Start:
        from hammurabi.integrations import git as gitops

        repo, local = self.repo, f"refs/heads/{branch}"
        known: dict[str, str] | None = None  # refs read in one go, when they were
        remote_tip: str | None = None
        busy: set[str] = set()  # of those, the ones checked out in a work tree
        if url is not None and publish and not self.dry_run and not self.fetched:
            base, known, remote_tip = self._ask_remote(branch)
            base_sha = known.get(f"refs/remotes/{self.settings.git.remote}/{base}")
        elif url is not None:
            base, known, busy = self._fetched_refs(branch)
            remote = self.settings.git.remote
            base_sha = known.get(f"refs/remotes/{remote}/{base}") or repo.resolve(base)
            remote_tip = known.get(f"refs/remotes/{remote}/{branch}")
        else:
            base = self.settings.git.base or repo.branch or "HEAD"
            known, busy = repo.refs_checked_out([f"refs/heads/{base}", local])
            base_sha = known.get(f"refs/heads/{base}") or repo.resolve(base)
        if base_sha is None:
            raise gitops.GitError(f"cannot find the base branch {base!r}")
        local_tip = known.get(local) if known is not None else repo.resolve(local)
        if (
            not publish
            and not self.dry_run
            and (local in busy if known is not None else branch in repo.checked_out_branches())
        ):
            raise gitops.GitError(
                f"the bot branch {branch!r} is checked out; switch to another branch first"
            )
        start = _Start(base, base_sha, remote_tip, local_tip)
        self._read_history(start, url, publish)
        return start

    def _ask_remote(self, branch: str) -> tuple[str, dict[str, str], str | None]:
        """Ask the remote for the base and the bot branch and fetch them: the base's name,
        the refs then (remote-tracking and local, read in one go) and the bot branch's tip
        on the remote."""
        from hammurabi.integrations import git as gitops

        git, repo = self.settings.git, self.repo
        remote = git.remote
        wanted = [name for name in (git.base, branch) if name]
        state = repo.query_remote(remote, wanted, self.credentials)
        base = git.base or state.default_branch or ""
        if not base:
            raise gitops.GitError(f"remote {remote!r} has no default branch; set git.base")
        if base not in state.heads:
            raise gitops.GitError(f"branch {base!r} does not exist on remote {remote!r}")
        fetch = [base] + ([branch] if branch in state.heads else [])
        repo.fetch(remote, fetch, self.credentials)
        tracking = f"refs/remotes/{remote}/{branch}"
        names = [f"refs/remotes/{remote}/{base}", tracking, f"refs/heads/{branch}"]
        known = repo.refs(names)
        if branch not in state.heads and tracking in known:
            repo.forget_remote_branch(remote, branch, known=True)
            del known[tracking]
        return base, known, state.heads.get(branch)

    def _fetched_refs(self, branch: str) -> tuple[str, dict[str, str], set[str]]:
        """The base's name and the refs as last fetched (no remote asked), read in one go
        with the remote's default branch, and those of them checked out in a work tree."""
        git, repo = self.settings.git, self.repo
        remote = git.remote
        names = [f"refs/remotes/{remote}/{branch}", f"refs/heads/{branch}"]
        if git.base:
            return git.base, *repo.refs_checked_out([f"refs/remotes/{remote}/{git.base}", *names])
        current = repo.branch  # the base when the remote recorded no default
        if current:
            names.insert(0, f"refs/remotes/{remote}/{current}")
        default, known, busy = repo.default_and_refs(remote, names)
        return default or current or "HEAD", known, busy

    def _read_history(self, start: _Start, url: str | None, publish: bool) -> None:
        """Read the bot branch's commits on its base (deepening a shallow clone that cannot
        tell old base commits from someone else's)."""
        target = start.target(publish)
        if not target:
            return
        repo = self.repo
        start.history = repo.commits(start.base_sha, target)
        if start.foreign and url and not self.dry_run and repo.is_shallow():
            fetch = [start.base] + ([self.git.branch] if start.remote_tip else [])
            repo.fetch(self.settings.git.remote, fetch, self.credentials, unshallow=True)
            start.history = repo.commits(start.base_sha, target)

    # -- dry run ---------------------------------------------------------------------------

    def _dry_run(self, start: _Start) -> RunResult:
        """Run the laws on the base (in the kept work tree, put back after, else an export);
        decide, and record the plan."""
        git = self.git
        with contextlib.ExitStack() as stack:
            with self.timings.measure("git"):
                paths = law_paths(self.session.laws)
                tree = stack.enter_context(self.repo.dry_tree(start.base_sha, paths))
            with ENGINE_LOCK, self.timings.measure("rules"):
                result = run_laws(self.session.laws, tree.path, run_id=self.run_id)
            tree.record(result.changes)  # undone as the block ends
        result.dry_run = True
        changed = [law for law in result.laws if _changed(law)]
        git.pushed, git.head = False, start.target(git.publish)
        git.commits = [LawCommit(law.name, law.files) for law in changed]
        git.foreign_commits = start.foreign

        def holds_at(sha: str) -> bool:
            return self._holds(start.base_sha, sha, result, changed)

        found = _Found(self, start, result, changed=bool(changed), holds_at=holds_at)
        decision = plan.decide(found)
        self._note(decision, found)
        if decision is Decision.IGNORE:
            assert found.closed is not None
            self._ignore(result, start, found.closed)
        return self._conclude(result, start, _PLANNED[decision])

    def _holds(
        self, base_sha: str, target: str, result: RunResult, changed: list[LawResult]
    ) -> bool:
        """Whether the branch at ``target`` already holds exactly the run's changes on
        ``base_sha`` (read-only: what a dry run can tell without building commits)."""
        repo = self.repo
        subjects = [commit.subject for commit in reversed(repo.commits(base_sha, target))]
        if subjects != [" ".join(law.name.split()) for law in changed]:
            return False
        if not repo.is_ancestor(base_sha, target):
            return False
        if repo.changed_paths(base_sha, target) != set(result.files):
            return False
        blobs = repo.blob_ids(target, result.files)
        for change in result.changes:
            wanted = None if change.after is None else _blob_id(change.after)
            if blobs.get(change.path) != wanted:
                return False
        return True

    def _same_change(self, start: _Start, target: str, laws: list[LawResult]) -> bool:
        """Whether the bot branch at ``target``, built on an older base, makes exactly the
        changes ``laws`` make now: its commits all Hammurabi's (by the configured author and
        committer), one per law, each with the law's name and changes, on an ancestor of the
        base (a base rewritten, not moved on, does not count)."""
        from hammurabi.integrations import git as gitops

        repo = self.repo
        if start.foreign:
            return False
        built = repo.built(start.base_sha, target)
        if len(built) != len(laws) or len(built) != len(start.history):
            return False
        git = self.settings.git
        author = gitops.Identity(git.author_name, git.author_email)
        committer = gitops.Identity(
            git.committer_name or git.author_name, git.committer_email or git.author_email
        )
        for commit, law in zip(built, laws, strict=True):
            wanted = gitops.expected_changes(law.changes, len(commit.tree))
            subject = commit.message.split("\n", 1)[0].strip()
            if subject != " ".join(law.name.split()) or wanted != commit.changes:
                return False
            if (commit.author, commit.committer) != (author, committer):
                return False
        return repo.is_ancestor(built[0].parent, start.base_sha)

    # -- building, pushing ---------------------------------------------------------------------

    def _build(self, start: _Start) -> RunResult:
        """Run the laws in the kept work tree, one commit per law; decide, and carry it out."""
        with contextlib.ExitStack() as stack:
            result, commits = self._commit_laws(stack, start)
            tip = commits[-1].sha if commits else None
            self.git.commits, self.git.pushed = list(commits), False
            self.git.foreign_commits = start.foreign

            def holds_at(sha: str) -> bool:
                assert tip is not None
                with self.timings.measure("git"):
                    return self.repo.equivalent(start.base_sha, tip, sha)

            found = _Found(self, start, result, changed=tip is not None, holds_at=holds_at)
            decision = plan.decide(found)
            self._note(decision, found)
            action = self._carry_out(decision, found, result, start, tip)
            with self.timings.measure("git"):
                stack.close()
        return self._conclude(result, start, action)

    def _commit_laws(
        self, stack: contextlib.ExitStack[bool | None], start: _Start
    ) -> tuple[RunResult, list[LawCommit]]:
        """Run the laws in the work tree (entered on ``stack``), committing each law's
        changes as it ends; return the result and the commits, oldest first."""
        from hammurabi.integrations import git as gitops

        git = self.settings.git
        author = gitops.Identity(git.author_name, git.author_email)
        committer = gitops.Identity(
            git.committer_name or git.author_name, git.committer_email or git.author_email
        )
        signing = gitops.Signing(git.sign, git.signing_key)
        commits: list[LawCommit] = []
        committing = Timings()
        with self.timings.measure("git"):
            paths = law_paths(self.session.laws)
            tree = stack.enter_context(self.repo.worktree(start.base_sha, reuse=True, paths=paths))
            target = start.target(self.git.publish)
            if target:
                tree.offer(self.repo.built(start.base_sha, target))

        def commit_law(law: LawResult) -> None:
            if not _changed(law):
                return
            with committing.measure("git"):
                message = gitops.law_commit_message(law, self.run_id)
                try:
                    sha = tree.commit(
                        message,
                        author=author,
                        committer=committer,
                        signing=signing,
                        changes=law.changes or None,
                    )
                except gitops.GitError as exc:
                    law.error = f"its commit was refused: {exc}"
                    tree.discard()
                    return
            if sha:
                commits.append(LawCommit(law.name, law.files, sha))

        with ENGINE_LOCK:
            started = time.perf_counter()
            result = run_laws(self.session.laws, tree.path, run_id=self.run_id, on_law=commit_law)
        self.timings.git += committing.git
        self.timings.rules += time.perf_counter() - started - committing.git
        return result, commits

    def _note(self, decision: Decision, found: _Found) -> None:
        """Keep what a decision on a moved base rests on: why the branch is brought up to
        date (``git.brought_up_to_date``), or the state read while it stays (still true)."""
        if decision is Decision.UPDATE:  # its head changes: the state is read anew after
            self.git.brought_up_to_date = found.merge_state
        elif decision is Decision.STAY:
            self._state = found.read_state

    def _carry_out(
        self, decision: Decision, found: _Found, result: RunResult, start: _Start, tip: str | None
    ) -> BranchAction:
        """Do what was decided to the branch (not yet to the pull request)."""
        git = self.git
        if decision is Decision.IGNORE:
            assert found.closed is not None
            return self._ignore(result, start, found.closed)
        if decision is Decision.HOLD:
            git.head = found.target
            return BranchAction.HELD
        if decision in (Decision.BLOCKED, Decision.KEEP_OURS):
            git.head, git.commits = found.target, []
            if decision is Decision.KEEP_OURS:  # Hammurabi's own still hold what it proposes
                git.commits = list(_ours(start))
                return BranchAction.UNCHANGED
            names = ", ".join(sorted({commit.author for commit in start.foreign}))
            log.info(
                "branch %s holds %d commit(s) not made by Hammurabi (by %s); leaving it alone",
                git.branch,
                len(start.foreign),
                names,
            )
            return BranchAction.BLOCKED
        if decision in (Decision.DELETE, Decision.NOTHING):
            git.head = None
            return BranchAction.DELETE if decision is Decision.DELETE else BranchAction.NONE
        if decision in (Decision.KEEP, Decision.STAY):  # these very commits: report its own
            git.commits = [
                commit._replace(sha=old.sha)
                for commit, old in zip(git.commits, reversed(start.history), strict=False)
            ] + git.commits[len(start.history) :]
            git.head = found.target
            return BranchAction.UNCHANGED
        assert tip is not None
        with self.timings.measure("git"):
            return self._write(start, tip)

    def _write(self, start: _Start, tip: str) -> BranchAction:
        """Push (or set the local branch to) ``tip``; return what happened to the branch."""
        git, repo, remote = self.git, self.repo, self.settings.git.remote
        if not git.publish:
            repo.set_branch(git.branch, tip, free=True)  # _start saw it checked out nowhere
            git.head = tip
            return BranchAction.UPDATED if start.local_tip else BranchAction.CREATED
        self._check_access()
        pace = getattr(self.forge, "pace", None)  # a fleet's --pr-interval: CI starts here
        if pace is not None and self.forge_repo:
            pace(self.forge_repo)
        pushed = repo.push(
            remote, tip, git.branch, expected=start.remote_tip, credentials=self.credentials
        )
        if not pushed.ok:
            git.error = f"push to {remote}/{git.branch} was rejected: {pushed.describe()}"
            git.head = start.remote_tip
            git.commits = []  # they exist nowhere but in a deleted work tree
            return BranchAction.REJECTED
        git.pushed, git.head = True, tip
        return BranchAction.UPDATED if start.remote_tip else BranchAction.CREATED

    def _conclude(self, result: RunResult, start: _Start, action: BranchAction) -> RunResult:
        """Record the branch's action; sync the pull request, delete a branch left with
        nothing to change, and say what happened to the repository."""
        self.git.action = action
        if action in (BranchAction.IGNORED, BranchAction.HELD):
            result.action = _BRANCH_STATUS[action]
            return result
        if action is BranchAction.UNCHANGED:
            for law in result.laws:
                law.proposed = _changed(law)
        if action is BranchAction.REJECTED:
            result.error = self.git.error
            return result
        if not self._propose(result, start, action):
            return result
        if action is BranchAction.DELETE and not self.dry_run:
            with self.timings.measure("git"):
                action = self._delete(start)
            self.git.action = action
            if action is BranchAction.REJECTED:
                result.error = self.git.error
        if self._rebuild_label is not None and start.foreign and action is BranchAction.UPDATED:
            self._done_rebuilding()
        result.action = _status(action, result)
        return result

    def _propose(self, result: RunResult, start: _Start, action: BranchAction) -> bool:
        """Sync the pull request with the branch; False when the forge failed (the run's
        error says why, and a branch pushed for it is put back as it was)."""
        if not self.git.publish or self.forge is None or self.forge_repo is None:
            return True
        if self.dry_run:
            self._sync_pull(result, start, action)
            return True
        try:
            self._sync_pull(result, start, action)
        except HammurabiError as exc:
            result.error = str(exc)
            pushed = action in (BranchAction.CREATED, BranchAction.UPDATED)
            if pushed and not getattr(exc, "deferred", False):
                self._unpush(start)  # its pull request failed: take it back
            return False
        return True

    # -- the campaign: where the repository stands ------------------------------------------

    def _campaign(self, result: RunResult, branch: str, base: str) -> None:
        """Record where the repository stands for this law source (``result.campaign``)
        and, when the forge can tell, its open pull request's review, checks and
        mergeability (``result.pull_request.read_state``). A compliant repository costs
        one more read: whether its last pull request was merged."""
        from hammurabi.core import stages

        forge, repository = self.forge, self.forge_repo
        reader = getattr(forge, "pull_state", None)
        state: PullState | None = None
        merged_before = False
        last_pull: PullSummary | None = None
        error: str | None = None
        status, holds = result.status, not result.changed and not result.failed
        if forge is not None and repository and reader is not None and not result.error:
            try:
                with self.timings.measure("api"):
                    if self._pull is not None and self._pull.state == "open":
                        early = self._state  # read before pushing, and nothing was pushed
                        fresh = early is not None and early.number == self._pull.number
                        state = early if fresh else reader(repository, self._pull)
                    elif holds:
                        last = self._pull  # closed by this run: the last one
                        if last is None:
                            last = self._read_pulls(base, closed=True)[1]
                        merged_before = last is not None and last.state == "merged"
                        last_pull = _pull_summary(last)
            except HammurabiError as exc:
                error = str(exc)  # the run's own work is done: only say so
        stage = stages.stage(status.value, state, holds, merged_before)
        automerge: AutomergeRecord | None = None
        asked_by, refusal = self._automerge_asked(result)
        if state is not None and refusal and status in _MERGEABLE:
            automerge = AutomergeRecord(False, refusal)
        elif state is not None and asked_by and status in _MERGEABLE:
            automerge = self._automerge(state, branch)._replace(asked_by=asked_by)
            if automerge.merged:
                stage = stages.Stage.MERGED
                state = dataclasses.replace(state, state="merged")
        calls, hits = (getattr(forge, name, None) for name in ("api_calls", "conditional_hits"))
        result.campaign = CampaignRecord(
            branch,
            stage,
            last_pull=last_pull,
            error=error,
            automerge=automerge,
            api_calls=calls if isinstance(calls, int) else None,
            api_not_modified=hits if isinstance(hits, int) else None,
        )
        if state is not None and result.pull_request is not None:
            result.pull_request.read_state = state

    def _automerge_asked(self, result: RunResult) -> tuple[str | None, str | None]:
        """Who asks for the pull request to be merged automatically (``run``: the runner's
        settings; ``laws``: every law in it does), else why not when some law asks."""
        options = self.settings.automerge
        if options.enabled:
            return "run", None
        if not options.laws:
            return None, None
        asking = {law.name for law in self.session.laws if law.automerge}
        proposed = [law.name for law in result.laws if _changed(law)]
        if not asking or not proposed:
            return None, None
        others = [name for name in proposed if name not in asking]
        if not others:
            return "laws", None
        if len(others) == len(proposed):
            return None, None  # no law in it asks: nothing to say
        names = ", ".join(others)
        verb = "does" if len(others) == 1 else "do"
        return None, f"not every law in it asks for automerge ({names} {verb} not)"

    def _automerge(self, state: PullState, branch: str) -> AutomergeRecord:
        """Merge the bot pull request when it may (``[tool.hammurabi.automerge]``): never
        against branch protection, only what GitHub calls clean, and only if its head is
        still the one whose checks were read. In a dry run, say what would happen."""
        from hammurabi.core.pullstate import automerge_blocker

        options = self.settings.automerge
        forge, repository, pull = self.forge, self.forge_repo, self._pull
        merge = getattr(forge, "merge_pull", None)
        assert forge is not None and repository is not None and pull is not None
        if merge is None:
            return AutomergeRecord(False, f"the {forge.name} forge cannot merge")
        reason = automerge_blocker(
            state, approved=options.approved, require_checks=options.require_checks
        )
        if reason is not None or self.dry_run or state.head_sha is None:
            would = reason is None and state.head_sha is not None
            return AutomergeRecord(False, reason or "dry run", would_merge=would)
        try:
            with self.timings.measure("api"):
                sha = merge(repository, pull, sha=state.head_sha, method=options.method)
        except HammurabiError as exc:  # GitHub refused (protection, a moved head): say why
            return AutomergeRecord(False, str(exc))
        deleted: bool | None = None
        warning: str | None = None
        deleter = getattr(forge, "delete_branch", None)
        if options.delete_branch and deleter is not None:
            try:
                with self.timings.measure("api"):
                    deleter(repository, branch)
                deleted = True
            except HammurabiError as exc:
                deleted, warning = False, str(exc)
        log.info("merged pull request #%s (%s)", pull.number, options.method)
        return AutomergeRecord(
            True, method=options.method, sha=sha, branch_deleted=deleted, warning=warning
        )

    # -- reviewers' decisions ----------------------------------------------------------------

    def _review(self, result: RunResult, start: _Start, publish: bool) -> PullRequest | None:
        """Read what reviewers decided: the closed pull request that proposed this very
        change (returned: the run leaves it be), and whether a blocked branch may be
        rebuilt (``hammurabi:rebuild`` on the open pull request, or ``git.rebuild``)."""
        self._rebuild = self.settings.git.rebuild
        forge, repository = self.forge, self.forge_repo
        if not publish or forge is None or repository is None:
            return None
        from hammurabi.integrations.forges import prbody
        from hammurabi.integrations.forges.base import RE_PROPOSE_LABEL, REBUILD_LABEL

        with self.timings.measure("api"):
            pull, closed = self._read_pulls(start.base, closed=True)
            if pull is not None:
                if start.foreign and pull.has_label(REBUILD_LABEL):
                    self._rebuild, self._rebuild_label = True, pull
                return None
        if closed is None or closed.state == "merged" or self.settings.git.re_propose:
            return None
        if closed.has_label(RE_PROPOSE_LABEL) or closed.fingerprint != prbody.fingerprint(result):
            return None
        return closed

    def _read_pulls(
        self, base: str, *, closed: bool = False
    ) -> tuple[PullRequest | None, PullRequest | None]:
        """The bot branch's open pull request and, if ``closed`` and none is open, its last
        closed one; each read once per run, both in one request where the forge lists them
        together (``find_pulls``, optional for plugins' forges)."""
        forge, repository = self.forge, self.forge_repo
        assert forge is not None and repository is not None
        branch = self.git.branch
        both = getattr(forge, "find_pulls", None)
        if both is not None and self._open_pull is None:
            found = both(repository, branch, base)
            self._open_pull, self._closed = (found[0],), (found[1],)
        if self._open_pull is None:
            self._open_pull = (forge.find_pull(repository, branch, base),)
        if closed and self._open_pull[0] is None and self._closed is None:
            self._closed = (forge.find_closed_pull(repository, branch, base),)
        return self._open_pull[0], self._closed[0] if self._closed is not None else None

    def _held(self) -> bool:
        """Whether a canary rollout holds back the new pull request this run would open
        (``LimitedForge.may_propose``); the reason goes to ``git.held``."""
        gate = getattr(self.forge, "may_propose", None)
        known = self._open_pull
        if gate is None or self.forge_repo is None or known is None or known[0] is not None:
            return False
        reason = gate(self.forge_repo)
        if reason is None:
            return False
        log.info("new pull request held back: %s", reason)
        self.git.held = reason
        return True

    def _ignore(self, result: RunResult, start: _Start, closed: PullRequest) -> BranchAction:
        """Record that a reviewer's closed pull request keeps the change from being proposed."""
        assert self.forge is not None
        log.info("pull request #%s was closed by a reviewer: not proposing it again", closed.number)
        assert self.forge_repo is not None
        target = start.remote_tip if self.git.publish else start.local_tip
        self.git.head, self.git.commits = target, []
        result.pull_request = PullRequestRecord(
            self.forge.name, self.forge_repo, PullAction.NONE, pull=_pull_summary(closed)
        )
        return BranchAction.IGNORED

    def _done_rebuilding(self) -> None:
        """Take the rebuild label off once the branch was rebuilt (one rebuild per label)."""
        from hammurabi.integrations.forges.base import REBUILD_LABEL

        assert self.forge is not None and self.forge_repo is not None
        assert self._rebuild_label is not None
        with self.timings.measure("api"):
            self.forge.remove_label(self.forge_repo, self._rebuild_label, REBUILD_LABEL)

    def _unpush(self, start: _Start) -> None:
        """Put the branch back as it was (deleted, or at its old tip): the pull request it
        was pushed for could not be opened or updated, and nothing is left half-done."""
        head, branch = self.git.head, self.git.branch
        if not head:
            return
        remote, old = self.settings.git.remote, start.remote_tip
        if old is None:
            outcome = self.repo.delete_remote_branch(
                remote, branch, expected=head, credentials=self.credentials
            )
        else:
            outcome = self.repo.push(
                remote, old, branch, expected=head, credentials=self.credentials
            )
        if outcome.ok:
            self.git.action, self.git.pushed = BranchAction.NONE, False
            self.git.head, self.git.commits = old, []
        else:
            log.warning("could not put %s back: %s", branch, outcome.describe())

    def _check_access(self) -> None:
        """Before the first push: the forge's credentials may push and open pull requests
        (``check_access``, optional for plugins' forges), so nothing is left half-done. A
        run that pushes nothing does not ask."""
        check = getattr(self.forge, "check_access", None)
        if check is not None and self.forge_repo is not None:
            with self._api_within_git():
                check(self.forge_repo)

    @contextlib.contextmanager
    def _api_within_git(self) -> Iterator[None]:
        """Count a forge call made inside the git part of the run as API time, not git."""
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            self.timings.api += spent
            self.timings.git -= spent

    def _delete(self, start: _Start) -> BranchAction:
        """Delete the bot branch: nothing is left to change."""
        branch = self.git.branch
        if not self.git.publish:
            if start.local_tip:
                self.repo.delete_branch(branch)
            return BranchAction.DELETED
        assert start.remote_tip is not None
        self._check_access()
        outcome = self.repo.delete_remote_branch(
            self.settings.git.remote,
            branch,
            expected=start.remote_tip,
            credentials=self.credentials,
        )
        if not outcome.ok:
            self.git.error = f"deleting {branch} was rejected: {outcome.describe()}"
            return BranchAction.REJECTED
        self.git.pushed = True
        return BranchAction.DELETED

    # -- the pull request ------------------------------------------------------------------------

    def _spec(self, result: RunResult, base: str) -> PullRequestSpec:
        from hammurabi.integrations.forges import prbody
        from hammurabi.integrations.forges.base import (
            PullRequestSpec,
            TitleFields,
            redact,
            render_title,
        )

        assert self.forge is not None and self.forge_repo is not None
        options = self.forge.options
        branch = self.git.branch
        changed = prbody.changed_laws(result)
        title = render_title(
            options.title,
            TitleFields(
                summary=prbody.summary(result),
                count=len(changed),
                laws=", ".join(law.name for law in changed),
                branch=branch,
                base=base,
                repository=self.forge_repo,
            ),
        )
        if result.law_sources is None:
            result.law_sources = _law_sources(self.settings)
        body = redact(prbody.render(result, branch=branch, base=base), self.forge.secrets())
        return PullRequestSpec(
            head=branch,
            base=base,
            title=title,
            body=body,
            labels=options.labels,
            reviewers=options.reviewers,
            assignees=options.assignees,
            draft=options.draft,
        )

    def _sync_pull(self, result: RunResult, start: _Start, action: BranchAction) -> None:
        """Open, update, close or comment on the pull request (only plan it in dry runs)."""
        from hammurabi.integrations.forges import prbody
        from hammurabi.integrations.forges.base import pull_changes

        forge, repository = self.forge, self.forge_repo
        assert forge is not None and repository is not None
        branch = self.git.branch
        record = PullRequestRecord(forge.name, repository)
        result.pull_request = record
        with self.timings.measure("api"):
            pull = self._read_pulls(start.base)[0]
            pr_action, changes, commented = PullAction.NONE, [], False
            if action in (
                BranchAction.CREATE,
                BranchAction.REBUILD,
                BranchAction.CREATED,
                BranchAction.UPDATED,
                BranchAction.UNCHANGED,
            ):
                spec = self._spec(result, start.base)
                if pull is None:
                    pr_action = PullAction.OPEN if self.dry_run else PullAction.OPENED
                    if not self.dry_run:
                        pull = forge.open_pull(repository, spec)
                elif self.dry_run:
                    changes = pull_changes(pull, spec)
                    pr_action = PullAction.UPDATE if changes else PullAction.UNCHANGED
                else:
                    pull, changes = forge.update_pull(repository, pull, spec)
                    pr_action = PullAction.UPDATED if changes else PullAction.UNCHANGED
                record.proposed_title = spec.title
            elif action in (BranchAction.DELETE, BranchAction.NONE) and pull is not None:
                pr_action = PullAction.CLOSE if self.dry_run else PullAction.CLOSED
                if not self.dry_run:
                    pull = forge.close_pull(repository, pull, prbody.close_comment(result))
            elif action is BranchAction.BLOCKED and pull is not None:
                pr_action = PullAction.UNCHANGED
                if not self.dry_run:
                    body = prbody.foreign_commits_comment(start.foreign, branch)
                    commented = forge.upsert_comment(repository, pull, "foreign-commits", body)
        record.action, record.changes, record.commented = pr_action, list(changes), commented
        record.pull = _pull_summary(pull)
        self._pull = pull
        record.warnings = list(getattr(forge, "warnings", []) or [])


#: Runs after which the bot pull request may be merged automatically.
_MERGEABLE = frozenset({Status.PR_OPENED, Status.PR_UPDATED, Status.UP_TO_DATE})

#: What happened to the repository, from the pull request's action, else the branch's.
_PULL_STATUS = {
    PullAction.OPENED: Status.PR_OPENED,
    PullAction.OPEN: Status.PR_OPENED,
    PullAction.UPDATED: Status.PR_UPDATED,
    PullAction.UPDATE: Status.PR_UPDATED,
    PullAction.CLOSED: Status.PR_CLOSED,
    PullAction.CLOSE: Status.PR_CLOSED,
}
#: The branch's planned action for each decision (dry runs).
_PLANNED = {
    Decision.IGNORE: BranchAction.IGNORED,
    Decision.HOLD: BranchAction.HELD,
    Decision.BLOCKED: BranchAction.BLOCKED,
    Decision.KEEP_OURS: BranchAction.UNCHANGED,
    Decision.KEEP: BranchAction.UNCHANGED,
    Decision.STAY: BranchAction.UNCHANGED,
    Decision.UPDATE: BranchAction.REBUILD,
    Decision.CREATE: BranchAction.CREATE,
    Decision.REBUILD: BranchAction.REBUILD,
    Decision.DELETE: BranchAction.DELETE,
    Decision.NOTHING: BranchAction.NONE,
}
_BRANCH_STATUS = {
    BranchAction.CREATED: Status.BRANCH_CREATED,
    BranchAction.CREATE: Status.BRANCH_CREATED,
    BranchAction.UPDATED: Status.BRANCH_UPDATED,
    BranchAction.REBUILD: Status.BRANCH_UPDATED,
    BranchAction.DELETED: Status.BRANCH_DELETED,
    BranchAction.DELETE: Status.BRANCH_DELETED,
    BranchAction.UNCHANGED: Status.UP_TO_DATE,
    BranchAction.NONE: Status.NOTHING_TO_CHANGE,
    BranchAction.BLOCKED: Status.BLOCKED,
    BranchAction.IGNORED: Status.IGNORED,
    BranchAction.HELD: Status.HELD,
}


def _status(action: BranchAction, result: RunResult) -> Status:
    pull = result.pull_request
    found = _PULL_STATUS.get(pull.action) if pull is not None and pull.action else None
    if found is not None and action not in (BranchAction.BLOCKED, BranchAction.IGNORED):
        return found
    return _BRANCH_STATUS.get(action, Status.FAILED)


def _blob_id(data: bytes) -> str:
    """Git's id of a blob holding ``data`` (SHA-1 repositories)."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _ours(start: _Start) -> list[Commit]:
    """Hammurabi's commits at the bottom of the branch, oldest first, up to anyone else's."""
    ours = []
    for commit in reversed(start.history):
        if not commit.hammurabi:
            break
        ours.append(commit)
    return ours


def _pull_summary(pull: PullRequest | None) -> PullSummary:
    if pull is None:
        return PullSummary()
    return PullSummary(pull.number, pull.url, pull.state, pull.created_at, pull.title, pull.draft)


def _changed(law: LawResult) -> bool:
    from hammurabi.core.results import Outcome

    return law.outcome is Outcome.CHANGED
