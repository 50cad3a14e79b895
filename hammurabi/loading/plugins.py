"""The plugin manager: built-ins and third-party plugins, all through entry points."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from types import FunctionType, MethodType, ModuleType
from typing import NamedTuple

import pluggy
from pluggy import HookimplOpts

from hammurabi.core.errors import PluginError
from hammurabi.core.hooks import PROJECT, hookimpl
from hammurabi.loading import hookspecs
from hammurabi.loading.builtins import BUILTIN_TYPES, Contribution, Deferred
from hammurabi.loading.entrypoints import EntryPoint, entry_points

log = logging.getLogger(__name__)

_MARKER = f"{PROJECT}_impl"


class PluginInfo(NamedTuple):
    """Where a registered plugin came from."""

    name: str
    module: str
    distribution: str
    version: str
    disabled: bool = False
    #: Why the plugin could not be loaded (only when broken plugins are tolerated).
    error: str = ""


class PluginManager(pluggy.PluginManager):
    """pluggy's manager plus a record of each plugin's distribution."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hookspecs)
        self.infos: list[PluginInfo] = []

    def parse_hookimpl_opts(self, plugin: object, name: str) -> HookimplOpts | None:
        """pluggy's answer, without its static look-up of each name that cannot be a hook
        implementation (a dunder; a module's name that is not a marked function): registering
        the built-ins cost a run's start-up several milliseconds."""
        if name.startswith("__"):
            return None
        if isinstance(plugin, ModuleType):
            value = vars(plugin).get(name)
            if isinstance(value, FunctionType) and not hasattr(value, _MARKER):
                return None
            if not isinstance(value, FunctionType | MethodType | staticmethod | classmethod):
                return None
        return super().parse_hookimpl_opts(plugin, name)


class TypesStandIn:
    """Stands in for a built-in plugin that only contributes types: its hooks answer the ids
    :mod:`hammurabi.loading.builtins` lists as :class:`Deferred` types, and its module is
    imported when one of them is looked up."""

    def __init__(self, name: str, module: str, contribution: Contribution) -> None:
        self.module = module
        hooks = {
            "hammurabi_rule_types": contribution.rules,
            "hammurabi_precondition_types": contribution.preconditions,
        }
        for hook, ids in hooks.items():
            if ids:
                setattr(self, hook, _answer(tuple(Deferred(i, name, module, hook) for i in ids)))

    def __repr__(self) -> str:
        return f"<stand-in for {self.module}>"


def _answer(types: tuple[Deferred, ...]) -> object:
    @hookimpl
    def hook() -> tuple[Deferred, ...]:
        return types

    return hook


def get_plugin_manager(
    disabled: Iterable[str] = (),
    *,
    extra: Iterable[object] = (),
    tolerate_broken: bool = False,
    defer_types: bool = False,
) -> PluginManager:
    """Build a plugin manager loading every ``hammurabi`` entry point not disabled.

    An entry point names a module or an object of hook implementations, or a class, of which
    each manager gets an instance of its own.

    ``extra`` plugins (objects or modules) are registered too, which tests use. A plugin that
    fails to load is an error naming it, or with ``tolerate_broken`` (for listing the plugins)
    a record of the error. ``defer_types`` stands a :class:`TypesStandIn` in for each built-in
    plugin of types, so that a run imports only the ones its laws use.
    """
    pm = PluginManager()
    blocked = {name.strip() for name in disabled if name.strip()}
    for name in blocked:
        pm.set_blocked(name)
    seen: set[str] = set()
    #: Each distribution's name and version: reading them parses its metadata file.
    dists: dict[tuple[str, tuple[str, str] | None], tuple[str, str]] = {}
    for ep in sorted(entry_points(PROJECT), key=_builtin_first):
        if ep.name in seen:
            continue
        seen.add(ep.name)
        where = (ep.folder, ep.known)
        if where not in dists:
            dists[where] = ep.distribution()
        dist, version = dists[where]
        if ep.name in blocked:
            pm.infos.append(PluginInfo(ep.name, ep.value, dist, version, disabled=True))
            continue
        contribution = BUILTIN_TYPES.get(ep.value) if defer_types else None
        if contribution is not None:
            pm.register(TypesStandIn(ep.name, ep.value, contribution), name=ep.name)
            pm.infos.append(PluginInfo(ep.name, ep.value, dist, version))
            continue
        try:
            plugin = ep.load()
            if isinstance(plugin, type):  # a plugin with state: one instance per manager
                plugin = plugin()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if tolerate_broken:
                pm.infos.append(PluginInfo(ep.name, ep.value, dist, version, error=error))
                continue
            raise PluginError(
                f"plugin {ep.name!r} ({ep.value}, from {dist}) failed to load: {error}; "
                f"run without it with --disable-plugin {ep.name}"
            ) from None
        pm.register(plugin, name=ep.name)
        pm.infos.append(PluginInfo(ep.name, ep.value, dist, version))
    unknown = blocked - seen
    if unknown:
        known = ", ".join(sorted(seen)) or "none"
        raise PluginError(
            f"no plugin named {', '.join(sorted(unknown))} to disable (installed: {known})"
        )
    for plugin in extra:
        pm.register(plugin)
        name = pm.get_name(plugin) or repr(plugin)
        pm.infos.append(PluginInfo(name, getattr(plugin, "__name__", name), "(registered)", ""))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"a plugin implements an unknown hook: {exc}") from None
    return pm


def culprit(exc: BaseException) -> tuple[str, str] | None:
    """The third-party plugin (entry-point name) and function where ``exc`` was raised."""
    folders: dict[str, str] = {}
    for ep in entry_points(PROJECT):
        module = sys.modules.get(ep.module)
        if module is None or ep.value.startswith("hammurabi.") or not module.__file__:
            continue
        path = Path(module.__file__)
        folders[str(path.parent if path.name == "__init__.py" else path)] = ep.name
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        for folder, name in folders.items():
            if frame.filename == folder or frame.filename.startswith(folder + os.sep):
                return name, frame.name
    return None


def _builtin_first(ep: EntryPoint) -> tuple[int, str]:
    return (0 if ep.value.startswith("hammurabi.") else 1, ep.name)
