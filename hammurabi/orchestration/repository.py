"""Run one repository: its laws, then git and the pull request, reports and run hooks.

The CLI is a thin layer over this module; tests and other tools can use it directly.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from hammurabi.core import masking
from hammurabi.core.results import RunResult
from hammurabi.loading.settings import Settings
from hammurabi.orchestration.session import (
    Session,
    check_metrics,
    check_report_path,
    prepare,
    repository_trusted,
)

__all__ = [
    "Session",
    "check_metrics",
    "check_report_path",
    "enforce",
    "prepare",
    "repository_trusted",
    "run_context",
    "run_finished",
    "run_starting",
    "write_reports",
]

log = logging.getLogger(__name__)


def enforce(
    session: Session, *, dry_run: bool = False, run_id: str | None = None, git: bool = True
) -> RunResult:
    """Run the session's laws on its repository, then write reports and call run hooks.

    In a git repository the changes become a bot branch with one commit per law, pushed
    and turned into a pull request when configured (see :mod:`hammurabi.orchestration.branch`);
    ``git=False`` only edits files. Outside the maintenance window (``window`` settings)
    the run is a dry run, recorded as such (see :mod:`hammurabi.orchestration.window`).
    """
    from hammurabi.orchestration import window
    from hammurabi.orchestration.branch import run as run_workflow

    closed = window.check(session.settings.window) if git and not dry_run else None
    run_starting(session)
    with run_context(session.settings):
        result = run_workflow(session, dry_run=dry_run or bool(closed), run_id=run_id, use_git=git)
        result = masking.scrub(window.mark(result, closed))
    write_reports(session, result)
    run_finished(session, result)
    return result


@contextlib.contextmanager
def run_context(settings: Settings) -> Iterator[None]:
    """What the runner's settings decide for the rules of a run: commands, limits."""
    from hammurabi.core import limits

    with (
        limits.commands_allowed(settings.allow_commands),
        limits.applied(limits.Limits.from_settings(settings.limits)),
    ):
        yield


def run_starting(session: Session) -> None:
    """Let the plugins get ready for a repository run (in the background); never raises."""
    try:
        session.pm.hook.hammurabi_run_starting(settings=session.settings)
    except Exception:
        log.exception("a plugin failed in hammurabi_run_starting")


def run_finished(session: Session, result: RunResult) -> None:
    """Tell the plugins (metrics, notifications) that a repository run ended; never raises."""
    masking.scrub(result)  # what plugins (metrics) store is masked too
    try:
        session.pm.hook.hammurabi_run_finished(
            result=result, settings=session.settings, laws=session.laws
        )
    except Exception:
        log.exception("a plugin failed in hammurabi_run_finished")


def write_reports(session: Session, result: RunResult) -> None:
    """Write each ``NAME=PATH`` report, and the Markdown summary for GitHub Actions."""
    for spec in session.settings.reports:
        name, _, target = spec.partition("=")
        text = masking.mask(session.registry.reporters[name].render(result))
        if target == "-":
            print(text, end="")
        else:
            Path(target).write_text(text, encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and "markdown" in session.registry.reporters:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(masking.mask(session.registry.reporters["markdown"].render(result)))
