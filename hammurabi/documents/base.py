"""What every format shares: the ``Document`` interface, the ``MISSING`` sentinel, helpers.

A codec turns text into a :class:`Document` and back.  Documents edit their own text in
place by splicing (or through a format-preserving library), so everything outside the
edited node stays byte-identical, and :meth:`Document.dump` returns the original text
object when nothing was changed.
"""

from __future__ import annotations

import enum
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Final, Literal, Protocol

from hammurabi.core.errors import ConfigError, DocumentError
from hammurabi.documents.paths import KeyPath, format_path

__all__ = [
    "MISSING",
    "Codec",
    "Document",
    "Missing",
    "SingleCodec",
    "check_text",
    "check_value",
    "same_value",
]


class Missing(enum.Enum):
    """Type of :data:`MISSING`."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    def __str__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = Missing.MISSING
"""Returned by ``get`` for a key that does not exist (``None`` is a real value)."""


class Document(ABC):
    """A parsed document of one format, edited in place, format-preserving.

    Paths are already parsed (:func:`~hammurabi.documents.paths.parse_path`).  Reads return
    plain Python values (``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``)
    or :data:`MISSING`.  Writes raise :class:`~hammurabi.core.errors.DocumentError` when the edit
    is impossible (a path through a scalar, an index past the end).
    """

    fmt: ClassVar[str]

    def __init__(self, text: str) -> None:
        self.original = text
        self.changed = False

    @abstractmethod
    def dump(self) -> str:
        """Return the text; the original ``str`` object itself when nothing changed."""

    @abstractmethod
    def get(self, path: KeyPath) -> Any:
        """Return the plain value at ``path`` or :data:`MISSING` (also through a scalar)."""

    @abstractmethod
    def set(self, path: KeyPath, value: Any) -> None:
        """Set ``path`` to ``value``, creating missing parent mappings."""

    @abstractmethod
    def delete(self, path: KeyPath) -> None:
        """Remove ``path`` (a key or a list index); nothing when it does not exist."""

    @abstractmethod
    def rename(self, path: KeyPath, new_name: str) -> None:
        """Rename the last key of ``path`` in place; the source must exist."""

    @abstractmethod
    def append_items(self, path: KeyPath, items: list[Any]) -> None:
        """Append ``items`` to the existing list at ``path``."""

    def normalize(self, value: Any) -> Any:
        """Return ``value`` as this format reads it back (INI turns scalars into text)."""
        return value

    def get_items(self, path: KeyPath) -> list[Any] | None:
        """Return the list at ``path`` as plain items, ``None`` when it is not a list."""
        value = self.get(path)
        return value if isinstance(value, list) else None

    def remove_items(self, path: KeyPath, items: list[Any]) -> None:
        """Remove every element equal to one of ``items`` from the list at ``path``."""
        current = self.get_items(path) or []
        for index in reversed(range(len(current))):
            if any(same_value(current[index], item) for item in items):
                self.delete((*path, index))


class Codec(Protocol):
    """Turns text into a :class:`Document` and back; one per format."""

    name: str

    def load(self, text: str, *, document: int = 0) -> Document:
        """Parse ``text``; ``document`` selects a YAML document (others accept only 0)."""
        ...

    def dump(self, doc: Document) -> str:
        """Return the document's text."""
        ...


class SingleCodec:
    """The codec of a format holding one document per file (INI, JSON, TOML)."""

    def __init__(self, name: str, document_type: Callable[[str], Document]) -> None:
        self.name = name
        self._document_type = document_type

    def load(self, text: str, *, document: int = 0) -> Document:
        """Parse ``text``; ``document`` may only be 0 (or -1)."""
        check_single(document, self.name)
        return self._document_type(check_text(text, self.name))

    def dump(self, doc: Document) -> str:
        """Return the document's text."""
        return doc.dump()


def check_text(text: object, fmt: str) -> str:
    """Refuse what cannot be a text document (bytes, binary data)."""
    if not isinstance(text, str):
        raise DocumentError(f"{fmt} document must be text (str), not {type(text).__name__}")
    if "\x00" in text:
        raise DocumentError(f"not a {fmt} document: binary content (NUL byte)")
    return text


def check_single(document: int, fmt: str) -> None:
    """Refuse a document selector for formats that hold exactly one document."""
    if document not in (0, -1):
        raise ConfigError(f"{fmt} files hold one document; cannot select document {document}")


def check_value(value: Any, where: KeyPath = ()) -> None:
    """Refuse values that are not plain data (str, int, float, bool, None, list, dict)."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"value at {format_path(where) or 'root'} is not finite: {value}")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConfigError(f"mapping keys must be strings, not {key!r}")
            check_value(item, (*where, key))
        return
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for index, item in enumerate(value):
            check_value(item, (*where, index))
        return
    raise ConfigError(
        f"value at {format_path(where) or 'root'} must be plain data, not {type(value).__name__}"
    )


def same_value(a: Any, b: Any) -> bool:
    """Return whether ``a`` and ``b`` are equal plain values of the same kinds.

    Unlike ``==`` this keeps ``True``, ``1`` and ``1.0`` apart, so setting ``1.0`` where
    the file says ``1`` is a change.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, float) and isinstance(b, float):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is None and b is None


def plain(value: Any) -> Any:
    """Convert library containers and scalar subclasses into plain Python values."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if value is None:
        return None
    inner = getattr(value, "value", MISSING)  # tagged scalars
    if inner is not MISSING and inner is not value:
        return plain(inner)
    return str(value)


def newline_of(text: str) -> str:
    """Return the text's line ending: ``\\r\\n`` when its first line ends so, else ``\\n``."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def line_start(text: str, pos: int) -> int:
    """Return the index of the first character of the line holding ``pos``."""
    return text.rfind("\n", 0, pos) + 1


def line_end(text: str, pos: int) -> int:
    """Return the index of the line break (``\\r\\n`` or ``\\n``) ending the line at ``pos``."""
    end = text.find("\n", pos)
    if end < 0:
        return len(text)
    return end - 1 if end > 0 and text[end - 1] == "\r" else end


def after_line(text: str, pos: int) -> int:
    """Return the index just past the line break ending the line at ``pos``."""
    end = text.find("\n", pos)
    return len(text) if end < 0 else end + 1


def splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply non-overlapping ``(start, end, replacement)`` edits to ``text``."""
    out = []
    last = len(text)
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        if end > last:
            raise DocumentError("internal error: overlapping edits")
        out.append(text[end:last])
        out.append(new)
        last = start
    out.append(text[:last])
    return "".join(reversed(out))


def describe(path: KeyPath) -> str:
    """Return ``path`` for messages."""
    return repr(format_path(path)) if path else "the document root"


Kind = Literal["mapping", "sequence", "scalar"]
