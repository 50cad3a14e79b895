"""Look up rule, precondition and reporter types contributed by plugins, by id."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from hammurabi.core.errors import PluginError

if TYPE_CHECKING:
    from hammurabi.core.precondition import Precondition
    from hammurabi.core.reports import Reporter
    from hammurabi.core.rule import Rule
    from hammurabi.loading.plugins import PluginManager


@dataclass
class Registry:
    """Every type the enabled plugins contribute, keyed by id."""

    rules: dict[str, type[Rule]] = field(default_factory=dict)
    preconditions: dict[str, type[Precondition]] = field(default_factory=dict)
    reporters: dict[str, Reporter] = field(default_factory=dict)

    @classmethod
    def from_plugins(cls, pm: PluginManager) -> Registry:
        registry = cls()
        _collect(pm, "hammurabi_rule_types", registry.rules, "rule")
        _collect(pm, "hammurabi_precondition_types", registry.preconditions, "precondition")
        for impl in pm.hook.hammurabi_reporters.get_hookimpls():
            for reporter in cast(Iterable[Any], impl.function() or ()):
                if reporter.name in registry.reporters:
                    raise PluginError(
                        f"reporter {reporter.name!r} is contributed twice "
                        f"(again by plugin {impl.plugin_name!r})"
                    )
                registry.reporters[reporter.name] = reporter
        return registry

    @staticmethod
    def suggest(name: str, known: dict[str, object]) -> str:
        close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
        return f" (did you mean {close[0]!r}?)" if close else ""


def _collect(pm: PluginManager, hook: str, into: dict[str, Any], what: str) -> None:
    owners: dict[str, str] = {}
    for impl in getattr(pm.hook, hook).get_hookimpls():
        for kind in cast(Iterable[Any], impl.function() or ()):
            existing = into.get(kind.id)
            if existing is not None and existing is not kind:
                raise PluginError(
                    f"{what} id {kind.id!r} is claimed by plugins {owners[kind.id]!r} "
                    f"and {impl.plugin_name!r}"
                )
            into[kind.id] = kind
            owners[kind.id] = impl.plugin_name
