"""Laws: named groups of rules, each one logical change (one commit)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime

from hammurabi.core import limits, workspace
from hammurabi.core.errors import ConfigError, HammurabiError
from hammurabi.core.precondition import Precondition
from hammurabi.core.results import LawResult, Outcome
from hammurabi.core.rule import Rule


class Law:
    """A named, described group of rules that makes one logical change (one commit).

    If any of the law's preconditions is not met, the whole law is skipped.
    ``weight`` sets how much the law counts in a repository's health score.
    ``automerge`` asks for the bot pull request to be merged once it may (checks passing,
    branch protection allowing it) when every law in it asks (see ``[tool.hammurabi.automerge]``).
    """

    def __init__(
        self,
        name: str,
        description: str,
        rules: Iterable[Rule],
        preconditions: Iterable[Precondition] = (),
        *,
        weight: float = 1.0,
        automerge: bool = False,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ConfigError("every law needs a non-empty name")
        self.name = name
        self.description = description or ""
        self.rules = tuple(rules)
        self.preconditions = tuple(preconditions)
        self.weight = float(weight)
        if not isinstance(automerge, bool):
            raise ConfigError(f"law {name!r}: automerge must be true or false")
        self.automerge = automerge
        if self.weight < 0:
            raise ConfigError(f"law {name!r}: weight must not be negative")
        for rule in self.rules:
            if not isinstance(rule, Rule):
                raise ConfigError(f"law {name!r}: {rule!r} is not a Rule")
            try:
                rule.check_standalone()
            except HammurabiError as exc:
                raise exc.located(law=name) from None
        for precondition in self.preconditions:
            if not isinstance(precondition, Precondition):
                raise ConfigError(f"law {name!r}: {precondition!r} is not a Precondition")

    def enforce(self) -> LawResult:
        """Run the law's rules in the current workspace and return the record."""
        result = LawResult(self.name, self.description, weight=self.weight)
        result.started_at = datetime.now(UTC)
        started = time.perf_counter()
        space = workspace.current()
        with space.scope() as changes:
            try:
                blocker = self._blocking_precondition()
                if blocker is not None:
                    result.reason = f"precondition {blocker.name!r} not met"
                else:
                    result.rules = [rule.run(self.name) for rule in self.rules]
            except limits.RuleTimeout as exc:
                result.error = f"law {self.name!r}: {exc}"
            except HammurabiError as exc:
                result.error = str(exc.located(law=self.name))
            except Exception as exc:
                result.error = f"law {self.name!r}: {type(exc).__name__}: {exc}"
            if result.outcome is Outcome.FAILED:
                space.undo_scope()  # a law is one change: all of it or none of it
                _rolled_back(result)
        result.changes = changes
        result.duration = time.perf_counter() - started
        return result

    def _blocking_precondition(self) -> Precondition | None:
        """The first precondition not met, within the time limit of a rule."""
        with limits.time_limit(what="a precondition of the law"):
            return next((p for p in self.preconditions if not p.evaluate()), None)

    def __repr__(self) -> str:
        return f"<Law {self.name!r} ({len(self.rules)} rules)>"


def _rolled_back(result: LawResult) -> None:
    """Mark the rules whose changes were undone because another rule of the law failed."""
    failed = next((rule.rule for rule in result.walk() if rule.outcome is Outcome.FAILED), None)
    reason = f"rolled back: rule {failed!r} of this law failed" if failed else "rolled back"
    for rule in result.walk():
        if rule.outcome is Outcome.CHANGED:
            rule.outcome, rule.reason, rule.changes = Outcome.SKIPPED, reason, []
