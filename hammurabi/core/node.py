"""What rules and preconditions share: a name, a parameter, hooks and argument checks."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any, ClassVar, Self

from hammurabi.core import workspace
from hammurabi.core.errors import ConfigError


def kebab(name: str) -> str:
    """``LineReplaced`` -> ``line-replaced``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


class Node:
    """Base of rules and preconditions (kept shallow on purpose)."""

    #: Stable short id used in law files and listings; derived from the class name if empty.
    id: ClassVar[str] = ""
    #: Constructor arguments a subclass sets itself and hides from listings.
    hidden_arguments: ClassVar[frozenset[str]] = frozenset()

    name: str
    param: Any
    given_arguments: tuple[tuple[Any, ...], dict[str, Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "id" not in cls.__dict__:
            cls.id = kebab(cls.__name__)

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        node = super().__new__(cls)
        #: The constructor's arguments as written (``hammurabi migrate`` reads them back).
        node.given_arguments = (args, kwargs)
        return node

    @property
    def workspace(self) -> workspace.Workspace:
        """The repository being enforced (only while a run is in progress)."""
        return workspace.current()

    def validate(self, value: Any, cast_to: type | None = None, required: bool = False) -> Any:
        """Check an argument when the rule is built, so mistakes fail before any file changes.

        ``required`` refuses None and empty values; ``cast_to`` converts (``Path``, ``int``…).
        """
        if required and (value is None or (hasattr(value, "__len__") and len(value) == 0)):
            raise ConfigError(f"{type(self).__name__}: a required argument is missing or empty")
        if cast_to is not None and value is not None and not isinstance(value, cast_to):
            try:
                value = cast_to(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(
                    f"{type(self).__name__}: cannot use {value!r} as {cast_to.__name__}: {exc}"
                ) from None
        return value

    def pre_task_hook(self) -> None:
        """Run before :meth:`task` (load what the task needs)."""

    def post_task_hook(self) -> None:
        """Run after :meth:`task` succeeded."""

    @classmethod
    def summary(cls) -> str:
        doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")
        return doc.strip().splitlines()[0] if doc.strip() else ""

    @classmethod
    def arguments(cls) -> list[dict[str, Any]]:
        """The constructor's arguments (following ``**kwargs`` up the bases), for listings."""
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for klass in cls.__mro__:
            if "__init__" not in vars(klass) or klass is object:
                continue
            params = inspect.signature(vars(klass)["__init__"]).parameters.values()
            for param in params:
                if param.name == "self" or param.name in seen:
                    continue
                if param.name == "param" and seen & {"path", "paths"}:
                    continue
                if param.name in cls.hidden_arguments:
                    continue
                if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                    continue
                seen.add(param.name)
                default = None if param.default is param.empty else param.default
                out.append(
                    {
                        "name": param.name,
                        "required": param.default is param.empty,
                        "default": default
                        if isinstance(default, str | int | float | bool)
                        else None,
                    }
                )
            if not any(p.kind is p.VAR_KEYWORD for p in params):
                break
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def compile_regex(pattern: str | re.Pattern[str], what: str, owner: str) -> re.Pattern[str]:
    """Compile a user's regular expression, turning a bad one into a clear ConfigError."""
    if isinstance(pattern, re.Pattern):
        return pattern
    if not isinstance(pattern, str):
        raise ConfigError(f"{owner}: {what} must be a regular expression string, not {pattern!r}")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"{owner}: bad regular expression for {what} {pattern!r}: {exc}"
        ) from None


def as_path(value: Any, what: str, owner: str) -> Path | None:
    if value is None:
        return None
    if isinstance(value, str | Path):
        return Path(value)
    raise ConfigError(f"{owner}: {what} must be a path, not {value!r}")
