"""The state file that makes a fleet run resumable.

It records the run id and, for each repository, how its run ended. Re-running with the same
file after an interruption keeps the run id and skips the repositories that finished
(failed ones and ones whose pull request was deferred by the cap are tried again). Once
every repository of a run finished, the file is marked complete and the next run starts
afresh with a new run id.

The file is JSON Lines: a first line with the run id, then one line appended per repository
(so recording one costs the same in a fleet of ten or ten thousand) and a last
``{"complete": true}``. A new run replaces the file atomically (temporary file, rename); a
line torn by a kill is ignored and cut off when the run resumes. The one-object files of
version 1 are still read.
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

VERSION = 2
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
        Status.HELD,
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
        #: Whether the file holds this run (a resumed one): records are appended to it.
        self._appending = False

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
            state = cls(file, str(data["run_id"]), dict(repos))
            state._appending = data.get("version", VERSION) == VERSION
            return state
        if data and not data.get("complete"):
            log.warning("%s belongs to run %s; starting run %s", file, data.get("run_id"), run_id)
        return cls(file, run_id or new_id, {})

    def finished(self, name: str) -> bool:
        """Tell whether repository ``name`` finished in an earlier attempt of this run."""
        entry = self.repos.get(name) or {}
        return entry.get("status") in FINISHED

    def record(self, name: str, entry: dict[str, Any]) -> None:
        """Remember how ``name`` ended and append it to the file."""
        with self._lock:
            self.repos[name] = {**entry, "at": datetime.now(UTC).isoformat(timespec="seconds")}
            self._append({"repo": name, **self.repos[name]})

    def finish(self, names: list[str]) -> None:
        """Mark the run complete if every one of ``names`` finished."""
        with self._lock:
            self.complete = all(self.finished(name) for name in names)
            if self.complete:
                self._append({"complete": True})

    def _append(self, line: dict[str, Any]) -> None:
        if self.path is None:
            return
        if self._appending:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line, sort_keys=True) + "\n")
            return
        # A new run (or a version 1 file): replaced atomically, then appended to.
        lines = [{"version": VERSION, "run_id": self.run_id}]
        lines += [{"repo": name, **entry} for name, entry in self.repos.items()]
        lines += [{"complete": True}] if self.complete else []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write("".join(json.dumps(one, sort_keys=True) + "\n" for one in lines))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        self._appending = True


def _read(path: Path) -> dict[str, Any] | None:
    """The state in ``path`` as version 1 held it (run id, complete, repos), or None."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(
            f"cannot read the state file {os.fspath(path)!r}: {exc.strerror}"
        ) from None
    data = _lines(path, text)
    if not isinstance(data, dict) or not isinstance(data.get("run_id"), str):
        raise ConfigError(f"the state file {os.fspath(path)!r} is not a Hammurabi state file")
    return data


def _lines(path: Path, text: str) -> Any:
    """Parse the JSON Lines (or version 1's single object) of a state file; a torn last
    line is dropped from the file."""
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if whole is not None and not (
        isinstance(whole, dict) and "version" in whole and len(whole) == 2
    ):
        return whole  # version 1 (or not a state file at all)
    lines = text.split("\n")
    records: list[Any] = []
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            if number == len(lines) - 1 and records:  # torn by a kill: cut it off
                with path.open("r+b") as handle:
                    handle.truncate(len(text.encode("utf-8")) - len(line.encode("utf-8")))
                break
            raise ConfigError(f"the state file {os.fspath(path)!r} is not valid JSON") from None
    if not records or not isinstance(records[0], dict):
        raise ConfigError(f"the state file {os.fspath(path)!r} is not valid JSON")
    repos: dict[str, Any] = {}
    data = {"run_id": records[0].get("run_id"), "complete": False, "repos": repos}
    for record in records[1:]:
        if not isinstance(record, dict):
            continue
        if record.get("complete"):
            data["complete"] = True
        elif isinstance(record.get("repo"), str):
            repos[record.pop("repo")] = record
    return data
