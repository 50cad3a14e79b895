"""Run the laws over a fleet of repositories: each in isolation, several at once, resumable.

Every repository goes through the same workflow as ``hammurabi enforce PATH`` (see
:mod:`hammurabi.orchestration.branch`) on its cached clone (see
:mod:`hammurabi.orchestration.fleet.cache`), with the laws, plugins and settings loaded
once for the fleet. One repository's failure (a clone that fails, a rule that raises, a push
that is rejected) is recorded and never stops the others.

With ``--jobs`` above 1, repositories run in that many worker processes forked from this
one (each inherits the loaded laws and plugins). Processes, not threads: while laws run the
engine makes the repository the working directory, which a process has only one of, and
rules and commits then use every core. The workers ignore Ctrl-C: it stops the run from
starting new repositories and lets the ones in progress finish; a ``KeyboardInterrupt``
raised inside a repository's run (its rule is rolled back) does the same. The state file is
saved after each repository, so the next run resumes.

Every repository run reaches the ``hammurabi_run_finished`` hook (metrics) in this process,
with the fleet's run id and its ``owner/name``; repositories that failed before the laws ran
get a record with the error.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hammurabi.core import masking
from hammurabi.core.errors import HammurabiError
from hammurabi.core.pullstate import Stage
from hammurabi.core.records import BranchAction, GitMode
from hammurabi.core.results import RunResult, Status
from hammurabi.core.version import __version__
from hammurabi.orchestration.fleet.limits import LimitedForge, Limits, fork_context
from hammurabi.orchestration.fleet.records import FleetResult, RepoRun
from hammurabi.orchestration.fleet.state import FleetState

if TYPE_CHECKING:
    from hammurabi.core.records import Credentials, PullRequestRecord
    from hammurabi.integrations.forges.base import Forge
    from hammurabi.orchestration.fleet.targets import Target
    from hammurabi.orchestration.repository import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FleetOptions:
    """How to run the fleet (see :class:`hammurabi.loading.settings.FleetSettings`)."""

    cache: Path
    jobs: int = 4
    api_jobs: int = 1
    max_prs: int = 0
    pr_interval: float = 0.0
    #: Canary rollout: propose to this many first (0: everywhere at once), and stop widening
    #: above this share of failing checks.
    canary: int = 0
    canary_failing: float = 0.2
    dry_run: bool = False
    #: The state file; None: not resumable.
    state: Path | None = None
    #: The run id; None: the state file's, else a new one.
    run_id: str | None = None
    shard: str | None = None


class Observer(Protocol):
    """Told about progress (the CLI's progress bar)."""

    def begin(self, total: int) -> None: ...

    def started(self, name: str) -> None: ...

    def finished(self, repo: RepoRun) -> None: ...


class _Quiet:
    def begin(self, total: int) -> None:
        pass

    def started(self, name: str) -> None:
        pass

    def finished(self, repo: RepoRun) -> None:
        pass


def run_fleet(
    session: Session,
    targets: Sequence[Target],
    options: FleetOptions,
    *,
    new_run_id: str,
    observer: Observer | None = None,
    archived: Sequence[str] = (),
) -> FleetResult:
    """Enforce ``session``'s laws on every target; see the module docstring."""
    from hammurabi.orchestration.window import Window

    Window.from_settings(session.settings.window)  # a bad window: refused before any work
    state = FleetState.open(options.state, options.run_id, new_run_id)
    fleet = _Fleet(session, options, state, observer or _Quiet())
    result = FleetResult(
        state.run_id,
        options.dry_run,
        shard=options.shard,
        archived=list(archived),
        branch=fleet.branch,
        laws=[law.name for law in session.laws],
    )
    started = time.perf_counter()
    result.reads = fleet.read_pulls(list(targets))
    if options.canary > 0:
        result.canary = fleet.canary(list(targets))
    session.pm.register(fleet.limits, name="fleet-limits")
    try:
        result.repos = fleet.run(list(targets))
    finally:
        session.pm.unregister(fleet.limits)
        result.seconds = time.perf_counter() - started
    result.interrupted = fleet.stop.is_set()
    if not options.dry_run:
        state.finish([target.name for target in targets])
    return result


class _Fleet:
    def __init__(
        self, session: Session, options: FleetOptions, state: FleetState, observer: Observer
    ) -> None:
        from hammurabi.orchestration.branch import default_branch_name

        self.session = session
        self.options = options
        self.state = state
        self.observer = observer
        from hammurabi.orchestration.fleet.targets import Shard

        shard = Shard.parse(options.shard) if options.shard else None
        self.limits = Limits(
            api_jobs=options.api_jobs,
            max_prs=options.max_prs,
            pr_interval=options.pr_interval,
            shard=(shard.index, shard.count) if shard else None,
        )
        self.stop = (fork_context() or multiprocessing.get_context()).Event()
        self.branch = session.settings.git.branch or default_branch_name(session.settings)
        #: Names of the repositories worker processes start on, for the progress display.
        self.events: Any = None
        self._forge: Forge | None = None
        self._forge_ready = False
        self._forge_lock = threading.Lock()

    def run(self, targets: list[Target]) -> list[RepoRun]:
        records: dict[str, RepoRun] = {}
        todo = []
        for target in targets:
            if self.state.finished(target.name) and not self.options.dry_run:
                entry = self.state.repos[target.name]
                records[target.name] = RepoRun(
                    target.name,
                    Status(entry["status"]),
                    entry.get("reason"),
                    branch=entry.get("branch"),
                    pull=entry.get("pull") or {},
                    stage=entry.get("stage"),
                    earlier=True,
                )
            else:
                todo.append(target)
        if len(todo) < len(targets):
            log.info("skipping %d repositories finished earlier", len(targets) - len(todo))
        self.observer.begin(len(todo))
        parallel = self.options.jobs > 1 and fork_context() is not None
        runs = self._pool(todo) if parallel else self._inline(todo)
        for repo in runs:
            self._record(records, repo)
        return [records[target.name] for target in targets if target.name in records]

    def _inline(self, todo: list[Target]) -> Iterator[RepoRun]:
        for target in todo:
            self.observer.started(target.name)
            yield self._one(target)

    def _pool(self, todo: list[Target]) -> Iterator[RepoRun]:
        context = fork_context()
        jobs = min(self.options.jobs, max(1, len(todo)))
        self.events = context.Queue()
        pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker, initargs=(self,))
        futures = {pool.submit(_work, target): target for target in todo}
        pending: set[Future[RepoRun]] = set(futures)
        try:
            while pending:
                try:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    self._started()
                except KeyboardInterrupt:
                    if self.stop.is_set():
                        raise  # a second Ctrl-C: stop waiting
                    log.warning("interrupted: finishing the repositories in progress")
                    self.stop.set()
                    continue
                for future in done:
                    try:
                        yield future.result()
                    except BrokenProcessPool as exc:
                        yield self._failed(futures[future], f"its worker process died: {exc}")
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self.events.close()
            self.events = None

    def _started(self) -> None:
        """Tell the observer which repositories the workers started on."""
        while True:
            try:
                name = self.events.get_nowait()
            except queue.Empty:
                return
            self.observer.started(name)

    def _record(self, records: dict[str, RepoRun], repo: RepoRun) -> None:
        if repo.result is not None:
            self._finished(repo.result)
        records[repo.name] = repo
        if not self.options.dry_run and repo.status is not Status.NOT_STARTED:
            self.state.record(repo.name, repo.summary())
        self.observer.finished(repo)

    # -- one repository ---------------------------------------------------------------------

    def _one(self, target: Target) -> RepoRun:
        if self.stop.is_set():
            return RepoRun(target.name, Status.NOT_STARTED, "the run was interrupted")
        if self.events is not None:
            self.events.put(target.name)
        started = time.perf_counter()
        try:
            record = self._enforce(target)
        except KeyboardInterrupt:
            self.stop.set()
            record = RepoRun(target.name, Status.INTERRUPTED, "interrupted (Ctrl-C)")
        except HammurabiError as exc:
            record = self._failed(target, str(exc))
        except Exception as exc:
            log.debug("internal error in %s", target.name, exc_info=True)
            record = self._failed(target, f"internal error: {type(exc).__name__}: {exc}")
        record.seconds = time.perf_counter() - started
        return record

    def _enforce(self, target: Target) -> RepoRun:
        from hammurabi.orchestration import branch as workflow
        from hammurabi.orchestration import window
        from hammurabi.orchestration.fleet import cache
        from hammurabi.orchestration.repository import run_context

        credentials = target.credentials or self._credentials(target)
        # The clone is fetched here (or fresh): the workflow need not ask the remote again.
        refresh = [name for name in (self.session.settings.git.base, self.branch) if name]
        repo, _ = cache.checkout(self.options.cache, target, credentials, refresh=refresh)
        session = dataclasses.replace(self.session, root=repo.root)
        # The window is asked per repository: one that closes mid-run holds the rest back.
        dry_run = self.options.dry_run
        try:
            closed = None if dry_run else window.check(session.settings.window)
        except BaseException:
            repo.close()
            raise
        with run_context(session.settings):  # the runner's settings only
            result = workflow.run(
                session,
                dry_run=dry_run or bool(closed),
                run_id=self.state.run_id,
                fetched=True,
                kept=True,
                repo=repo,  # opened and fetched: not opened again (closed by the run)
            )
        window.mark(result, closed)
        result.repo = result.repo or target.name
        masking.scrub(result)
        for rule in result.walk():
            rule.output = None  # values handed between rules: not needed, maybe not picklable
        return self._judge(target, result)

    def read_pulls(self, targets: list[Target]) -> dict[str, Any] | None:
        """Read every repository's bot pull requests at once, where the forge can
        (``read_pulls``: GitHub's GraphQL API), for the runs to answer from
        (:attr:`Limits.known`); say what it cost."""
        settings = self.session.settings
        forge = self.session.pm.hook.hammurabi_forge(settings=settings)
        reader = getattr(forge, "read_pulls", None)
        if forge is None or reader is None or not targets:
            return None
        names = [name for name in (forge.repository(t.url) for t in targets) if name]
        try:
            found = reader(names, self.branch)
        except HammurabiError as exc:  # the runs read through REST
            log.info("batched pull-request reads failed: %s", exc)
            return {"repositories": 0, "error": str(exc)}
        self.limits.known, self.limits.known_head = dict(found.known), self.branch
        self.limits.batched = found.error is None
        reads: dict[str, Any] = found.to_dict()
        log.info(
            "read the pull requests of %d of %d repositories in %d GraphQL quer%s (%d points)",
            len(found.known),
            len(names),
            found.queries,
            "y" if found.queries == 1 else "ies",
            found.cost,
        )
        return reads

    def canary(self, targets: list[Target]) -> dict[str, Any]:
        """Survey the campaign and set the canary gate (``--canary``)."""
        return _canary(self, targets)

    def _judge(self, target: Target, result: RunResult) -> RepoRun:
        git, pull, campaign = result.git, result.pull_request, result.campaign
        summary = _pull_summary(pull) if pull is not None else {}
        if campaign is not None and campaign.automerge is not None:
            summary["automerge"] = campaign.automerge.to_dict()
        action = git.action if git is not None and git.mode is GitMode.BRANCH else None
        moved = git.brought_up_to_date if git is not None else None
        if moved:  # rebuilt on a base it conflicted with or was behind (``plan.Decision.UPDATE``)
            summary["brought_up_to_date"] = moved
        record = RepoRun(target.name, result.status, branch=action, pull=summary)
        if moved and action in (BranchAction.UPDATED, BranchAction.REBUILD):
            record.reason = f"brought up to date: {_MOVED.get(moved, moved)}"
        record.stage = campaign.stage if campaign is not None else None
        record.result = result
        if result.repo in self.limits.capped or target.name in self.limits.capped:
            record.status = Status.DEFERRED
            record.reason = result.error
            if campaign is not None:  # pushed, its pull request held back: not a failure
                result.campaign = campaign._replace(stage=Stage.UNPROPOSED)
                record.stage = Stage.UNPROPOSED
        elif record.status is Status.FAILED:
            record.reason = "; ".join(result.failures()) or "failed"
        elif record.status is Status.HELD:
            record.reason = git.held if git is not None else None
        return record

    def _failed(self, target: Target, reason: str) -> RepoRun:
        """A repository that failed before its laws ran: recorded, and told to the plugins."""
        reason = masking.clean(reason)  # an error may quote a URL, a token, a hostile name
        result = RunResult(
            root=str(target.url),
            run_id=self.state.run_id,
            version=__version__,
            dry_run=self.options.dry_run,
            repo=target.name,
            error=reason,
        )
        record = RepoRun(target.name, Status.FAILED, reason)
        record.result = result
        return record

    def _finished(self, result: RunResult) -> None:
        from hammurabi.orchestration.repository import run_finished

        run_finished(self.session, result)

    def _credentials(self, target: Target) -> Credentials | None:
        """The forge's credentials for cloning ``target`` over HTTPS, if it hosts it."""
        if not target.url.startswith(("http://", "https://")):
            return None
        with self._forge_lock:
            if not self._forge_ready:
                settings = self.session.settings
                self._forge = self.session.pm.hook.hammurabi_forge(settings=settings)
                self._forge_ready = True
        forge = self._forge
        repository = forge.repository(target.url) if forge is not None else None
        if forge is None or repository is None:
            return None
        return forge.git_credentials(repository)


