"""Limits on what a fleet run asks of the forge: concurrent writes, and pull requests opened.

Git work runs in ``--jobs`` processes; forge writes (opening, updating, closing pull requests,
comments) go through their own, smaller limit (``--api-jobs``, one by default: GitHub asks
for no concurrent writes). ``--max-prs`` caps the pull requests opened in one run and
``--pr-interval`` spaces out the writes that start CI, repository after repository: the bot
branch's push (new or rebuilt) and the pull request opened with it, so a fleet does not
start hundreds of CI runs within seconds. The pace is fleet-wide when the run is one shard of
a CI matrix (``--shard K/N``): the shards share no state, so each pushes only in its own
slots of one grid on the wall clock, ``(i·N + K-1)·interval`` from a whole multiple of
``N·interval``; shards started together (or not) never push in the same slot, and N shards
start CI as often as one run would. A repository over the cap still gets its branch
pushed; its pull request opens on a later run (the repository is reported as ``deferred``).

The limits wrap whichever forge the ``hammurabi_forge`` hook returns (a hook wrapper), so
they apply to third-party forges too.

The wrapped forge also answers the reads a fleet made for every repository at once before
the repositories run (:attr:`Limits.known`: GitHub's GraphQL reads of the bot pull requests,
see :mod:`hammurabi.integrations.forges.batch`): ``find_pulls`` and ``pull_state`` answer from
them while they are fresh (``KNOWN_MAX_AGE``) and nothing was written to the repository's
pull request or branch since. A state the batched reads no longer tell (read after a push)
is one more such read of the one repository (one request instead of REST's four), when the
fleet's reads worked; otherwise the forge is asked as before.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hammurabi.core.hooks import hookimpl
from hammurabi.integrations.forges.base import ForgeError

if TYPE_CHECKING:
    from hammurabi.core.pullstate import PullState
    from hammurabi.core.records import Credentials
    from hammurabi.integrations.forges.base import (
        Forge,
        PullRequest,
        PullRequestOptions,
        PullRequestSpec,
    )
    from hammurabi.integrations.forges.batch import KnownPulls
    from hammurabi.loading.settings import Settings


#: Seconds the fleet's batched reads answer for a repository (older: read again).
KNOWN_MAX_AGE = 600.0


def fork_context() -> Any:
    """The ``fork`` multiprocessing context, or None where there is none (Windows)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


class PullCapReached(ForgeError):
    """The run opened as many pull requests as ``--max-prs`` allows."""

    #: The branch stays pushed: its pull request opens on a later run.
    deferred = True


