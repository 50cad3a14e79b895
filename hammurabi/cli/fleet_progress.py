"""The progress bar of a fleet run: one bar, the repositories in progress, the last results.

Drawn on stderr with rich when it is a terminal; silent otherwise (CI logs get the summary
table and, with ``-v``, one log line per repository).
"""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from hammurabi.core.results import Status

if TYPE_CHECKING:
    from hammurabi.orchestration.fleet.records import RepoRun

log = logging.getLogger(__name__)


class ProgressBar:
    """An :class:`hammurabi.orchestration.fleet.run.Observer` that draws a rich progress bar."""

    def __init__(self, *, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress: Any = None
        self._task: Any = None
        self._active: dict[str, Any] = {}
        self._done: set[str] = set()
        self._lock = threading.Lock()

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def begin(self, total: int) -> None:
        if self._progress is not None:
            self._task = self._progress.add_task("repositories", total=total)

    def started(self, name: str) -> None:
        if self._progress is None:
            return
        with self._lock:
            if name not in self._done:  # news of the start may come after the end
                self._active[name] = self._progress.add_task(f"  {name}", total=None)

    def finished(self, repo: RepoRun) -> None:
        log.info("%s: %s%s", repo.name, repo.status, f" ({repo.reason})" if repo.reason else "")
        if self._progress is None:
            return
        with self._lock:
            self._done.add(repo.name)
            task = self._active.pop(repo.name, None)
            if task is not None:
                self._progress.remove_task(task)
            if self._task is not None:
                self._progress.update(self._task, advance=1)
            if repo.status in (Status.FAILED, Status.INTERRUPTED, Status.BLOCKED):
                self._progress.console.print(f"[red]{repo.name}: {repo.status}[/] {repo.reason}")
