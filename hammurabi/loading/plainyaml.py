"""The plain subset of YAML most law files are written in, read without importing PyYAML.

Importing PyYAML costs a run's start-up more than reading any law file does (it compiles a
dozen regular expressions), so a law file that only uses block mappings and sequences,
one-line flow mappings and sequences, one-line quoted strings, plain strings, whole numbers,
booleans and nulls, and comments is read here. The result is what PyYAML's safe loader
(:mod:`hammurabi.loading.lawfile`'s) gives: the same values and types, each mapping made by
``mapping`` with its ``line``. Anything else (another scalar type, a block scalar, anchors,
tags, a plain string over several lines, a duplicate key, a syntax error) raises
:class:`NotPlain`, and PyYAML reads the file, with its errors and their line numbers.
tests/test_plainyaml.py compares both readers on generated documents and every law file here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


class NotPlain(Exception):
    """The text is outside the subset: PyYAML must read it."""


_BOOLS = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
_NULLS = ("~", "null", "Null", "NULL")
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
#: PyYAML's implicit resolvers for numbers, timestamps, the merge and the value key: a
#: plain scalar they match (other than a plain integer) is left to PyYAML.
_OTHER = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN)
    |[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9]
     (?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
    |<<
    |=)$""",
    re.X,
)
#: First characters YAML reserves as indicators (a plain scalar may not start with them).
_INDICATORS = frozenset("?:,[]{}#&*!|>'\"%@`")
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*):(?: +|$)")
_FLOW_PLAIN = re.compile(r"[^,\[\]{}:#'\"?]*")


def load(text: str, mapping: Callable[[], dict[Any, Any]]) -> Any:
    """The document in ``text``; raises NotPlain where PyYAML must decide."""
    if not text.isascii() or any(c < " " and c != "\n" for c in text) or "\x7f" in text:
        raise NotPlain("control or non-ASCII characters")
    lines: list[tuple[int, int, str]] = []  # (line number, indent, content)
    for number, raw in enumerate(text.split("\n"), start=1):
        content = _strip_comment(raw)
        if not content.strip():
            continue
        if raw.startswith(("---", "...", "%")):
            raise NotPlain("document markers or directives")
        stripped = content.lstrip(" ")
        lines.append((number, len(content) - len(stripped), stripped.rstrip(" ")))
    if not lines:
        return None
    reader = _Reader(lines, mapping)
    value = reader.node(0, lines[0][1])
    if reader.at < len(lines):
        raise NotPlain("content after the document")
    return value


