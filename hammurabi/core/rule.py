"""The Rule base class and the lifecycle every rule goes through.

preconditions -> ``pre_task_hook`` -> ``task`` -> ``post_task_hook`` -> ``pipe`` (receives
the task's result) -> ``children`` (each receives the result). A failing precondition
skips the rule and its whole chain; a failing rule is rolled back and its chain skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

from hammurabi.core import limits, masking
from hammurabi.core.errors import ConfigError, HammurabiError
from hammurabi.core.node import Node
from hammurabi.core.precondition import Precondition
from hammurabi.core.results import Outcome, RuleResult

log = logging.getLogger(__name__)

_NO_INPUT = object()


class Rule(Node):
    """A unit of work that brings the repository into one desired state.

    Subclasses implement :meth:`task`, returning the value handed to ``pipe`` and
    ``children`` (built-in file rules return the path they worked on). Rules should write
    through ``self.workspace``; rules that write files themselves still get exact diffs and
    dry-runs, at the price of a scan of the tree around them.
    """

    #: True for rules that only write through ``self.workspace`` (no tree scan needed).
    tracked: ClassVar[bool] = False
    #: True for rules that need ``param`` (a path) from the law file or an upstream rule.
    needs_param: ClassVar[bool] = False

    def __init__(
        self,
        name: str,
        param: Any = None,
        preconditions: Iterable[Precondition] = (),
        pipe: Rule | None = None,
        children: Iterable[Rule] = (),
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{type(self).__name__}: every rule needs a non-empty name")
        self.name = name
        self.param = param
        self._param_given = param is not None
        self.preconditions = tuple(preconditions)
        self.pipe = pipe
        self.children = tuple(children)
        for item in self.preconditions:
            if not isinstance(item, Precondition):
                raise ConfigError(f"rule {name!r}: {item!r} is not a Precondition")
        for link in self.chain:
            if not isinstance(link, Rule):
                raise ConfigError(f"rule {name!r}: {link!r} in pipe/children is not a Rule")

    @property
    def chain(self) -> tuple[Rule, ...]:
        """The pipe (if any) followed by the children."""
        return ((self.pipe,) if self.pipe is not None else ()) + self.children

    def task(self) -> Any:
        """Do the work; return what the pipe and children receive."""
        raise NotImplementedError(f"{type(self).__name__} does not implement task()")

    def check_standalone(self) -> None:
        """Refuse a top-level rule that has no input of its own (no path, for instance)."""
        if self.needs_param and not self._param_given:
            raise ConfigError(
                f"rule {self.name!r} has no path and no upstream rule (pipe) to receive one from"
            )

    def run(self, law: str, upstream: Any = _NO_INPUT) -> RuleResult:
        """Run the whole lifecycle and return the result record (never raises for failures)."""
        if upstream is not _NO_INPUT and not self._param_given:
            self.param = upstream
        result = RuleResult(law=law, rule=self.name, rule_id=self.id, outcome=Outcome.UNCHANGED)
        started = time.perf_counter()
        result.started_at = datetime.now(UTC)
        try:
            with limits.time_limit():  # preconditions too: they read files
                self._lifecycle(result)
        except limits.RuleTimeout as exc:
            result.outcome, result.error = Outcome.FAILED, str(exc)
        except HammurabiError as exc:
            exc.located(law=law, rule=self.name)
            result.outcome, result.error = (
                Outcome.FAILED,
                exc.message if exc.path is None else (f"{exc.path}: {exc.message}"),
            )
        except Exception as exc:
            log.debug("rule %r raised", self.name, exc_info=True)
            result.outcome = Outcome.FAILED
            result.error = f"{type(exc).__name__}: {exc}"
        result.error = masking.mask(result.error) if result.error else result.error
        result.duration = time.perf_counter() - started
        for rule in self.chain:
            if result.outcome in (Outcome.CHANGED, Outcome.UNCHANGED):
                result.chain.append(rule.run(law, result.output))
            else:
                result.chain.append(rule.skip(law, f"upstream rule {self.name!r} {result.outcome}"))
        return result

    def _lifecycle(self, result: RuleResult) -> None:
        blocker = self._blocking_precondition()
        if blocker is not None:
            result.outcome = Outcome.SKIPPED
            result.reason = f"precondition {blocker.name!r} not met"
            return
        if self.needs_param and self.param is None:
            raise ConfigError("no path given and no upstream rule to receive one from")
        with self.workspace.tracking(snapshot=not self.tracked) as changes:
            self.pre_task_hook()
            result.output = self.task()
            self.post_task_hook()
        result.changes = changes
        result.outcome = Outcome.CHANGED if changes else Outcome.UNCHANGED

    def skip(self, law: str, reason: str) -> RuleResult:
        """A skipped result for this rule and its whole chain."""
        result = RuleResult(law, self.name, self.id, Outcome.SKIPPED, reason=reason)
        result.chain = [rule.skip(law, reason) for rule in self.chain]
        return result

    def _blocking_precondition(self) -> Precondition | None:
        for precondition in self.preconditions:
            if not precondition.evaluate():
                return precondition
        return None
