"""Key paths: parse ``tool.ruff.lint.select`` or ``jobs.build.steps[0].uses`` into parts.

Syntax: parts are separated by dots; a part is a bare name, or a name in double or single
quotes (for names containing dots or brackets), followed by any number of ``[N]`` list
indexes (``N`` may be negative).  A backslash escapes the next character outside and inside
quotes (``a\\.b`` is the single key ``a.b``).  A pre-split list or tuple is taken as is:
strings are keys, integers are list indexes.  The empty string is the document root.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from hammurabi.core.errors import ConfigError

Part: TypeAlias = str | int
KeyPath: TypeAlias = tuple[Part, ...]
PathLike: TypeAlias = str | Sequence[Part]

_SPECIAL = set(".[]\"'\\")

__all__ = ["KeyPath", "Part", "PathLike", "format_path", "parse_path"]


def parse_path(path: PathLike) -> KeyPath:
    """Return the parts of ``path``; raise ``ConfigError`` when it is malformed."""
    if isinstance(path, str):
        return _parse(path)
    if isinstance(path, Sequence):
        parts = tuple(path)
        for part in parts:
            if isinstance(part, bool) or not isinstance(part, str | int):
                raise ConfigError(f"key path parts must be strings or integers, not {part!r}")
        return parts
    raise ConfigError(f"a key path must be a string or a list of keys, not {path!r}")


def _parse(text: str) -> KeyPath:
    parts: list[Part] = []
    i, n = 0, len(text)
    if n == 0:
        return ()

    def fail(why: str, at: int) -> ConfigError:
        return _fail(text, why, at)

    expect_name = True
    while i < n:
        if expect_name:
            if text[i] == "[":
                if parts:  # "a.[0]"
                    raise fail("expected a key name after '.'", i)
            else:
                name, i = _name(text, i)
                parts.append(name)
            expect_name = False
        ch = text[i] if i < n else ""
        if ch == "[":
            close = text.find("]", i)
            if close < 0:
                raise fail("unclosed '['", i)
            raw = text[i + 1 : close].strip()
            try:
                parts.append(int(raw))
            except ValueError:
                raise fail(f"list index must be an integer, not {raw!r}", i) from None
            i = close + 1
        elif ch == ".":
            i += 1
            if i == n:
                raise fail("path ends with '.'", i - 1)
            expect_name = True
        elif ch:
            raise fail(f"unexpected {ch!r}", i)
    return tuple(parts)


def _fail(text: str, why: str, at: int) -> ConfigError:
    return ConfigError(f"invalid key path {text!r}: {why} at position {at + 1}")


def _name(text: str, i: int) -> tuple[str, int]:
    """Read one key name (bare or quoted) starting at ``i``."""
    n = len(text)
    if text[i] in "\"'":
        quote, start = text[i], i
        i += 1
        out: list[str] = []
        while i < n and text[i] != quote:
            if text[i] == "\\" and i + 1 < n:
                i += 1
            out.append(text[i])
            i += 1
        if i >= n:
            raise _fail(text, f"unclosed quote {quote}", start)
        return "".join(out), i + 1
    out = []
    start = i
    while i < n and text[i] not in ".[":
        ch = text[i]
        if ch == "\\":
            if i + 1 >= n:
                raise _fail(text, "dangling backslash", i)
            i += 1
            ch = text[i]
        elif ch in "]\"'":
            raise _fail(text, f"unexpected {ch!r} (quote the key)", i)
        out.append(ch)
        i += 1
    if i == start:
        raise _fail(text, 'empty key name (use quotes for an empty key: "")', i)
    return "".join(out), i


def format_path(path: Sequence[Part]) -> str:
    """Return the canonical string form of ``path`` (inverse of :func:`parse_path`)."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
            continue
        if part and not (_SPECIAL & set(part)) and part.strip() == part:
            text = part
        else:
            text = '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out.append(("." if out else "") + text)
    return "".join(out)
