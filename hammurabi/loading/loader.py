"""Find the laws to enforce: law files, Python modules and files, and plugins."""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from hammurabi.compat.settings import split_source
from hammurabi.core.errors import ConfigError, HammurabiError, LawFileError, NoLawsError
from hammurabi.core.law import Law
from hammurabi.core.pillar import Pillar

if TYPE_CHECKING:
    from hammurabi.loading.plugins import PluginManager
    from hammurabi.loading.registry import Registry
    from hammurabi.loading.settings import Settings

PLUGINS = "plugins"
LAW_FILE_SUFFIXES = (".yml", ".yaml")
#: Files a folder of law sources is read for: law files and Python pillars.
SOURCE_SUFFIXES = (*LAW_FILE_SUFFIXES, ".py")


def load_laws(settings: Settings, pm: PluginManager, registry: Registry, base: Path) -> list[Law]:
    """Every law from the configured sources, filtered by ``select``/``ignore``, in order.

    Relative source paths resolve against ``base``. When none is left, a NoLawsError says
    why: the selection matched none, a source defines none, or there is no source.
    """
    by_source = {
        source: load_source(
            source, settings, pm, registry, base, yaml_only=source in settings.untrusted_laws
        )
        for source in settings.laws or [PLUGINS]
    }
    for source in settings.untrusted_laws:
        asking = [law.name for law in by_source.get(source, ()) if law.automerge]
        if asking:
            from hammurabi.loading.settings import TRUST_HINT

            raise ConfigError(
                f"law {asking[0]!r} of {source} asks for automerge, which is refused: the "
                f"repository that names this law source is not trusted; {TRUST_HINT}"
            )
    seen: dict[str, Law] = {}
    for law in (law for laws in by_source.values() for law in laws):
        if law.name in seen and seen[law.name] is not law:
            raise ConfigError(f"two laws are named {law.name!r}; law names must be unique")
        seen[law.name] = law
    chosen = [law for law in seen.values() if selected(law.name, settings)]
    if not chosen:
        raise NoLawsError(f"no laws to enforce: {_why_none(by_source, seen, settings, base)}")
    return chosen


def _why_none(
    by_source: dict[str, list[Law]], found: dict[str, Law], settings: Settings, base: Path
) -> str:
    if found:
        given = [f"--select {p!r}" for p in settings.select]
        given += [f"--ignore {p!r}" for p in settings.ignore]
        names = ", ".join(repr(name) for name in list(found)[:5])
        more = ", ..." if len(found) > 5 else ""
        return f"{' '.join(given)} left none of the {len(found)} laws ({names}{more})"
    if not settings.laws:
        return (
            "no law source given and no installed plugin contributes laws: pass --laws, set "
            "'laws' in [tool.hammurabi], or install a plugin that contributes laws"
        )
    return "; ".join(_empty_source(source, base) for source in by_source)


def _resolve(source: str | Path, base: Path) -> Path:
    """A law source's path: ``~`` expanded, relative paths against ``base``."""
    path = Path(source).expanduser()
    return path if path.is_absolute() else base / path


def _empty_source(source: str, base: Path) -> str:
    if source == PLUGINS:
        return "no installed plugin contributes laws"
    path = _resolve(source, base)
    if path.is_dir():
        if not any(p.suffix in SOURCE_SUFFIXES for p in path.iterdir()):
            return f"folder {source} has no law files (*.yml, *.yaml, *.py)"
        return f"the law files in folder {source} define no laws"
    kind = "law file" if path.suffix in SOURCE_SUFFIXES else "module"
    return f"{kind} {source} defines no laws"


def selected(name: str, settings: Settings) -> bool:
    if settings.select and not any(fnmatch.fnmatchcase(name, p) for p in settings.select):
        return False
    return not any(fnmatch.fnmatchcase(name, p) for p in settings.ignore)


