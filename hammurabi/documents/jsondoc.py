"""JSON (and JSON with comments) by splicing the original text.

Dumping a parsed JSON value re-indents everything (compact arrays, aligned values,
``" : "`` spacing), so edits never re-serialise the document: the text is scanned for the
positions of the members along the path (the C scanner of :mod:`json` skips values that are
not on the path), and only the edited member's text is replaced, inserted or removed.

* Indentation unit (spaces or tab, width), ``": "`` versus ``":"``, line endings, the final
  newline, key order and non-ASCII text (written raw, never ``\\u``-escaped) are kept.
* A new member goes after the last one, on its own line with the same indentation (or
  inline when the object/array is written on one line); a trailing comma style is kept.
* A replaced container that was written on one line stays on one line if it fits in 100
  columns; otherwise new containers are written in block style with the file's indent.
* Comments (``//`` and ``/* */``) and trailing commas are accepted (JSONC: tsconfig,
  devcontainer.json, .eslintrc.json).  A deleted member's line goes with its trailing
  comment; comments on the lines above it stay.
* Duplicate keys are accepted when reading but a path through one is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any, cast

from hammurabi.core.errors import ConfigError, DocumentError
from hammurabi.documents.base import (
    MISSING,
    Document,
    SingleCodec,
    after_line,
    check_value,
    describe,
    line_end,
    line_start,
    newline_of,
    same_value,
    splice,
)
from hammurabi.documents.paths import KeyPath, Part

__all__ = ["CODEC", "JsonDocument"]

_WS = re.compile(r"(?:[ \t\r\n]+|//[^\n]*|/\*.*?\*/)*", re.S)
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_WORD = re.compile(r"-?[A-Za-z]+")
_LITERALS: dict[str, Any] = {
    "true": True,
    "false": False,
    "null": None,
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
}
_ONLY_COMMENT = re.compile(r"[ \t]*(?://.*|/\*.*?\*/[ \t]*)?\r?")
_INDENT = re.compile(r"[ \t]*")
_MAX_LINE = 100
_PUNCT = (",", "}", "]")

_scan_once = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[attr-defined]


class _Invalid(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass(slots=True)
class _Member:
    key: Part
    start: int  # the key (objects) or the value (arrays)
    key_end: int
    value_start: int
    value_end: int
    comma: int  # index of the comma after the value, -1 when none


@dataclass(slots=True)
class _Container:
    is_object: bool
    open: int
    close: int
    members: list[_Member]


@dataclass(slots=True)
class _Walk:
    """Where a path leads: ``found`` parts were found, ``chain[i]`` is part ``i``'s member."""

    chain: list[tuple[_Container, _Member]]
    found: int
    pos: int  # value start of the deepest found node
    container: _Container | None  # that node when it is an object or array


