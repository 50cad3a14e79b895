"""Preconditions about keys and values in structured documents (INI, JSON, YAML, TOML).

A missing file has no keys: ``IsKeyExists`` and ``HasValue`` answer False and
``IsKeyNotExists`` True.  A file that cannot be parsed raises a ``DocumentError`` (the
rule or law depending on it fails with a message naming the file) rather than guessing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hammurabi.core.errors import ConfigError
from hammurabi.core.hooks import hookimpl
from hammurabi.core.node import as_path
from hammurabi.core.precondition import Precondition
from hammurabi.documents import check_format, format_for, open_document
from hammurabi.documents.base import MISSING, check_value, same_value
from hammurabi.documents.paths import KeyPath, PathLike, parse_path

__all__ = ["HasValue", "IsKeyExists", "IsKeyNotExists"]

_UNSET: Any = object()


class _DocumentPrecondition(Precondition):
    def __init__(
        self,
        path: str | Path,
        key: PathLike,
        name: str | None = None,
        *,
        format: str | None = None,
        document: int = 0,
        encoding: str | None = None,
    ) -> None:
        owner = type(self).__name__
        resolved = as_path(path, "path", owner)
        super().__init__(name, self.validate(resolved, required=True))
        self.format = check_format(format, owner) if format is not None else format_for(path, owner)
        self.key: KeyPath = parse_path(key)
        if isinstance(document, bool) or not isinstance(document, int):
            raise ConfigError(f"{owner}: document must be an integer, not {document!r}")
        self.document = document
        self.encoding = encoding

    def _value(self) -> tuple[Any, Any]:
        """Return the value at ``key`` (or ``MISSING``) and the document's normaliser."""
        if not self.workspace.resolve(self.param).is_file():
            return MISSING, None
        _, doc = open_document(
            self.workspace,
            self.param,
            self.format,
            document=self.document,
            encoding=self.encoding,
        )
        value = doc.get(self.key)
        if doc.fmt == "ini" and isinstance(value, str) and "\n" in value:
            value = doc.get_items(self.key)
        return value, doc.normalize


class IsKeyExists(_DocumentPrecondition):
    """Does ``key`` exist in the document at ``path``? (False for a missing file.)

    Example::

        IsKeyExists(path="pyproject.toml", key="tool.ruff")
    """

    id = "is-key-exists"

    def task(self) -> bool:
        return self._value()[0] is not MISSING


class IsKeyNotExists(_DocumentPrecondition):
    """Is ``key`` absent from the document at ``path``? (True for a missing file.)

    Example::

        IsKeyNotExists(path="package.json", key="scripts.lint")
    """

    id = "is-key-not-exists"

    def task(self) -> bool:
        return self._value()[0] is MISSING


class HasValue(_DocumentPrecondition):
    """Does ``key`` equal ``equals``, or contain ``contains``? (give exactly one)

    ``equals`` compares plain values of the same type (``1`` is not ``"1"``, except in
    INI where every value is text).  ``contains`` asks whether a list holds an item, a
    mapping holds a key (or, given a mapping, those entries), or a string a substring.
    False when the key or the file is missing.

    Example::

        HasValue(path=".github/workflows/ci.yml", key="on", contains="pull_request")
    """

    id = "has-value"

    def __init__(
        self,
        path: str | Path,
        key: PathLike,
        name: str | None = None,
        *,
        equals: Any = _UNSET,
        contains: Any = _UNSET,
        **kwargs: Any,
    ) -> None:
        super().__init__(path, key, name, **kwargs)
        if (equals is _UNSET) == (contains is _UNSET):
            raise ConfigError("HasValue: give exactly one of equals or contains")
        for given in (equals, contains):
            if given is not _UNSET:
                check_value(given)
        self.equals = equals
        self.contains = contains

    def task(self) -> bool:
        value, normalize = self._value()
        if value is MISSING:
            return False
        if self.equals is not _UNSET:
            return same_value(value, normalize(self.equals))
        wanted = normalize(self.contains)
        if isinstance(value, list):
            return any(same_value(item, wanted) for item in value)
        if isinstance(value, Mapping):
            if isinstance(wanted, Mapping):
                return all(k in value and same_value(value[k], v) for k, v in wanted.items())
            return isinstance(wanted, str) and wanted in value
        if isinstance(value, str):
            return isinstance(wanted, str) and wanted in value
        return False


@hookimpl
def hammurabi_precondition_types() -> Iterable[type[Precondition]]:
    return (IsKeyExists, IsKeyNotExists, HasValue)
