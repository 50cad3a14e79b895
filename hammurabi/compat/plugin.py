"""The ``compat`` plugin: 0.11 reports and notifications after a repository's run.

After each run, every 0.11-style pillar among the run's laws writes its report (when it
asked for a ``reporter_class``, or the repository uses 0.11's settings; not in dry runs,
not with ``--no-report``, only for the repository worked in as the current directory, as
0.11 did) and sends its notifications when the run opened or updated a pull request.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hammurabi.core.hooks import hookimpl
from hammurabi.core.records import BranchAction, PullAction

if TYPE_CHECKING:
    from hammurabi.compat.pillar import Pillar
    from hammurabi.core.law import Law
    from hammurabi.core.results import RunResult
    from hammurabi.loading.settings import Settings

log = logging.getLogger(__name__)


class OriginalJsonReport:
    """``--report json-0.11=PATH``: the run in 0.11's report format."""

    name = "json-0.11"
    description = "The run as Hammurabi 0.11's JSON report (passed, failed, skipped rules)."

    def render(self, result: RunResult) -> str:
        from hammurabi.compat.reporting import JsonReporter, rule_items

        reporter = JsonReporter([])
        reporter.attach(result)
        return rule_items(reporter, result).json() + "\n"


@hookimpl
def hammurabi_reporters() -> tuple[OriginalJsonReport, ...]:
    return (OriginalJsonReport(),)


@hookimpl
def hammurabi_run_finished(result: RunResult, settings: Settings, laws: Sequence[Law]) -> None:
    if "hammurabi.compat.pillar" not in sys.modules:
        return  # no 0.11 pillar made any of the laws (and 0.11's reporting is left unimported)
    from hammurabi.compat.pillar import pillars_of

    for pillar in pillars_of(laws):
        write_report(pillar, result, settings)
        notify(pillar, result, settings)


def write_report(pillar: Pillar, result: RunResult, settings: Settings) -> Path | None:
    """Write the pillar's 0.11 report into the repository; the path written, or None."""
    from hammurabi.compat.reporting import DEFAULT_REPORT_NAME

    original = settings.original
    if pillar.reporter_class is None and not original:
        return None
    if result.dry_run or not original.get("report", True):
        return None
    root = Path(result.root).resolve()
    if root != Path.cwd().resolve():
        log.info("0.11 report skipped: %s is not the current directory", root)
        return None
    target = (root / str(original.get("report_name") or DEFAULT_REPORT_NAME)).resolve()
    if root not in target.parents:
        log.error("0.11 report skipped: report_name points outside the repository")
        return None
    reporter = pillar.reporter
    reporter.report_path = target
    target.parent.mkdir(parents=True, exist_ok=True)
    reporter.attach(result)
    try:
        reporter.report()
    except Exception as exc:  # a custom reporter's failure never fails the run
        log.error("the 0.11 reporter %s failed: %s", type(reporter).__name__, exc)
        return None
    return target


def notify(pillar: Pillar, result: RunResult, settings: Settings) -> int:
    """Send the pillar's notifications if the run opened or updated a pull request."""
    pull, git = result.pull_request, result.git
    if result.dry_run or not pillar.notifications or pull is None or not pull.url:
        return 0
    pushed = git is not None and git.action in (BranchAction.CREATED, BranchAction.UPDATED)
    opened_or_updated = pull.action in (PullAction.OPENED, PullAction.UPDATED) or (
        pull.action is PullAction.UNCHANGED and pushed
    )
    if not opened_or_updated:
        return 0
    secrets = [
        secret
        for secret in (
            settings.github.token,
            settings.github.private_key,
            os.environ.get("GITHUB_TOKEN", ""),
            os.environ.get("HAMMURABI_GITHUB_TOKEN", ""),
        )
        if secret
    ]
    repository = pull.repository or settings.github.repository
    sent = 0
    for notification in pillar.notifications:
        sent += notification.send(pull.url, repository=repository, secrets=secrets)
    return sent