class Limits:
    """Shared by every repository of a fleet run; register it on the plugin manager."""

    def __init__(
        self,
        *,
        api_jobs: int = 1,
        max_prs: int = 0,
        pr_interval: float = 0.0,
        shard: tuple[int, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``shard``: (K, N), this run is shard K (1-based) of N: paced on the wall clock's
        grid the shards share (see the module docstring)."""
        # Shared by the worker processes of a fleet run (forked after this is made).
        context = fork_context() or multiprocessing.get_context()
        self.writes = context.BoundedSemaphore(max(1, api_jobs))
        self.max_prs = max(0, max_prs)
        self.pr_interval = max(0.0, pr_interval)
        #: Repositories (as the forge names them) whose pull request was held back in this
        #: process.
        self.capped: set[str] = set()
        #: A canary rollout's gate (:meth:`gate`): why new pull requests wait (None: they
        #: may open), and how many may still open in this run (-1: no limit).
        self.hold: str | None = None
        #: Repositories this process has paced already (a push and its pull request go
        #: together: one repository's writes are paced once).
        self._paced: set[str] = set()
        self._new = context.Value("i", -1, lock=False)
        self._opened = context.Value("i", 0, lock=False)
        self._next_open = context.Value("d", 0.0, lock=False)
        self._lock = context.Lock()
        self._clock, self._sleep = clock, sleep
        #: This shard's slots: every ``_period`` seconds of the wall clock, ``_offset`` in.
        self._period, self._offset = 0.0, 0.0
        if shard is not None and shard[1] > 1:
            self._clock = wall
            self._period = self.pr_interval * shard[1]
            self._offset = self.pr_interval * (shard[0] - 1)
        #: The bot branch's pull requests of every repository, read at once before the
        #: workers fork (each worker forgets those of a repository once it writes there).
        self.known: dict[str, KnownPulls] = {}
        self.known_head: str | None = None
        #: Whether the fleet's batched reads worked (then a state is read that way too).
        self.batched = False

    def known_pulls(
        self, repository: str, head: str, base: str | None
    ) -> tuple[PullRequest | None, PullRequest | None] | None:
        """What ``find_pulls`` answers for ``repository`` from the batched reads, if they can
        tell (fresh, the same branch, nothing written since)."""
        known = self._fresh(repository) if head == self.known_head else None
        return known.pick(base) if known is not None else None

    def known_state(self, repository: str, pull: PullRequest) -> PullState | None:
        """``pull``'s state from the batched reads, if they hold it and its head is the same."""
        known = self._fresh(repository)
        return known.state(pull) if known is not None else None

    def read_state(self, forge: Forge, repository: str, pull: PullRequest) -> PullState | None:
        """``pull``'s state read as the batched reads read it, for its repository alone
        (after a push: its head is new); None when the forge cannot or the read failed."""
        reader = getattr(forge, "read_pulls", None)
        if not self.batched or reader is None:
            return None
        found = reader([repository], pull.head)
        known = found.known.get(repository) if found.error is None else None
        return known.states.get(pull.number) if known is not None else None

    def forget(self, repository: str) -> None:
        """A write to ``repository``'s branch or pull request: its batched reads are stale."""
        self.known.pop(repository, None)

    def _fresh(self, repository: str) -> KnownPulls | None:
        known = self.known.get(repository)
        if known is None:
            return None
        if (datetime.now(UTC) - known.read_at).total_seconds() > KNOWN_MAX_AGE:
            self.known.pop(repository, None)
            return None
        return known

    @property
    def opened(self) -> int:
        """Pull requests opened (or being opened) in this run, by every process."""
        return int(self._opened.value)

    def reserve(self, repository: str) -> None:
        """Take one pull request of the cap (or raise PullCapReached), then keep the pace."""
        with self._lock:
            if self.max_prs and self._opened.value >= self.max_prs:
                self.capped.add(repository)
                raise PullCapReached(
                    f"the cap of {self.max_prs} pull request(s) per run is reached; the "
                    "branch is pushed and its pull request opens on a later run"
                )
            self._opened.value += 1
        self.pace(repository)

    def pace(self, repository: str) -> None:
        """Wait for ``repository``'s turn to start CI (``--pr-interval`` after the previous
        repository's, in any worker process); once per repository."""
        if repository in self._paced:
            return
        self._paced.add(repository)
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_open.value)
            if self._period:  # this shard's next slot on the shared grid
                slot = self._offset + math.ceil((slot - self._offset) / self._period) * self._period
            self._next_open.value = slot + (self._period or self.pr_interval)
        if slot > now:
            self._sleep(slot - now)

    def gate(self, hold: str | None, new: int = -1) -> None:
        """Set the canary gate before the workers start: ``hold`` says why no new pull
        request may open; else at most ``new`` may (-1: any number)."""
        self.hold = hold
        self._new.value = new

    def may_propose(self, repository: str) -> str | None:
        """Why ``repository`` may not get a new pull request now (a canary rollout), or
        None, taking one of the new pull requests the gate allows."""
        if self.hold is not None:
            return self.hold
        with self._lock:
            if self._new.value == 0:
                return "the canaries are proposed: the others wait for their checks to pass"
            if self._new.value > 0:
                self._new.value -= 1
        return None

    def release(self) -> None:
        """Give back a reservation whose pull request was not opened."""
        with self._lock:
            self._opened.value -= 1

    @hookimpl(wrapper=True)
    def hammurabi_forge(self, settings: Settings) -> Generator[None, Any, Forge | None]:
        """Put the fleet's limits around the forge the other plugins return."""
        forge = yield
        return None if forge is None else LimitedForge(forge, self)


class LimitedForge:
    """A forge whose writes go through the fleet's :class:`Limits`."""

    def __init__(self, forge: Forge, limits: Limits) -> None:
        self.inner = forge
        self.limits = limits
        self.name = forge.name
        self.options: PullRequestOptions = forge.options
        self.warnings: list[str] = forge.warnings  # the same list: the forge appends to it

    def __getattr__(self, attribute: str) -> Any:  # optional capabilities (list_repositories)
        found = getattr(self.inner, attribute)
        limits = self.limits
        if attribute in ("merge_pull", "delete_branch", "remove_label"):  # writes: limited

            def write(repository: str, *args: Any, **kwargs: Any) -> Any:
                limits.forget(repository)
                with limits.writes:
                    return found(repository, *args, **kwargs)

            return write
        if attribute == "find_pulls":  # the fleet's batched reads first

            def find_pulls(
                repository: str, head: str, base: str | None
            ) -> tuple[PullRequest | None, PullRequest | None]:
                known = limits.known_pulls(repository, head, base)
                return known if known is not None else found(repository, head, base)

            return find_pulls
        if attribute == "pull_state":

            def pull_state(repository: str, pull: PullRequest) -> PullState:
                known = limits.known_state(repository, pull)
                if known is None:
                    known = limits.read_state(self.inner, repository, pull)
                return known if known is not None else found(repository, pull)

            return pull_state
        return found

    def repository(self, remote_url: str) -> str | None:
        return self.inner.repository(remote_url)

    def git_credentials(self, repository: str) -> Credentials | None:
        return self.inner.git_credentials(repository)

    def secrets(self) -> list[str]:
        return self.inner.secrets()

    def find_pull(self, repository: str, head: str, base: str | None) -> PullRequest | None:
        return self.inner.find_pull(repository, head, base)

    def may_propose(self, repository: str) -> str | None:
        return self.limits.may_propose(repository)

    def pace(self, repository: str) -> None:
        self.limits.forget(repository)  # a push follows
        self.limits.pace(repository)

    def open_pull(self, repository: str, spec: PullRequestSpec) -> PullRequest:
        self.limits.forget(repository)
        self.limits.reserve(repository)
        try:
            with self.limits.writes:
                return self.inner.open_pull(repository, spec)
        except BaseException:
            self.limits.release()
            raise

    def update_pull(
        self, repository: str, pull: PullRequest, spec: PullRequestSpec
    ) -> tuple[PullRequest, list[str]]:
        with self.limits.writes:
            updated, changes = self.inner.update_pull(repository, pull, spec)
        if changes:
            self.limits.forget(repository)
        return updated, changes

    def close_pull(self, repository: str, pull: PullRequest, comment: str) -> PullRequest:
        self.limits.forget(repository)
        with self.limits.writes:
            return self.inner.close_pull(repository, pull, comment)

    def upsert_comment(self, repository: str, pull: PullRequest, key: str, body: str) -> bool:
        with self.limits.writes:
            return self.inner.upsert_comment(repository, pull, key, body)