def _pull_summary(pull: PullRequestRecord) -> dict[str, Any]:
    """The pull request as the fleet's report and state file keep it (the fields set)."""
    data = pull.to_dict()
    keys = ("action", "number", "url", "title", "state", "checks", "failing", "review")
    return {key: data[key] for key in (*keys, "mergeable_state") if data.get(key)}


def _canary(fleet: _Fleet, targets: list[Target]) -> dict[str, Any]:
    """Survey the campaign and set the fleet's canary gate; return what was decided."""
    from hammurabi.orchestration.fleet import canary

    found = canary.Canary(fleet.options.canary, fleet.options.canary_failing)
    forge = fleet.session.pm.hook.hammurabi_forge(settings=fleet.session.settings)
    if forge is None:
        found.decision, found.message = "widen", "no forge: nothing to wait for"
    else:
        canary.survey(LimitedForge(forge, fleet.limits), targets, fleet.branch, found)
        canary.decide(found)
    fleet.limits.gate(found.hold, found.new)
    log.info("%s", found.message)
    return found.to_dict()


#: The fleet a worker process works for (set in the worker when it starts).
_WORKER: _Fleet | None = None


def _worker(fleet: _Fleet) -> None:
    """Start a worker process: remember the fleet; Ctrl-C is the parent's to handle."""
    global _WORKER
    _WORKER = fleet
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A process group of its own: Ctrl-C at the terminal reaches the whole foreground
    # group, and git (or its HTTP helper) would die of it mid-clone, failing the repository.
    os.setpgrp()


def _work(target: Target) -> RepoRun:
    assert _WORKER is not None, "not a fleet worker process"
    return _WORKER._one(target)


#: Why a bot branch was rebuilt on its moved base, by GitHub's ``mergeable_state``.
_MOVED = {
    "dirty": "it conflicted with its base branch",
    "behind": "it was behind its base branch, which branch protection wants it up to date with",
}
