"""Combine preconditions: ``All``, ``Any`` and ``Not``."""

from __future__ import annotations

from hammurabi.core.errors import ConfigError
from hammurabi.core.precondition import Precondition


def _checked(items: tuple[Precondition, ...], owner: str) -> tuple[Precondition, ...]:
    for item in items:
        if not isinstance(item, Precondition):
            raise ConfigError(f"{owner}: {item!r} is not a Precondition")
    return items


class All(Precondition):
    """Are all of the given preconditions met? (Short-circuits; empty is True.)"""

    id = "all"

    def __init__(self, *preconditions: Precondition, name: str | None = None) -> None:
        super().__init__(name, _checked(preconditions, "All"))

    def task(self) -> bool:
        return all(item.evaluate() for item in self.param)


class Any(Precondition):
    """Is at least one of the given preconditions met? (Short-circuits; empty is False.)"""

    id = "any"

    def __init__(self, *preconditions: Precondition, name: str | None = None) -> None:
        super().__init__(name, _checked(preconditions, "Any"))

    def task(self) -> bool:
        return any(item.evaluate() for item in self.param)


class Not(Precondition):
    """Is the given precondition not met?"""

    id = "not"

    def __init__(self, precondition: Precondition, name: str | None = None) -> None:
        super().__init__(name, _checked((precondition,), "Not")[0])

    def task(self) -> bool:
        return not self.param.evaluate()
