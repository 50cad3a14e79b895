"""0.11's ``rule_can_abort``: once a rule fails, the laws after it are not run.

(0.11 stopped the whole run with the rule's exception; here the failed law is rolled back
as always, the later laws are reported skipped, and the run fails with exit 1.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hammurabi.core.law import Law
from hammurabi.core.results import LawResult, Outcome


@dataclass
class _Failed:
    law: str | None = None


class _StopAfterFailure(Law):
    """A law that is skipped once an earlier law of the run failed."""

    def __init__(self, law: Law, failed: _Failed) -> None:
        self.__dict__.update(law.__dict__)
        self.failed = failed

    def enforce(self) -> LawResult:
        if self.failed.law is not None:
            reason = f"law {self.failed.law!r} failed and rule_can_abort is set"
            return LawResult(self.name, self.description, weight=self.weight, reason=reason)
        result = super().enforce()
        if result.outcome is Outcome.FAILED:
            self.failed.law = self.name
        return result


def stop_after_failure(laws: Iterable[Law]) -> list[Law]:
    """``laws`` in order, each skipped once one before it failed."""
    failed = _Failed()
    return [_StopAfterFailure(law, failed) for law in laws]
