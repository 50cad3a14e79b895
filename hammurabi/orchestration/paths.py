"""The paths a run's laws can touch, when their rules say so: a work tree needs no more.

Built-in rules that read and write only the paths they are given (their ``path`` or
``paths``, a ``destination``) tell a run which files its work tree must hold; any other
rule (a custom one may read ``service.yml`` with plain ``pathlib``), a precondition or a
law of another kind makes the run check out the whole tree. So correctness never
depends on the shortcut: where the paths cannot be told, there is none.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from hammurabi.core.law import Law
from hammurabi.core.rule import Rule

_DOCUMENTS = {
    f"{kind}{what}"
    for kind in ("", "Yaml", "Json", "Toml")
    for what in ("KeyExists", "KeyNotExists", "KeyRenamed", "ValueExists", "ValueNotExists")
}
_INI = {
    "SectionExists",
    "SectionNotExists",
    "SectionRenamed",
    "OptionsExist",
    "OptionsNotExist",
    "OptionRenamed",
}
_LINES = {"LineExists", "LineNotExists", "LineReplaced", "BlockExists", "BlockNotExists"}
_FILES = {
    "FileExists",
    "FileNotExists",
    "FileEmptied",
    "FilesExist",
    "FilesNotExist",
    "DirectoryExists",
    "DirectoryNotExists",
    "DirectoryEmptied",
    "Copied",
    "Moved",
    "Renamed",
}
_ATTRIBUTES = {"ModeChanged", "OwnerChanged"}

#: Rules (by module and class name, exactly: a subclass may read anything) whose task
#: touches nothing but their path(s) and ``destination``, through the workspace.
PATH_ONLY: dict[str, frozenset[str]] = {
    "hammurabi.rules.lines": frozenset(_LINES),
    "hammurabi.rules.documents": frozenset(_DOCUMENTS | _INI),
    "hammurabi.rules.files": frozenset(_FILES),
    "hammurabi.rules.attributes": frozenset(_ATTRIBUTES),
    # 0.11's spellings of the same rules (named, not imported: compat sits above).
    "hammurabi.compat.rules": frozenset(_LINES | _DOCUMENTS | _INI | _FILES | _ATTRIBUTES),
}

#: What a sparse-checkout pattern would read as more than a plain name.
_SPECIAL = re.compile(r"[\x00-\x1f*?\[\]\\]|^[!#]|\s$")


def law_paths(laws: Iterable[Law]) -> list[str] | None:
    """The repository-relative paths the laws' rules name (a folder stands for all it
    holds), sorted; None when some rule, precondition or law could touch anything."""
    found: set[str] = set()
    for law in laws:
        if type(law) is not Law or law.preconditions:
            return None
        for rule in law.rules:
            if not _rule_paths(rule, found, inherited=False):
                return None
    return sorted(found)


def _rule_paths(rule: Rule, found: set[str], *, inherited: bool) -> bool:
    """Add what ``rule`` and its chain touch to ``found``; False when that is unknown.

    A rule without a path of its own acts on what its upstream rule returned, which is
    one of the upstream's paths (``inherited``)."""
    cls = type(rule)
    if cls.__name__ not in PATH_ONLY.get(cls.__module__, ()) or rule.preconditions:
        return False
    given: list[Any] = []
    destination = getattr(rule, "destination", None)
    if getattr(rule, "_param_given", False):
        given = list(rule.param) if isinstance(rule.param, list | tuple) else [rule.param]
        new_name = getattr(rule, "new_name", None)
        if new_name is not None:  # Renamed: next to its path
            if len(given) != 1 or not isinstance(given[0], str | os.PathLike):
                return False
            given.append(PurePath(given[0]).parent / str(new_name))
        elif destination is not None:
            given.append(destination)
    elif not inherited or getattr(rule, "new_name", None) is not None:
        return False  # Renamed's destination follows its path: unknown here
    elif destination is not None:
        given.append(destination)
    for value in given:
        plain = plain_path(value)
        if plain is None:
            return False
        found.add(plain)
    return all(_rule_paths(link, found, inherited=True) for link in rule.chain)


def plain_path(value: object) -> str | None:
    """``value`` as a plain repository-relative POSIX path (no ``..``, no ``.git``, no
    character a pattern would read otherwise); None for anything else."""
    if not isinstance(value, str | os.PathLike):
        return None
    text = os.fspath(value)
    if not isinstance(text, str) or not text or os.path.isabs(text):
        return None
    parts = [part for part in text.replace(os.sep, "/").split("/") if part not in ("", ".")]
    if not parts or any(part in ("..", ".git") or _SPECIAL.search(part) for part in parts):
        return None
    return "/".join(parts)