def load_source(
    source: str,
    settings: Settings,
    pm: PluginManager,
    registry: Registry,
    base: Path,
    *,
    yaml_only: bool = False,
) -> list[Law]:
    """Laws from one source: ``plugins``, a law file, a .py file, a folder or a module.

    ``yaml_only`` (a source an untrusted repository named) refuses Python files and modules.
    """
    if source == PLUGINS:
        laws: list[Law] = []
        for impl in pm.hook.hammurabi_laws.get_hookimpls():
            for law in cast(Iterable[Any], impl.function(settings=settings) or ()):
                if not isinstance(law, Law):
                    raise ConfigError(f"plugin {impl.plugin_name!r} returned {law!r}, not a Law")
                laws.append(law)
        return laws
    original = split_source(source)
    if original is not None:
        if yaml_only:
            raise ConfigError(_refused(source))
        return _original_pillar(source, *original, base)
    path = _resolve(source, base)
    if path.suffix in LAW_FILE_SUFFIXES or path.suffix == ".py" or path.is_dir():
        if not path.exists():
            raise ConfigError(f"law source {source!r} does not exist ({path})")
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in SOURCE_SUFFIXES)
            return [
                law
                for p in found
                for law in load_source(str(p), settings, pm, registry, base, yaml_only=yaml_only)
            ]
        if path.suffix == ".py":
            if yaml_only:
                raise ConfigError(_refused(path))
            return laws_from_module(_exec_file(path), str(path))
        from hammurabi.loading.lawfile import load_law_file

        return load_law_file(path, registry)
    if yaml_only:
        raise ConfigError(_refused(source))
    return laws_from_module(*_import(source))


def _refused(source: str | Path) -> str:
    from hammurabi.loading.settings import TRUST_HINT

    return (
        f"law source {str(source)!r} is refused: it is Python code named by the settings of a "
        f"repository that is not trusted; {TRUST_HINT}"
    )


def _original_pillar(source: str, path: Path, attr: str | None, base: Path) -> list[Law]:
    """Laws of a pillar written for Hammurabi 0.11 (``original:PATH[:NAME]``), built with
    0.11's meanings (see :mod:`hammurabi.compat.mode`)."""
    from hammurabi.compat.mode import original_api

    path = _resolve(path, base)
    if not path.is_file():
        raise ConfigError(f"law source {source!r}: no pillar file {path}")
    with original_api():
        module = _exec_file(path)
    return laws_from_module(module, str(path), attr)


def laws_from_module(module: ModuleType, where: str, attr: str | None = None) -> list[Law]:
    """The laws a module defines: its ``pillar`` (or the named attribute), else every Pillar."""
    if attr is not None:
        target = getattr(module, attr, None)
        if target is None:
            raise ConfigError(f"{where} has no attribute {attr!r}")
        candidates = [target]
    elif isinstance(getattr(module, "pillar", None), Pillar):
        candidates = [module.pillar]
    else:
        candidates = [v for v in vars(module).values() if isinstance(v, Pillar)]
    laws: list[Law] = []
    for item in candidates:
        if isinstance(item, Pillar):
            laws.extend(item.laws)
        elif isinstance(item, Law):
            laws.append(item)
        elif isinstance(item, list | tuple) and all(isinstance(x, Law) for x in item):
            laws.extend(item)
        else:
            raise ConfigError(f"{where}: {item!r} is not a Pillar or Law")
    if not candidates:
        raise ConfigError(f"{where} defines no Pillar (register your laws on a Pillar)")
    return laws


def _import(source: str) -> tuple[ModuleType, str, str | None]:
    name, _, attr = source.partition(":")
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise ConfigError(f"law source {source!r}: no such file or module") from None
        raise LawFileError(_located(exc, None)) from None
    except HammurabiError as exc:
        raise LawFileError(_located(exc, None)) from None
    except Exception as exc:
        raise LawFileError(_located(exc, None)) from None
    return module, source, attr or None


def _exec_file(path: Path) -> ModuleType:
    name = f"hammurabi_laws_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise LawFileError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        sys.modules.pop(name, None)
        raise LawFileError(_located(exc, path)) from None
    return module


def _located(exc: BaseException, path: Path | None) -> str:
    """``file:line: message`` for an exception raised while importing laws.

    Points at the user's line: the given file's frame, else the last frame outside
    Hammurabi's own package.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    ours = str(Path(__file__).resolve().parent)
    frame = None
    if path is not None:
        wanted = str(path.resolve())
        frame = next((f for f in reversed(frames) if _real(f.filename) == wanted), None)
    if frame is None:
        frame = next((f for f in reversed(frames) if not _real(f.filename).startswith(ours)), None)
    where = f"{frame.filename}:{frame.lineno}" if frame is not None else str(path or "?")
    message = str(exc) if isinstance(exc, HammurabiError) else f"{type(exc).__name__}: {exc}"
    return f"{where}: {message}"


def _real(filename: str) -> str:
    return str(Path(filename).resolve())
