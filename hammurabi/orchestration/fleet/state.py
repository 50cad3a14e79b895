"""The state file that makes a fleet run resumable.

It records the run id and, for each repository, how its run ended. Re-running with the same
file after an interruption keeps the run id and skips the repositories that finished
(failed ones and ones whose pull request was deferred by the cap are tried again). Once
every repository of a run finished, the file is marked complete and the next run starts
afresh with a new run id. Every update replaces the file atomically (write a temporary file
beside it, fsync, rename), so an interruption never leaves half a file.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hammurabi.core.errors import ConfigError
from hammurabi.core.results import Status

log = logging.getLogger(__name__)

VERSION = 1
#: Statuses that count as finished: a resumed run skips these repositories.
FINISHED = frozenset(
    status.value
    for status in Status
    if status
    not in (
        Status.FAILED,
        Status.INTERRUPTED,
        Status.DEFERRED,
        Status.NOT_STARTED,
        Status.OUTSIDE_WINDOW,
    )
)


class FleetState:
    """The run id and each repository's status, saved after every repository."""

    def __init__(self, path: Path | None, run_id: str, repos: dict[str, dict[str, Any]]):
        self.path = path
        self.run_id = run_id
        self.repos = repos
        self.complete = False
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls, path: str | os.PathLike[str] | None, run_id: str | None, new_id: str
    ) -> FleetState:
        """Load ``path`` to resume its run, or start a new state.

        The file's run continues unless it is complete or ``run_id`` names another run;
        ``new_id`` is the id a new run gets when ``run_id`` is None.
        """
        if path is None:
            return cls(None, run_id or new_id, {})
        file = Path(path)
        data = _read(file)
        if data and not data.get("complete") and run_id in (None, data.get("run_id")):
            repos = data.get("repos") or {}
            log.info("resuming run %s: %d repositories recorded", data["run_id"], len(repos))
            return cls(file, str(data["run_id"]), dict(repos))
        if data and not data.get("complete"):
            log.warning("%s belongs to run %s; starting run %s", file, data.get("run_id"), run_id)
        return cls(file, run_id or new_id, {})

    def finished(self, name: str) -> bool:
        """Tell whether repository ``name`` finished in an earlier attempt of this run."""
        entry = self.repos.get(name) or {}
        return entry.get("status") in FINISHED

    def record(self, name: str, entry: dict[str, Any]) -> None:
        """Remember how ``name`` ended and save the file."""
        with self._lock:
            self.repos[name] = {**entry, "at": datetime.now(UTC).isoformat(timespec="seconds")}
            self._save()

    def finish(self, names: list[str]) -> None:
        """Mark the run complete if every one of ``names`` finished, and save."""
        with self._lock:
            self.complete = all(self.finished(name) for name in names)
            self._save()

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "run_id": self.run_id,
            "complete": self.complete,
            "repos": self.repos,
        }

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_dict(), indent=1, sort_keys=True)
        handle, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def _read(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(
            f"cannot read the state file {os.fspath(path)!r}: {exc.strerror}"
        ) from None
    try:
        data = json.loads(text)
    except ValueError:
        raise ConfigError(f"the state file {os.fspath(path)!r} is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("run_id"), str):
        raise ConfigError(f"the state file {os.fspath(path)!r} is not a Hammurabi state file")
    return data
