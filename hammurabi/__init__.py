"""Hammurabi: enforce rules across many git repositories, with reviewable pull requests.

Names are imported lazily (PEP 562), so ``import hammurabi`` — and with it the start-up of
the ``hammurabi`` command — costs almost nothing until a rule or law is used.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

from hammurabi.core.version import __version__ as __version__

_CORE = {
    "HammurabiError": "hammurabi.core.errors",
    "ConfigError": "hammurabi.core.errors",
    "LawFileError": "hammurabi.core.errors",
    "PathError": "hammurabi.core.errors",
    "RuleError": "hammurabi.core.errors",
    "DocumentError": "hammurabi.core.errors",
    "Law": "hammurabi.core.law",
    "enforce": "hammurabi.core.engine",
    "hookimpl": "hammurabi.core.hooks",
    "Outcome": "hammurabi.core.results",
    "FileChange": "hammurabi.core.results",
    "RuleResult": "hammurabi.core.results",
    "LawResult": "hammurabi.core.results",
    "RunResult": "hammurabi.core.results",
}
#: Packages whose ``__all__`` is re-exported here: the built-in rules and preconditions.
_PACKAGES = ("hammurabi.rules", "hammurabi.preconditions")
#: Names that keep Hammurabi 0.11's arguments (they extend the current classes), from
#: hammurabi.compat; they take precedence over the packages' names.
_COMPAT_EXPORTS = "hammurabi.compat"

if TYPE_CHECKING:  # the names __getattr__ provides, for type checkers
    from hammurabi.core.engine import enforce  # noqa: F401
    from hammurabi.core.errors import (  # noqa: F401
        ConfigError,
        DocumentError,
        HammurabiError,
        LawFileError,
        PathError,
        RuleError,
    )
    from hammurabi.core.hooks import hookimpl  # noqa: F401
    from hammurabi.core.law import Law  # noqa: F401
    from hammurabi.core.results import (  # noqa: F401
        FileChange,
        LawResult,
        Outcome,
        RuleResult,
        RunResult,
    )
    from hammurabi.preconditions import *  # noqa: F403
    from hammurabi.rules import *  # noqa: F403

if TYPE_CHECKING:  # hammurabi.compat's names replace the packages' (they extend them)
    from hammurabi.compat.notifications import Notification, SlackNotification  # noqa: F401
    from hammurabi.compat.pillar import Pillar  # noqa: F401
    from hammurabi.compat.preconditions import *  # noqa: F403
    from hammurabi.compat.reporting import JsonReporter, Reporter  # noqa: F401
    from hammurabi.compat.rules import *  # noqa: F403


def _compat() -> dict[str, str]:
    exports: dict[str, str] = importlib.import_module(_COMPAT_EXPORTS).EXPORTS
    return exports


def _public() -> list[str]:
    names = set(_CORE) | set(_compat())
    for package in _PACKAGES:
        names.update(importlib.import_module(package).__all__)
    return sorted(names)


def __getattr__(name: str) -> object:
    if name == "__all__":
        return _public()
    if name in _CORE:
        return getattr(importlib.import_module(_CORE[name]), name)
    compat = _compat()
    if name in compat:
        return getattr(importlib.import_module(compat[name]), name)
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:
        # ``from hammurabi import workspace`` asks for a submodule before it is imported;
        # answering it here keeps it from importing the rule packages (and a cycle).
        return importlib.import_module(f"{__name__}.{name}")
    for package in _PACKAGES:
        module = importlib.import_module(package)
        if name in module.__all__:
            return getattr(module, name)
    raise AttributeError(f"module 'hammurabi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return [*_public(), "__version__"]
