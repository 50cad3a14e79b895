"""Names a package exports without importing its modules until one is asked for (PEP 562).

The built-in rule and precondition packages export their classes this way, so that a run
imports only the rule modules its laws name (see :mod:`hammurabi.loading.builtins`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(
    namespace: dict[str, Any], modules: tuple[str, ...]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """A module's ``__getattr__`` and ``__dir__``: the first finds each name of
    ``namespace["__all__"]`` in the first of ``modules`` that defines it (a class of
    Hammurabi's, not a name it imported)."""

    def __getattr__(name: str) -> object:
        if name in namespace["__all__"]:
            for module in modules:
                found = getattr(importlib.import_module(module), name, None)
                if str(getattr(found, "__module__", "")).startswith("hammurabi."):
                    namespace[name] = found
                    return found
        raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*namespace, *namespace["__all__"]})

    return __getattr__, __dir__
