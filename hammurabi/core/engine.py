"""Run laws against one repository and collect the run's record.

A dry run works on a throw-away copy of the tree, so even custom rules that write files
themselves change nothing, and the diff is still exact.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from hammurabi.core.errors import PathError
from hammurabi.core.law import Law
from hammurabi.core.results import LawResult, RunResult
from hammurabi.core.version import __version__
from hammurabi.core.workspace import IGNORED_DIRS, Workspace, activated


def new_run_id() -> str:
    return uuid.uuid4().hex


def enforce(
    laws: Iterable[Law],
    root: str | os.PathLike[str],
    *,
    dry_run: bool = False,
    run_id: str | None = None,
    repo: str | None = None,
    on_law: Callable[[LawResult], None] | None = None,
) -> RunResult:
    """Apply ``laws`` in order to the tree at ``root``; one failing law never stops the rest."""
    root_path = Path(root)
    if not root_path.is_dir():
        raise PathError(f"repository {os.fspath(root)!r} is not a directory")
    result = RunResult(
        root=str(root_path.resolve()),
        run_id=run_id or new_run_id(),
        version=__version__,
        dry_run=dry_run,
        repo=repo,
    )
    result.started_at = datetime.now(UTC)
    started = time.perf_counter()
    if dry_run:
        with tempfile.TemporaryDirectory(prefix="hammurabi-dry-run-") as scratch:
            copy = Path(scratch) / root_path.resolve().name
            shutil.copytree(
                root_path, copy, symlinks=True, ignore=shutil.ignore_patterns(*IGNORED_DIRS)
            )
            _run_laws(laws, Workspace(copy), result, on_law)
    else:
        _run_laws(laws, Workspace(root_path), result, on_law)
    result.duration = time.perf_counter() - started
    return result


def _run_laws(
    laws: Iterable[Law],
    space: Workspace,
    result: RunResult,
    on_law: Callable[[LawResult], None] | None,
) -> None:
    with activated(space), space.scope() as changes:
        for law in laws:
            law_result = law.enforce()
            result.laws.append(law_result)
            if on_law is not None:
                on_law(law_result)
    result.changes = changes
