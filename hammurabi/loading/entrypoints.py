"""The entry points of one group, read from the installed distributions' metadata folders.

What ``importlib.metadata.entry_points(group=...)`` returns, found the same way (each
``sys.path`` folder's ``*.dist-info`` and ``*.egg-info``, the first distribution of a name
winning), without importing ``importlib.metadata`` and the e-mail parser it brings, which
cost a run's start-up about a third of what importing Typer does. Where a distribution
could be somewhere this does not look (a zip file on ``sys.path``, a finder of its own),
``importlib.metadata`` answers instead.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import sys
from typing import Any, NamedTuple

_ENTRY = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")


class EntryPoint(NamedTuple):
    """One entry point: ``name = value`` in a group, and the distribution declaring it."""

    name: str
    value: str
    group: str
    #: The distribution's metadata folder ("" when importlib.metadata found it).
    folder: str = ""
    #: The distribution's name and version, when already known.
    known: tuple[str, str] | None = None

    @property
    def module(self) -> str:
        match = _ENTRY.match(self.value)
        return match.group("module") if match else self.value

    def load(self) -> Any:
        """Import the module and return the object the entry point names."""
        match = _ENTRY.match(self.value)
        if match is None:
            raise ValueError(f"malformed entry point {self.value!r}")
        module = importlib.import_module(match.group("module"))
        attrs = filter(None, (match.group("attr") or "").split("."))
        return functools.reduce(getattr, attrs, module)

    def distribution(self) -> tuple[str, str]:
        """The declaring distribution's name and version (``?`` where unknown)."""
        if self.known is not None:
            return self.known
        return _name_and_version(self.folder)


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group``, in the order importlib.metadata gives them."""
    if not _plain_search():
        return _from_importlib(group)
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for entry in sys.path:
        for name, folder in _metadata_folders(entry or "."):
            key = _normalize(name)
            if key in seen:
                continue
            seen.add(key)
            found += _read(folder, group)
    return found


def _plain_search() -> bool:
    """Whether every distribution is in a folder on ``sys.path`` (no zip, no own finder)."""
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is not PathFinder and hasattr(finder, "find_distributions"):
            return False
    return not any(entry and os.path.isfile(entry) for entry in sys.path)


def _metadata_folders(entry: str) -> list[tuple[str, str]]:
    """The (distribution name, metadata path) pairs in one ``sys.path`` folder, sorted as
    importlib.metadata sorts them."""
    try:
        names = sorted(os.listdir(entry))
    except OSError:
        return []
    found = []
    for name in names:
        stem, dot, suffix = name.rpartition(".")
        if dot and suffix.lower() in ("dist-info", "egg-info"):
            found.append((stem.partition("-")[0], os.path.join(entry, name)))
    return found


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _read(folder: str, group: str) -> list[EntryPoint]:
    """The entry points of ``group`` that the metadata in ``folder`` declares."""
    try:
        with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return []
    found = []
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group and "=" in line:
            name, _, value = line.partition("=")
            found.append(EntryPoint(name.strip(), value.strip(), group, folder))
    return found


def _name_and_version(folder: str) -> tuple[str, str]:
    """``Name`` and ``Version`` from the header of a metadata folder's METADATA/PKG-INFO."""
    fields: dict[str, str] = {}
    for file in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(folder, file), encoding="utf-8") as handle:
                for line in handle:
                    if not line.strip():
                        break
                    key, sep, value = line.partition(":")
                    if sep and key in ("Name", "Version"):
                        fields.setdefault(key, value.strip())
        except (OSError, UnicodeDecodeError):
            continue
        break
    return fields.get("Name", "?"), fields.get("Version", "?")


def _from_importlib(group: str) -> list[EntryPoint]:
    from importlib import metadata

    found = []
    for ep in metadata.entry_points(group=group):
        meta = ep.dist.metadata if ep.dist is not None else None
        known = (meta["Name"], meta["Version"]) if meta else ("?", "?")
        found.append(EntryPoint(ep.name, ep.value, group, known=known))
    return found
