"""The plugin manager: built-ins and third-party plugins, all through entry points."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata

import pluggy

from hammurabi import hookspecs
from hammurabi.errors import PluginError

log = logging.getLogger(__name__)

PROJECT = "hammurabi"
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass(frozen=True)
class PluginInfo:
    """Where a registered plugin came from."""

    name: str
    module: str
    distribution: str
    version: str
    disabled: bool = False


class PluginManager(pluggy.PluginManager):
    """pluggy's manager plus a record of each plugin's distribution."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hookspecs)
        self.infos: list[PluginInfo] = []


def get_plugin_manager(
    disabled: Iterable[str] = (), *, extra: Iterable[object] = ()
) -> PluginManager:
    """Build a plugin manager loading every ``hammurabi`` entry point not disabled.

    ``extra`` plugins (objects or modules) are registered too, which tests use.
    """
    pm = PluginManager()
    blocked = {name.strip() for name in disabled if name.strip()}
    for name in blocked:
        pm.set_blocked(name)
    seen: set[str] = set()
    for ep in sorted(metadata.entry_points(group=PROJECT), key=_builtin_first):
        if ep.name in seen:
            continue
        seen.add(ep.name)
        dist = ep.dist.name if ep.dist is not None else "?"
        version = ep.dist.version if ep.dist is not None else "?"
        if ep.name in blocked:
            pm.infos.append(PluginInfo(ep.name, ep.value, dist, version, disabled=True))
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} ({ep.value}, from {dist}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        pm.register(plugin, name=ep.name)
        pm.infos.append(PluginInfo(ep.name, ep.value, dist, version))
    unknown = blocked - seen
    if unknown:
        log.warning("no plugin named %s to disable", ", ".join(sorted(unknown)))
    for plugin in extra:
        pm.register(plugin)
        name = pm.get_name(plugin) or repr(plugin)
        pm.infos.append(PluginInfo(name, getattr(plugin, "__name__", name), "(registered)", ""))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"a plugin implements an unknown hook: {exc}") from None
    return pm


def _builtin_first(ep: metadata.EntryPoint) -> tuple[int, str]:
    return (0 if ep.value.startswith("hammurabi.") else 1, ep.name)
