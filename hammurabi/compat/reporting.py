"""Hammurabi 0.11's reporters: ``Reporter`` and ``JsonReporter``, with the original format.

A reporter is built with the pillar's laws and, after the run, given the run's record
(:attr:`Reporter.result`); :meth:`Reporter._get_report` sorts every top-level rule into
``passed`` (it or its chain changed something), ``failed`` (it or its chain failed) and
``skipped`` (anything else), exactly the keys 0.11 wrote::

    {"passed": [{"name": ..., "law": {"name": ..., "description": ...}}], "failed": [...],
     "skipped": [...], "additional_data": {"started": ..., "finished": ...,
     "pull_request_url": ...}}
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hammurabi.core.results import Outcome

if TYPE_CHECKING:
    from hammurabi.core.law import Law
    from hammurabi.core.results import LawResult, RuleResult, RunResult

#: Where 0.11 wrote its report (``report_name``), relative to the repository.
DEFAULT_REPORT_NAME = Path("hammurabi_report.json")


@dataclass
class LawItem:
    name: str
    description: str


@dataclass
class RuleItem:
    name: str
    law: LawItem


@dataclass
class AdditionalData:
    """What 0.11 added to every report: when the run started and ended, and its pull request."""

    started: str = datetime.min.isoformat()
    finished: str = datetime.min.isoformat()
    pull_request_url: str = ""


@dataclass
class Report:
    """The report 0.11 wrote; ``json()`` and ``dict()`` as its pydantic model offered."""

    passed: list[RuleItem] = field(default_factory=list)
    failed: list[RuleItem] = field(default_factory=list)
    skipped: list[RuleItem] = field(default_factory=list)
    additional_data: AdditionalData = field(default_factory=AdditionalData)

    def dict(self) -> dict[str, Any]:
        return asdict(self)

    def json(self) -> str:
        return json.dumps(self.dict())


class Reporter(ABC):
    """Base of 0.11's reporters: subclasses implement :meth:`report` with :meth:`_get_report`.

    Example::

        class MarkdownReporter(Reporter):
            def report(self) -> None:
                done = self._get_report()
                self.report_path.write_text("\\n".join(f"* {r.name}" for r in done.passed))

        pillar = Pillar(reporter_class=MarkdownReporter)
    """

    def __init__(self, laws: Iterable[Law], report_path: Path | None = None) -> None:
        self.laws = list(laws)
        self.additional_data = AdditionalData()
        self.report_path = Path(report_path or DEFAULT_REPORT_NAME)
        #: The run's record, set before :meth:`report` is called.
        self.result: RunResult | None = None

    def _get_report(self) -> Report:
        """Sort every top-level rule of the laws into passed, failed and skipped."""
        report = Report(additional_data=self.additional_data)
        results = {law.name: law for law in self.result.laws} if self.result else {}
        for law in self.laws:
            item = LawItem(name=law.name, description=law.description)
            done = _by_rule(results.get(law.name))
            for rule in law.rules:
                _sort(report, RuleItem(name=rule.name, law=item), done.get(rule.name, []))
        return report

    def attach(self, result: RunResult) -> None:
        """Take the run's record: its times and pull request go into ``additional_data``."""
        self.result = result
        started = result.started_at.astimezone().replace(tzinfo=None)
        self.additional_data.started = started.isoformat()
        finished = datetime.fromtimestamp(started.timestamp() + result.duration)
        self.additional_data.finished = finished.isoformat()
        pull = result.pull_request
        self.additional_data.pull_request_url = (pull.url if pull is not None else None) or ""

    @abstractmethod
    def report(self) -> Any:
        """Write or return the report."""


class JsonReporter(Reporter):
    """0.11's default reporter: the report as JSON in ``report_path``."""

    def report(self) -> None:
        self.report_path.write_text(self._get_report().json(), encoding="utf-8")


def rule_items(reporter: Reporter, result: RunResult) -> Report:
    """The report of a run whose laws are known by their records only (``--report``)."""
    report = Report(additional_data=reporter.additional_data)
    for law in result.laws:
        item = LawItem(name=law.name, description=law.description)
        for name, done in _by_rule(law).items():
            _sort(report, RuleItem(name=name, law=item), done)
    return report


def _sort(report: Report, item: RuleItem, done: list[RuleResult]) -> None:
    """File a rule as failed (it or its chain failed), passed (changed) or skipped."""
    outcomes = {result.outcome for result in done}
    if Outcome.FAILED in outcomes:
        report.failed.append(item)
    elif Outcome.CHANGED in outcomes:
        report.passed.append(item)
    else:
        report.skipped.append(item)


def _by_rule(law: LawResult | None) -> dict[str, list[RuleResult]]:
    """Each top-level rule's results, its chain's included, by rule name."""
    if law is None:
        return {}
    found: dict[str, list[RuleResult]] = {}
    for top in law.rules:
        found.setdefault(top.rule, []).extend(top.walk())
    return found