class JsonDocument(Document):
    """A JSON document edited by splicing its text."""

    fmt = "json"

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text
        self._containers: dict[int, _Container] = {}
        self._start = 1 if text.startswith("\ufeff") else 0
        self._nl = newline_of(text)
        self._empty = not text[self._start :].strip(" \t\r\n")
        self.strict = True
        if not self._empty:
            self._validate(text)
        self._detect_style()

    # -- reading ---------------------------------------------------------------------------

    def _validate(self, text: str) -> None:
        try:
            json.loads(text[self._start :])
            self.strict = True
            return
        except (ValueError, RecursionError):
            self.strict = False
        try:
            _, end = self._parse(self._ws(self._start))
            end = self._ws(end)
            if end != len(self.text):
                raise _Invalid("extra data after the document", end)
        except _Invalid as exc:
            line = self.text.count("\n", 0, exc.pos) + 1
            column = exc.pos - line_start(self.text, exc.pos) + 1
            raise DocumentError(
                f"invalid JSON: {exc.message} (line {line}, column {column})"
            ) from None
        except RecursionError:
            raise DocumentError("invalid JSON: nested too deeply") from None

    def _ws(self, pos: int) -> int:
        match = _WS.match(self.text, pos)
        return match.end() if match else pos

    def _parse(self, pos: int) -> tuple[Any, int]:
        """Parse the (JSONC) value at ``pos``; return it and its end."""
        t = self.text
        if pos >= len(t):
            raise _Invalid("unexpected end of text", pos)
        ch = t[pos]
        if ch == '"':
            try:
                string: tuple[str, int] = scanstring(t, pos + 1)
            except ValueError as exc:
                raise _Invalid(str(exc).split(":")[0], pos) from None
            return string
        if ch in "{[":
            c = self._container(pos)
            if c.is_object:
                return {m.key: self._parse(m.value_start)[0] for m in c.members}, c.close + 1
            return [self._parse(m.value_start)[0] for m in c.members], c.close + 1
        match = _NUMBER.match(t, pos)
        if match and match.end() > pos:
            text = match.group()
            return (float(text) if any(c in text for c in ".eE") else int(text)), match.end()
        match = _WORD.match(t, pos)
        if match and match.group() in _LITERALS:
            return _LITERALS[match.group()], match.end()
        raise _Invalid(f"unexpected {ch!r}", pos)

    def _skip(self, pos: int) -> int:
        """Return the end of the value at ``pos`` (the C scanner when it can)."""
        try:
            return int(_scan_once(self.text, pos)[1])
        except (StopIteration, ValueError):
            return self._parse(pos)[1]

    def _container(self, pos: int) -> _Container:
        """Return the object or array at ``pos`` (scanned once per version of the text)."""
        found = self._containers.get(pos)
        if found is None:
            found = self._containers[pos] = self._scan_container(pos)
        return found

    def _scan_container(self, pos: int) -> _Container:
        t, n = self.text, len(self.text)
        # the hot loop of every edit: local names, no method calls per member
        ws = cast("Callable[[str, int], re.Match[str]]", _WS.match)  # matches "" at worst
        scan = _scan_once
        is_object = t[pos] == "{"
        closer = "}" if is_object else "]"
        members: list[_Member] = []
        i = ws(t, pos + 1).end()
        index = 0
        while True:
            if i >= n:
                raise _Invalid(f"unclosed {t[pos]!r}", pos)
            if t[i] == closer:
                return _Container(is_object, pos, i, members)
            key: Part
            if is_object:
                if t[i] != '"':
                    raise _Invalid("expected a string key", i)
                try:
                    key, key_end = scanstring(t, i + 1)
                except ValueError as exc:
                    raise _Invalid(str(exc).split(":")[0], i) from None
                j = key_end if t[key_end : key_end + 1] == ":" else ws(t, key_end).end()
                if j >= n or t[j] != ":":
                    raise _Invalid("expected ':'", j)
                value_start = ws(t, j + 1).end()
            else:
                key, key_end, value_start = index, i, i
            try:  # the C scanner skips the value (as _skip, inlined)
                value_end = scan(t, value_start)[1]
            except (StopIteration, ValueError):
                value_end = self._parse(value_start)[1]
            j = value_end if t[value_end : value_end + 1] in _PUNCT else ws(t, value_end).end()
            if j < n and t[j] == ",":
                members.append(_Member(key, i, key_end, value_start, value_end, j))
                i = ws(t, j + 1).end()
            elif j < n and t[j] == closer:
                members.append(_Member(key, i, key_end, value_start, value_end, -1))
                i = j
            else:
                raise _Invalid(f"expected ',' or {closer!r}", j)
            index += 1

    def _walk(self, path: KeyPath, *, container: bool = False) -> _Walk:
        chain: list[tuple[_Container, _Member]] = []
        pos = self._ws(self._start)
        for depth, part in enumerate(path):
            if self.text[pos] not in "{[":
                return _Walk(chain, depth, pos, None)
            c = self._container(pos)
            member = self._lookup(c, part, path[: depth + 1])
            if member is None:
                return _Walk(chain, depth, pos, c)
            chain.append((c, member))
            pos = member.value_start
        last = self._container(pos) if container and self.text[pos] in "{[" else None
        return _Walk(chain, len(path), pos, last)

    @staticmethod
    def _lookup(c: _Container, part: Part, where: KeyPath) -> _Member | None:
        if isinstance(part, int):
            if c.is_object:
                return None
            index = part + len(c.members) if part < 0 else part
            return c.members[index] if 0 <= index < len(c.members) else None
        if not c.is_object:
            return None
        found = [m for m in c.members if m.key == part]
        if len(found) > 1:
            raise DocumentError(f"duplicate key at {describe(where)}")
        return found[0] if found else None

    def _value(self, start: int, end: int) -> Any:
        if self.strict:
            return json.loads(self.text[start:end])
        return self._parse(start)[0]

    def get(self, path: KeyPath) -> Any:
        if self._empty:
            return MISSING
        walk = self._walk(path)
        if walk.found < len(path):
            return MISSING
        if not path:
            return self._value(walk.pos, self._skip(walk.pos))
        member = walk.chain[-1][1]
        return self._value(member.value_start, member.value_end)

    # -- style -----------------------------------------------------------------------------

    def _detect_style(self) -> None:
        self._unit: str | None = "  "
        self._key_sep = ": "
        self._item_sep = ", "
        if self._empty:
            return
        t = self.text
        root = self._ws(self._start)
        if t[root] not in "{[":
            return
        c = self._container(root)
        objects = [c] if c.is_object else []
        if c.members:
            first = c.members[0]
            if "\n" in t[c.open + 1 : first.start]:
                unit = self._line_indent(first.start)[len(self._line_indent(c.open)) :]
                self._unit = unit or "  "
            else:
                self._unit = None
            if not c.is_object and t[first.value_start] == "{":
                objects.append(self._container(first.value_start))
        for obj in objects:
            if obj.members:
                m = obj.members[0]
                if t[m.key_end] == ":" and t[m.key_end + 1 : m.key_end + 2] not in (" ", "\t"):
                    self._key_sep = ":"
                break
        if self._unit is None and len(c.members) > 1 and t[c.members[0].comma + 1] != " ":
            self._item_sep = ","

    def _line_indent(self, pos: int) -> str:
        start = line_start(self.text, pos)
        match = _INDENT.match(self.text, start)
        return match.group() if match else ""

    def _render(self, value: Any, indent: str, inline: bool) -> str:
        if inline or self._unit is None or not (isinstance(value, dict | list) and value):
            return json.dumps(value, ensure_ascii=False, separators=(self._item_sep, self._key_sep))
        text = json.dumps(
            value, ensure_ascii=False, indent=self._unit, separators=(",", self._key_sep)
        )
        return text.replace("\n", self._nl + indent)

    def _member_text(
        self, c: _Container, key: Part | None, value: Any, indent: str, inline: bool
    ) -> str:
        text = self._render(value, indent, inline)
        if c.is_object:
            return json.dumps(key, ensure_ascii=False) + self._key_sep + text
        return text

    # -- editing ---------------------------------------------------------------------------

    def _apply(self, edits: list[tuple[int, int, str]], *, one_value: bool = False) -> None:
        """Splice ``edits`` into the text, refusing a result that is not JSON any more.

        With ``one_value`` the one edit replaces a whole value (or key string) by the text
        of one JSON value: checking that text alone proves the document still parses, so
        the document is not parsed again.
        """
        new = splice(self.text, edits)
        if new == self.text:
            return
        old = self.text
        self._containers.clear()
        self.text = new
        try:
            if one_value:
                self._validate_value(edits[0][2])
            else:
                self._validate(new)
        except DocumentError as exc:
            self._containers.clear()
            self.text = old
            raise DocumentError(
                f"internal error: the edit would corrupt the file ({exc})"
            ) from None
        self._empty = False
        self.changed = True

    @staticmethod
    def _validate_value(text: str) -> None:
        try:
            json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise DocumentError(f"invalid JSON: {exc}") from None

    def set(self, path: KeyPath, value: Any) -> None:
        check_value(value, path)
        if not path:
            raise ConfigError("cannot replace the whole document; give a key path")
        if self._empty:
            if isinstance(path[0], int):
                raise DocumentError(f"cannot create list index at {describe(path[:1])}")
            nested = _nest(path, value)
            self._unit = self._unit or "  "
            new = self._render(nested, "", inline=False) + self._nl
            self._apply([(self._start, len(self.text), new)])
            return
        walk = self._walk(path)
        if walk.found == len(path):
            _, member = walk.chain[-1]
            old_text = self.text[member.value_start : member.value_end]
            if same_value(self._value(member.value_start, member.value_end), value):
                return
            indent = self._line_indent(member.start)
            inline = False
            if old_text[:1] in "{[" and "\n" not in old_text and isinstance(value, dict | list):
                candidate = self._render(value, indent, inline=True)
                column = member.value_start - line_start(self.text, member.value_start)
                inline = column + len(candidate) <= _MAX_LINE
            new = self._render(value, indent, inline)
            self._apply([(member.value_start, member.value_end, new)], one_value=True)
            return
        where = path[: walk.found]
        c = walk.container
        part = path[walk.found]
        if c is None:
            raise DocumentError(
                f"cannot set {describe(path)}: {describe(where)} is not a container"
            )
        if isinstance(part, int) or not c.is_object:
            what = "object" if c.is_object else "list"
            if isinstance(part, int) and not c.is_object:
                raise DocumentError(
                    f"cannot set {describe(path)}: list index {part} is past the end of "
                    f"{describe(where)} ({len(c.members)} items)"
                )
            raise DocumentError(f"cannot set {describe(path)}: {describe(where)} is an {what}")
        rest = path[walk.found + 1 :]
        if any(isinstance(p, int) for p in rest):
            raise DocumentError(f"cannot set {describe(path)}: cannot create list indexes")
        self._insert(c, [(part, _nest(rest, value))])

    def delete(self, path: KeyPath) -> None:
        if not path:
            raise ConfigError("cannot delete the whole document")
        if self._empty:
            return
        walk = self._walk(path)
        if walk.found < len(path):
            return
        c, member = walk.chain[-1]
        self._apply(self._removal(c, c.members.index(member)))

    def rename(self, path: KeyPath, new_name: str) -> None:
        if not path or not isinstance(path[-1], str):
            raise ConfigError(f"cannot rename {describe(path)}: the path must end with a key")
        if self._empty:
            return
        walk = self._walk(path[:-1], container=True)
        if walk.found < len(path) - 1:
            return
        c = walk.container
        if c is None or not c.is_object:
            return
        source = self._lookup(c, path[-1], path)
        target = self._lookup(c, new_name, (*path[:-1], new_name))
        if source is None:
            return
        if target is not None and target is not source:
            if same_value(
                self._value(source.value_start, source.value_end),
                self._value(target.value_start, target.value_end),
            ):
                self._apply(self._removal(c, c.members.index(source)))
                return
            raise DocumentError(
                f"cannot rename {describe(path)} to {new_name!r}: the key exists with another value"
            )
        key_text = json.dumps(new_name, ensure_ascii=False)
        self._apply([(source.start, source.key_end, key_text)], one_value=True)

    def append_items(self, path: KeyPath, items: list[Any]) -> None:
        check_value(items, path)
        walk = self._walk(path, container=True) if not self._empty else None
        if walk is None or walk.found < len(path):
            raise DocumentError(f"cannot append to {describe(path)}: it does not exist")
        if walk.container is None or walk.container.is_object:
            raise DocumentError(f"cannot append to {describe(path)}: it is not a list")
        if items:
            self._insert(walk.container, [(None, item) for item in items])

    def _insert(self, c: _Container, entries: list[tuple[Part | None, Any]]) -> None:
        t, nl = self.text, self._nl
        if not c.members:
            inner = t[c.open + 1 : c.close]
            base = self._line_indent(c.open)
            scalars = all(not isinstance(v, dict | list) for _, v in entries)
            inline = self._unit is None or (not c.is_object and scalars and "\n" not in inner)
            if inline:
                texts = [self._member_text(c, k, v, "", True) for k, v in entries]
                candidate = (self._item_sep).join(texts)
                column = c.open - line_start(t, c.open)
                if self._unit is None or column + len(candidate) + 2 <= _MAX_LINE:
                    self._apply([(c.open + 1, c.close, candidate)])
                    return
            indent = base + (self._unit or "  ")
            texts = [self._member_text(c, k, v, indent, False) for k, v in entries]
            body = ("," + nl + indent).join(texts)
            if inner.strip():  # comments inside the empty container stay after the new members
                self._apply([(c.open + 1, c.open + 1, nl + indent + body)])
            else:
                self._apply([(c.open + 1, c.close, nl + indent + body + nl + base)])
            return
        last = c.members[-1]
        if len(c.members) > 1:
            gap = t[c.members[-2].comma + 1 : last.start]
        else:
            gap = t[c.open + 1 : last.start]
        trailing = last.comma >= 0
        if "\n" in gap:
            indent = self._line_indent(last.start)
            texts = [self._member_text(c, k, v, indent, False) for k, v in entries]
            body = ("," + nl + indent).join(texts)
            anchor = last.comma + 1 if trailing else last.value_end
            end = line_end(t, anchor)
            at_eol = _ONLY_COMMENT.fullmatch(t[anchor:end]) is not None
            if trailing:
                at = end if at_eol else anchor
                self._apply([(at, at, nl + indent + body + ",")])
            elif at_eol and end > anchor:
                self._apply([(anchor, anchor, ","), (end, end, nl + indent + body)])
            else:
                self._apply([(anchor, anchor, "," + nl + indent + body)])
            return
        sep = gap if len(c.members) > 1 and not gap.strip() else self._item_sep[1:]
        texts = [self._member_text(c, k, v, "", True) for k, v in entries]
        body = ("," + sep).join(texts)
        if trailing:
            self._apply([(last.comma + 1, last.comma + 1, sep + body + ",")])
        else:
            self._apply([(last.value_end, last.value_end, "," + sep + body)])

    def _removal(self, c: _Container, i: int) -> list[tuple[int, int, str]]:
        t, m = self.text, c.members[i]
        if len(c.members) == 1:
            end = m.comma + 1 if m.comma >= 0 else m.value_end
            if not t[c.open + 1 : m.start].strip() and not t[end : c.close].strip():
                return [(c.open + 1, c.close, "")]
            return [self._span(m, with_comma=True)]
        if m.comma >= 0:
            return [self._span(m, with_comma=True)]
        prev = c.members[i - 1]
        between = t[prev.comma + 1 : m.start]
        rest = t[m.value_end : line_end(t, m.value_end)]
        if "/" not in between and not rest.lstrip().startswith("/"):
            return [(prev.value_end, m.value_end, "")]
        return [(prev.comma, prev.comma + 1, ""), self._span(m, with_comma=False)]

    def _span(self, m: _Member, *, with_comma: bool) -> tuple[int, int, str]:
        t = self.text
        end = m.comma + 1 if with_comma and m.comma >= 0 else m.value_end
        start = line_start(t, m.start)
        if not t[start : m.start].strip() and _ONLY_COMMENT.fullmatch(t[end : line_end(t, end)]):
            return (start, after_line(t, end), "")
        while end < len(t) and t[end] in " \t":
            end += 1
        return (m.start, end, "")

    def dump(self) -> str:
        return self.text if self.changed else self.original


def _nest(path: KeyPath, value: Any) -> Any:
    for part in reversed(path):
        value = {part: value}
    return value


CODEC = SingleCodec("json", JsonDocument)