def _strip_comment(line: str) -> str:
    """``line`` without its comment (a ``#`` at the start or after a space, not quoted)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] == " "):
            return line[:index]
    if quote:
        raise NotPlain("a quoted string over several lines, or a stray quote")
    return line


class _Reader:
    def __init__(self, lines: list[tuple[int, int, str]], mapping: Callable[[], Any]) -> None:
        self.lines = lines
        self.at = 0
        self.mapping = mapping

    def node(self, parent: int, indent: int) -> Any:
        """The block node whose first line is the next one, at ``indent`` (> ``parent``)."""
        number, _, content = self.lines[self.at]
        if content == "-" or content.startswith("- "):
            return self.sequence(indent)
        if _KEY.match(content):
            return self.block_mapping(indent)
        self.at += 1
        value = self.inline(content, number)
        self.no_continuation(parent)
        return value

    def no_continuation(self, parent: int) -> None:
        """A plain scalar may go on over more indented lines: left to PyYAML."""
        if self.at < len(self.lines) and self.lines[self.at][1] > parent:
            raise NotPlain("a value over several lines")

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        while self.at < len(self.lines):
            number, at, content = self.lines[self.at]
            if at != indent or not (content == "-" or content.startswith("- ")):
                break
            rest = content[1:].lstrip(" ")
            if not rest:
                self.at += 1
                items.append(self.nested(indent, number, allow_sequence=False))
                continue
            inner = indent + len(content) - len(rest)
            self.lines[self.at] = (number, inner, rest)  # "- x: 1" is "x: 1" further in
            if rest == "-" or rest.startswith("- "):
                raise NotPlain("a sequence in a sequence on one line")
            items.append(self.node(indent, inner))
        return items

    def block_mapping(self, indent: int) -> Any:
        result = self.mapping()
        result.line = self.lines[self.at][0]
        while self.at < len(self.lines):
            number, at, content = self.lines[self.at]
            if at != indent:
                if at > indent:
                    raise NotPlain("unexpected indentation")
                break
            match = _KEY.match(content)
            if match is None:
                raise NotPlain("not a key")
            key = _resolve(match.group(1))
            if not isinstance(key, str) or key in result:
                raise NotPlain("a key that is not a string, or a duplicate key")
            rest = content[match.end() :]
            self.at += 1
            if rest:
                result[key] = self.inline(rest, number)
                self.no_continuation(indent)
            else:
                result[key] = self.nested(indent, number, allow_sequence=True)
        return result

    def nested(self, indent: int, number: int, *, allow_sequence: bool) -> Any:
        """The block value on the lines after a bare ``key:`` or ``-`` (null if none)."""
        if self.at == len(self.lines):
            return None
        _, at, content = self.lines[self.at]
        if at > indent:
            return self.node(indent, at)
        if at == indent and allow_sequence and (content == "-" or content.startswith("- ")):
            return self.sequence(indent)
        return None

    def inline(self, text: str, number: int) -> Any:
        """A value written on one line: a flow collection, a quoted or a plain scalar."""
        if text[0] in "{[":
            flow = _Flow(text, number, self.mapping)
            value = flow.value()
            if flow.rest().strip(" "):
                raise NotPlain("text after a flow collection")
            return value
        if text[0] in "'\"":
            value, end = _quoted(text, 0)
            if text[end:].strip(" "):
                raise NotPlain("text after a quoted string")
            return value
        if ": " in text or text.endswith(":") or "'" in text or '"' in text:
            raise NotPlain("a colon or a quote in a plain value")
        return _resolve(text)


class _Flow:
    """A flow mapping or sequence that ends on its line."""

    def __init__(self, text: str, number: int, mapping: Callable[[], Any]) -> None:
        self.text = text
        self.pos = 0
        self.number = number
        self.mapping = mapping

    def rest(self) -> str:
        return self.text[self.pos :]

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def value(self) -> Any:
        char = self.peek()
        if char == "{":
            return self.collection("}", self.mapping_entry, self.new_mapping())
        if char == "[":
            return self.collection("]", self.sequence_entry, [])
        if char in ("'", '"'):
            value, self.pos = _quoted(self.text, self.pos)
            return value
        match = _FLOW_PLAIN.match(self.text, self.pos)
        assert match is not None
        plain = match.group().strip(" ")
        self.pos = match.end()
        if not plain:
            raise NotPlain("an empty flow value")
        return _resolve(plain)

    def new_mapping(self) -> Any:
        result = self.mapping()
        result.line = self.number
        return result

    def collection(self, close: str, entry: Callable[[Any], None], into: Any) -> Any:
        self.pos += 1
        if self.peek() == close:
            self.pos += 1
            return into
        while True:
            entry(into)
            char = self.peek()
            self.pos += 1
            if char == close:
                return into
            if char != ",":
                raise NotPlain("an unclosed or unusual flow collection")
            if self.peek() == close:
                raise NotPlain("a trailing comma")

    def mapping_entry(self, into: Any) -> None:
        if self.peek() in ("{", "[", "'", '"', "?"):
            raise NotPlain("a key that is not plain")
        match = _FLOW_PLAIN.match(self.text, self.pos)
        assert match is not None
        key = _resolve(match.group().strip(" "))
        self.pos = match.end()
        if not isinstance(key, str) or key in into or self.text[self.pos : self.pos + 2] != ": ":
            raise NotPlain("a key that is not a string, a duplicate key, or no ': '")
        self.pos += 2
        if self.peek() in (",", "}"):
            into[key] = None
        else:
            into[key] = self.value()

    def sequence_entry(self, into: list[Any]) -> None:
        into.append(self.value())


def _quoted(text: str, start: int) -> tuple[str, int]:
    """A one-line quoted scalar at ``start``: its value and the position after it."""
    quote = text[start]
    if quote == '"':
        end = text.find('"', start + 1)
        if end < 0 or "\\" in text[start:end]:
            raise NotPlain("an escape or an unclosed double-quoted string")
        return text[start + 1 : end], end + 1
    pieces = []
    pos = start + 1
    while True:
        end = text.find("'", pos)
        if end < 0:
            raise NotPlain("an unclosed single-quoted string")
        pieces.append(text[pos:end])
        if text.startswith("''", end):
            pieces.append("'")
            pos = end + 2
            continue
        return "".join(pieces), end + 1


def _resolve(plain: str) -> Any:
    """A plain scalar's value as PyYAML's safe loader resolves it (YAML 1.1)."""
    if not plain:
        raise NotPlain("an empty plain scalar")
    if plain in _BOOLS:
        return _BOOLS[plain]
    if plain in _NULLS:
        return None
    if plain[0] in _INDICATORS or plain == "-" or plain.startswith("- "):
        raise NotPlain("an indicator")
    if plain[0] in "-+.0123456789<=":
        if _INT.fullmatch(plain):
            return int(plain)
        if _OTHER.match(plain):
            raise NotPlain("a number, a timestamp or a merge key")
    return plain
