"""Look up rule, precondition and reporter types contributed by plugins, by id."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from hammurabi.core.errors import PluginError
from hammurabi.loading.builtins import Deferred

if TYPE_CHECKING:
    from hammurabi.core.precondition import Precondition
    from hammurabi.core.reports import Reporter
    from hammurabi.core.rule import Rule
    from hammurabi.loading.plugins import PluginManager

T = TypeVar("T")


class TypeTable(MutableMapping[str, type[T]], Generic[T]):
    """Types by id, in the order the plugins contribute them; a :class:`Deferred` type is
    imported on its first look-up (iterating over the ids imports nothing)."""

    def __init__(self) -> None:
        self._types: dict[str, type[T] | Deferred] = {}

    def __getitem__(self, type_id: str) -> type[T]:
        found = self._types[type_id]
        if isinstance(found, Deferred):
            self._load(found)
            found = self._types[type_id]
        return cast(type[T], found)

    def __setitem__(self, type_id: str, kind: type[T]) -> None:
        self._types[type_id] = kind

    def __delitem__(self, type_id: str) -> None:
        del self._types[type_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._types

    def __repr__(self) -> str:
        return f"TypeTable({list(self._types)})"

    def raw(self, type_id: str) -> type[T] | Deferred | None:
        """The entry for ``type_id`` without importing it."""
        return self._types.get(type_id)

    def put(self, type_id: str, kind: type[T] | Deferred) -> None:
        self._types[type_id] = kind

    def _load(self, deferred: Deferred) -> None:
        """Import a deferred type's plugin and put each of the types it contributes in place."""
        try:
            module = importlib.import_module(deferred.module)
            kinds = list(getattr(module, deferred.hook)() or ())
        except Exception as exc:
            raise PluginError(
                f"plugin {deferred.plugin!r} ({deferred.module}, from hammurabi) failed to load: "
                f"{type(exc).__name__}: {exc}; run without it with --disable-plugin "
                f"{deferred.plugin}"
            ) from None
        for kind in kinds:
            entry = self._types.get(kind.id)
            if isinstance(entry, Deferred) and entry.module == deferred.module:
                self._types[kind.id] = kind
        if isinstance(self._types[deferred.id], Deferred):
            raise PluginError(
                f"plugin {deferred.plugin!r} ({deferred.module}) does not contribute "
                f"{deferred.id!r}, which hammurabi.loading.builtins lists"
            )


@dataclass
class Registry:
    """Every type the enabled plugins contribute, keyed by id."""

    rules: TypeTable[Rule] = field(default_factory=TypeTable)
    preconditions: TypeTable[Precondition] = field(default_factory=TypeTable)
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
    def suggest(name: str, known: Mapping[str, object]) -> str:
        close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
        return f" (did you mean {close[0]!r}?)" if close else ""


def _collect(pm: PluginManager, hook: str, into: TypeTable[Any], what: str) -> None:
    owners: dict[str, str] = {}
    for impl in getattr(pm.hook, hook).get_hookimpls():
        for kind in cast(Iterable[Any], impl.function() or ()):
            existing = into.raw(kind.id)
            if existing is not None and existing is not kind:
                raise PluginError(
                    f"{what} id {kind.id!r} is claimed by plugins {owners[kind.id]!r} "
                    f"and {impl.plugin_name!r}"
                )
            into.put(kind.id, kind)
            owners[kind.id] = impl.plugin_name
