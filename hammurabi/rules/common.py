"""Shared base for rules that act on one path inside the repository."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hammurabi.core.errors import ConfigError
from hammurabi.core.node import as_path
from hammurabi.core.precondition import Precondition
from hammurabi.core.rule import Rule

IF_MISSING = ("fail", "end", "skip")


class PathRule(Rule):
    """A rule whose main input (``param``) is a repository-relative path.

    When used as a pipe or child without a ``path`` of its own, it acts on the path the
    upstream rule returned.
    """

    tracked = True
    needs_param = True

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        preconditions: Iterable[Precondition] = (),
        pipe: Rule | None = None,
        children: Iterable[Rule] = (),
        **kwargs: Any,
    ) -> None:
        if kwargs:
            unknown = ", ".join(sorted(kwargs))
            raise ConfigError(f"{type(self).__name__} {name!r}: unknown argument(s): {unknown}")
        super().__init__(
            name,
            as_path(path, "path", f"rule {name!r}"),
            preconditions=preconditions,
            pipe=pipe,
            children=children,
        )

    @property
    def path(self) -> Path:
        param = self.param
        cached = self.__dict__.get("_path")
        if cached is None or cached[0] is not param:
            cached = self.__dict__["_path"] = (param, Path(param))
        return cached[1]


def choice(value: str, allowed: tuple[str, ...], what: str, owner: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{owner}: {what} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def single_line(value: Any, what: str, owner: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{owner}: {what} must be a string, not {value!r}")
    if "\n" in value or "\r" in value:
        raise ConfigError(f"{owner}: {what} must be a single line")
    return value


def __getattr__(name: str) -> object:
    """0.11's ``SinglePathRule`` and ``MultiplePathRule`` (hammurabi.compat.bases)."""
    if name in ("SinglePathRule", "MultiplePathRule"):
        from hammurabi.compat import bases

        return getattr(bases, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
