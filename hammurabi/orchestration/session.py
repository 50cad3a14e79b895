"""What one repository's run is given: its settings, plugins, types and laws (a Session).

Loading comes first and fails early: a bad report path or metrics configuration is refused
before any rule runs. :mod:`hammurabi.orchestration.repository` runs a session.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hammurabi.core.errors import ConfigError
from hammurabi.core.law import Law
from hammurabi.loading.plugins import PluginManager, get_plugin_manager
from hammurabi.loading.registry import Registry
from hammurabi.loading.settings import Settings, load_settings, register_secrets

if TYPE_CHECKING:
    from hammurabi.integrations.git import Location


@dataclass
class Session:
    """Everything loaded for one repository: settings, plugins, types and laws."""

    root: Path
    settings: Settings
    pm: PluginManager
    registry: Registry
    laws: list[Law]
    #: Where git found the work tree while loading (its top level is ``root``): the run
    #: opening the repository right after takes it instead of asking git again, once.
    location: Location | None = None


def prepare(
    root: str | os.PathLike[str] = ".",
    *,
    overrides: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    extra_plugins: tuple[object, ...] = (),
    load: bool = True,
    trust: bool | None = None,
    tolerate_broken_plugins: bool = False,
    settings_folder: bool = False,
) -> Session:
    """Load settings, plugins and (unless ``load`` is False) laws for ``root``.

    ``trust`` says whether the repository's own settings may run code (Python laws,
    commands); None decides as :func:`repository_trusted` does. ``settings_folder`` says
    ``root`` only holds the runner's settings (a fleet's), not a repository being changed.
    """
    from hammurabi.integrations.git import locate
    from hammurabi.loading.loader import load_laws

    given = Path(root)
    if not given.is_dir():
        raise ConfigError(f"repository path {os.fspath(root)!r} is not a directory")
    environ = os.environ if env is None else env
    trusted = repository_trusted(given, trust, environ, settings_folder=settings_folder)
    # Like git: a folder inside a work tree means the repository around it.
    location = locate(given)
    root_path = given if location is None else location.top
    settings = load_settings(root_path, env=env, overrides=overrides, trusted=trusted)
    register_secrets(settings, env)
    pm = get_plugin_manager(
        settings.disable_plugins,
        extra=extra_plugins,
        tolerate_broken=tolerate_broken_plugins,
        defer_types=not tolerate_broken_plugins,
    )
    registry = Registry.from_plugins(pm)
    for spec in settings.reports:
        name, sep, _ = spec.partition("=")
        if not sep or name not in registry.reporters:
            known = ", ".join(sorted(registry.reporters))
            raise ConfigError(f"report {spec!r} must be NAME=PATH with NAME one of: {known}")
        check_report_path(spec)
    check_metrics(settings)
    laws = load_laws(settings, pm, registry, Path.cwd()) if load else []
    return Session(root_path, settings, pm, registry, laws, location)


def check_report_path(spec: str) -> None:
    """Refuse a ``NAME=PATH`` report that could not be written, before any work is done."""
    target = spec.partition("=")[2]
    if target == "-":
        return
    path = Path(target).expanduser()
    folder = path.parent
    if path.is_dir():
        raise ConfigError(f"report {spec!r}: {target} is a folder, not a file")
    if not folder.is_dir():
        raise ConfigError(f"report {spec!r}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ConfigError(f"report {spec!r}: the folder {folder} is not writable")


def check_metrics(settings: Settings) -> None:
    """Refuse a metrics configuration that cannot work, before any work is done (the
    metrics configuration checks itself: ``MetricsConfig.from_settings``)."""
    from hammurabi.integrations.metrics.config import MetricsConfig

    MetricsConfig.from_settings(settings.metrics)


def repository_trusted(
    root: Path, trust: bool | None, env: Mapping[str, str], *, settings_folder: bool = False
) -> bool:
    """Whether a repository's own settings may make Hammurabi run its code (SECURITY.md).

    Only when asked (``trust``, ``HAMMURABI_TRUST_REPOSITORY``), or when Hammurabi works
    inside the repository as the current directory, as ``make`` or ``tox`` would, and not
    for a ``pull_request_target`` event (a pull request's files with the base's secrets).
    A fleet's settings folder (``settings_folder``) is the runner's, like the current directory.
    """
    if trust is not None:
        return trust
    flag = env.get("HAMMURABI_TRUST_REPOSITORY", "").strip().lower()
    if flag:
        return flag in ("1", "true", "yes", "on")
    if env.get("GITHUB_EVENT_NAME") == "pull_request_target":
        return False
    return settings_folder or root.resolve() == Path.cwd().resolve()
