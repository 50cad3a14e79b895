"""YAML by splicing the original text at positions found by ruamel.yaml.

ruamel.yaml's round trip is good but not byte-exact (it re-indents comments, respaces flow
sequences, drops CRLF, normalises mixed indentation), so the file is never re-dumped:
it is *composed* (parsed into nodes with positions) and only the edited node's text is
replaced, inserted or removed.  New text is produced by ruamel.yaml (round-trip dumper)
for one small fragment, indented like the file (mapping indent, sequence indent and dash
offset detected from the file), and placed at the column of its siblings.

* Multi-document files: ``document`` selects one (default 0); the others, ``---``/``...``
  markers, ``%`` directives, comments and blank lines stay byte-identical.
* Anchors and aliases stay: an anchored value keeps its ``&anchor`` when replaced, a path
  through an alias edits the anchored node (as every alias shows it); ``<<`` merged keys
  are read through, and setting such a key adds it to the local mapping.
* Scalars keep the quote style of the value they replace (or of their siblings); strings
  that YAML 1.1 readers would take as booleans (``yes``, ``on``) are quoted; multi-line
  strings are written as literal ``|`` blocks.
* An empty ``{}``/``[]`` in block context that receives keys or items becomes a block.
* Every edit is checked by parsing the result again; an edit that would not read back as
  intended is refused with ``DocumentError`` instead of writing a broken file.
"""

from __future__ import annotations

import bisect
import copy
import io
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from hammurabi.core import limits
from hammurabi.core.errors import ConfigError, DocumentError
from hammurabi.core.limits import LimitError
from hammurabi.documents.base import (
    MISSING,
    Document,
    after_line,
    check_text,
    check_value,
    describe,
    line_end,
    line_start,
    newline_of,
    plain,
    same_value,
    splice,
)
from hammurabi.documents.paths import KeyPath, Part

__all__ = ["CODEC", "YamlCodec", "YamlDocument"]

_MERGE = "tag:yaml.org,2002:merge"
_STR = "tag:yaml.org,2002:str"
_PH = "hammurabi_placeholder_key"
_WIDTH = 1 << 30
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
_PROPS = re.compile(r"(?:[&!][^\s,\[\]{}]*[ \t]*)+")
_COMMENT_TAIL = re.compile(r"[ \t]*(#.*)?\r?$")
_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.M)


class _AliasScalar(ScalarNode):
    __slots__ = ()


class _AliasSequence(SequenceNode):
    __slots__ = ()


class _AliasMapping(MappingNode):
    __slots__ = ()


_ALIAS_TYPES: dict[type, type] = {
    ScalarNode: _AliasScalar,
    SequenceNode: _AliasSequence,
    MappingNode: _AliasMapping,
}
_ALIASES = (_AliasScalar, _AliasSequence, _AliasMapping)


class _Composer(Composer):
    """A composer that gives alias references their own node (a copy with the alias's marks)
    and refuses more nodes than ``limits.yaml_nodes`` (it counts as it goes)."""

    count = 0
    limit = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.count += 1
        if self.limit and self.count > self.limit:
            raise _too_many(self.limit)
        if self.parser.check_event(AliasEvent):
            event = self.parser.peek_event()
            node = super().compose_node(parent, index)
            alias = copy.copy(node)
            alias.__class__ = _ALIAS_TYPES[type(node)]
            alias.start_mark, alias.end_mark, alias.anchor = event.start_mark, event.end_mark, None
            return alias
        return super().compose_node(parent, index)


def _too_many(limit: int) -> LimitError:
    return LimitError(
        f"the YAML file has more than {limit:,} nodes, its aliases expanded "
        "(limits.yaml_nodes); refusing to read it"
    )


def _compose(text: str) -> list[Node | None]:
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = _Composer
    limit = limits.current().yaml_nodes
    yaml.composer.limit = limit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            roots = list(yaml.compose_all(text))
        if limit:
            _check_aliases(roots, limit - yaml.composer.count, limit)
    except YAMLError as exc:
        raise DocumentError(f"invalid YAML: {_yaml_message(exc)}") from None
    except RecursionError:
        raise DocumentError("invalid YAML: nested too deeply") from None
    return roots


def _check_aliases(roots: list[Node | None], budget: int, limit: int) -> None:
    """Refuse a stream whose aliases, expanded, add more than ``budget`` nodes (a "billion
    laughs" file), before anything reads its values. Counting is linear in the file."""
    sizes: dict[int, int] = {}

    def expanded(node: Node) -> int:  # nodes under ``node`` with every alias expanded
        if isinstance(node, ScalarNode):
            return 1
        key = id(node.value)  # an alias shares its anchor's children
        if key not in sizes:
            sizes[key] = 0  # a recursive alias counts once
            children = (
                [n for pair in node.value for n in pair]
                if isinstance(node, MappingNode)
                else node.value
            )
            sizes[key] = 1 + sum(expanded(child) for child in children)
        return sizes[key]

    added = 0
    seen: set[int] = set()
    pending = [root for root in roots if root is not None]
    while pending:
        node = pending.pop()
        if isinstance(node, _ALIASES):
            added += expanded(node)
            if added > budget:
                raise _too_many(limit)
        elif not isinstance(node, ScalarNode) and id(node) not in seen:
            seen.add(id(node))
            if isinstance(node, MappingNode):
                pending.extend(n for pair in node.value for n in pair)
            else:
                pending.extend(node.value)


def _yaml_message(exc: Exception) -> str:
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    problem = " ".join(str(problem).split())
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return problem.splitlines()[0] if problem else type(exc).__name__


@lru_cache(maxsize=32)
def _dumper(mapping: int, sequence: int, offset: int, flow: bool) -> YAML:
    yaml = YAML()
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.width = _WIDTH
    yaml.default_flow_style = flow
    yaml.allow_unicode = True
    return yaml


def _dump(yaml: YAML, data: Any) -> str:
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


@dataclass(slots=True)
class _Entry:
    """A mapping entry (``key`` set) or a sequence item (``key`` None) along a path."""

    parent: Node
    index: int
    key: ScalarNode | None
    value: Node


@dataclass(slots=True)
class _Walk:
    chain: list[_Entry]
    found: int
    node: Node | None  # deepest found node (the root when nothing was found)
    inherited: bool = False  # the next part exists only through a << merge


class YamlDocument(Document):
    """One document of a YAML stream, edited by splicing the stream's text."""

    fmt = "yaml"

    def __init__(self, text: str, document: int = 0) -> None:
        super().__init__(text)
        self.text = text
        self._nl = newline_of(text)
        self._selector = document
        self._stream: list[Node | None] | None = _compose(text)
        self._select()
        self._detect_style()

    @property
    def _roots(self) -> list[Node | None]:
        """The stream's documents; composed again on first use after an edit."""
        if self._stream is None:
            self._stream = _compose(self.text)
            self._select()
        return self._stream

    @property
    def root(self) -> Node | None:
        """The selected document's root node (``None`` for an empty stream)."""
        roots = self._roots
        return roots[self._index] if roots else None

    def _select(self) -> None:
        count = len(self._roots)
        index = self._selector + count if self._selector < 0 else self._selector
        if count == 0 and self._selector in (0, -1):
            self._index = 0
            return
        if not 0 <= index < count:
            raise DocumentError(
                f"the file has {count} YAML document(s); no document {self._selector}"
            )
        self._index = index

    # -- style -----------------------------------------------------------------------------

    def _detect_style(self) -> None:
        maps: Counter[int] = Counter()
        seqs: Counter[tuple[int, int]] = Counter()
        budget = [400]

        def visit(node: Node | None, depth: int) -> None:
            if budget[0] <= 0 or depth > 30 or node is None or isinstance(node, _ALIASES):
                return
            budget[0] -= 1
            if isinstance(node, MappingNode):
                for k, v in node.value:
                    block = not node.flow_style and not getattr(v, "flow_style", False)
                    if not block or not v.value or isinstance(v, _ALIASES):
                        pass
                    elif isinstance(v, MappingNode):
                        first = v.value[0][0]
                        if first.start_mark.line > k.start_mark.line:
                            maps[first.start_mark.column - k.start_mark.column] += 1
                    elif isinstance(v, SequenceNode):
                        dash = self._dash(v.value[0])
                        item = v.value[0].start_mark
                        if dash is not None and self._line_of(dash) > k.start_mark.line:
                            col = k.start_mark.column
                            dash_col = dash - line_start(self.text, dash)
                            seqs[(item.column - col, dash_col - col)] += 1
                    visit(v, depth + 1)
            elif isinstance(node, SequenceNode):
                for item in node.value:
                    visit(item, depth + 1)

        for root in self._roots:
            visit(root, 0)
        mapping = maps.most_common(1)[0][0] if maps else 2
        mapping = mapping if 1 <= mapping <= 8 else 2
        sequence, offset = seqs.most_common(1)[0][0] if seqs else (mapping + 2, mapping)
        if not (offset >= 0 and sequence - offset >= 2 and sequence <= 12):
            sequence, offset = mapping + 2, mapping
        self._m, self._s, self._o = mapping, sequence, offset

    def _line_of(self, pos: int) -> int:
        return self.text.count("\n", 0, pos)

    def _dash(self, item: Node) -> int | None:
        """Return the index of the ``-`` introducing the block sequence ``item``."""
        t = self.text
        i = item.start_mark.index - 1
        while i >= 0 and t[i] in " \t\r\n":
            i -= 1
        return i if i >= 0 and t[i] == "-" else None

    # -- positions -------------------------------------------------------------------------

    def _colon(self, key: Node) -> int:
        """Return the index just past the ``:`` after a mapping key."""
        t = self.text
        i: int = key.end_mark.index
        while i < len(t) and t[i] in " \t":
            i += 1
        if i < len(t) and t[i] == ":":
            return i + 1
        raise DocumentError("unsupported YAML construct: a complex mapping key")

    @staticmethod
    def _is_empty(node: Node) -> bool:
        return (
            isinstance(node, ScalarNode)
            and not isinstance(node, _ALIASES)
            and node.value == ""
            and node.style is None
            and node.start_mark.index == node.end_mark.index
        )

    def _value_start(self, entry: _Entry) -> int:
        """Return where the entry's value text starts (anchors and tags included)."""
        if self._is_empty(entry.value):
            if entry.key is not None:
                return self._colon(entry.key)
            dash = self._dash(entry.value)
            return entry.value.start_mark.index if dash is None else dash + 1
        return int(entry.value.start_mark.index)

    def _end(self, node: Node) -> int:
        """Return the end of a node's content (no trailing blank lines or comments)."""
        if isinstance(node, _ALIASES):
            return int(node.end_mark.index)
        if isinstance(node, ScalarNode):
            end = int(node.end_mark.index)
            if node.style in ("|", ">"):
                start = node.start_mark.index
                while end > start and self.text[end - 1] in " \t\r\n":
                    end -= 1
            return end
        if getattr(node, "flow_style", False) or not node.value:
            return int(node.end_mark.index)
        if isinstance(node, MappingNode):
            key, value = node.value[-1]
            if self._is_empty(value):
                return self._colon(key)
            return self._end(value)
        last = node.value[-1]
        if self._is_empty(last):
            dash = self._dash(last)
            return last.start_mark.index if dash is None else dash + 1
        return self._end(last)

    def _props(self, node: Node) -> tuple[str, int]:
        """Return the node's anchor (``&name`` or "") and where its content starts."""
        start = int(node.start_mark.index)
        if isinstance(node, _ALIASES):
            return "", start
        match = _PROPS.match(self.text, start)
        if not match:
            return "", start
        anchor = next((p for p in match.group().split() if p.startswith("&")), "")
        return anchor, match.end()

    def _column(self, pos: int) -> int:
        return pos - line_start(self.text, pos)

    # -- navigation ------------------------------------------------------------------------

    def _walk(self, path: KeyPath) -> _Walk:
        chain: list[_Entry] = []
        node = self.root
        for depth, part in enumerate(path):
            if node is None:
                return _Walk(chain, depth, None)
            entry = self._lookup(node, part, path[: depth + 1])
            if entry is None:
                inherited = isinstance(node, MappingNode) and self._merged(node, part) is not None
                return _Walk(chain, depth, node, inherited)
            chain.append(entry)
            node = entry.value
        return _Walk(chain, len(path), node)

    @staticmethod
    def _lookup(node: Node, part: Part, where: KeyPath) -> _Entry | None:
        if isinstance(node, MappingNode):
            if not isinstance(part, str):
                return None
            found = [
                _Entry(node, i, k, v)
                for i, (k, v) in enumerate(node.value)
                if isinstance(k, ScalarNode) and k.tag != _MERGE and k.value == part
            ]
            if len(found) > 1:
                raise DocumentError(f"duplicate key at {describe(where)}")
            return found[0] if found else None
        if isinstance(node, SequenceNode) and isinstance(part, int):
            index = part + len(node.value) if part < 0 else part
            if 0 <= index < len(node.value):
                return _Entry(node, index, None, node.value[index])
        return None

    def _merged(self, node: MappingNode, part: Part) -> Node | None:
        """Return the value ``part`` gets through ``<<`` merge keys of ``node``."""
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.tag == _MERGE:
                sources = v.value if isinstance(v, SequenceNode) else [v]
                for source in sources:
                    if isinstance(source, MappingNode):
                        entry = self._lookup(source, part, ())
                        if entry is not None:
                            return entry.value
                        inner = self._merged(source, part)
                        if inner is not None:
                            return inner
        return None

    def _construct(self, node: Node) -> Any:
        yaml = YAML()
        yaml.allow_duplicate_keys = True  # read as the last one (as GitLab does); paths refuse
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return plain(yaml.constructor.construct_document(_single_merges(node)))
        except YAMLError as exc:
            raise DocumentError(f"cannot read YAML value: {_yaml_message(exc)}") from None

    def get(self, path: KeyPath) -> Any:
        node = self.root
        for depth, part in enumerate(path):
            if node is None:
                break
            entry = self._lookup(node, part, path[: depth + 1])
            if entry is not None:
                node = entry.value
            else:
                node = self._merged(node, part) if isinstance(node, MappingNode) else None
        return MISSING if node is None else self._construct(node)

    # -- rendering -------------------------------------------------------------------------

    def _prepare(self, value: Any, hint: str | None) -> Any:
        """Wrap strings that must be quoted (or match the neighbours' quotes)."""
        if isinstance(value, dict):
            return {k: self._prepare(v, hint) for k, v in value.items()}
        if isinstance(value, list):
            return [self._prepare(v, hint) for v in value]
        if isinstance(value, str) and "\n" not in value and type(value) is str:
            if hint == '"' or (hint == "'" and not _needs_double(value)):
                return (DoubleQuotedScalarString if hint == '"' else SingleQuotedScalarString)(
                    value
                )
            if value.lower() in _YAML11_WORDS or _looks_like_sexagesimal(value):
                return SingleQuotedScalarString(value)
        return value

    def _block(self, value: Any, hint: str | None) -> str:
        """Return ``value`` rendered as a mapping value: ``" 1"`` or ``"\\n  a: 1"``."""
        yaml = _dumper(self._m, self._s, self._o, False)
        text = _dump(yaml, {_PH: self._prepare(value, hint)})
        assert text.startswith(_PH + ":")
        return text[len(_PH) + 1 :].rstrip("\n")

    def _scalar(self, value: Any, hint: str | None, *, flow: bool, column: int) -> str | None:
        """Return a one-line (or literal block) rendering of a scalar, None for containers."""
        if isinstance(value, dict | list):
            return None
        if value is None:
            return "null"
        if isinstance(value, str) and "\n" in value:
            literal = _literal(value, column, self._nl)
            if literal is not None and not flow:
                return literal
            return _double(value)
        prepared = self._prepare(value, hint)
        if flow:
            text = _dump(_dumper(self._m, self._s, self._o, True), [prepared]).strip()
            return text[1:-1]
        return self._block(prepared, None).strip()

    def _flow(self, value: Any, hint: str | None) -> str:
        if isinstance(value, dict):
            body = ", ".join(
                f"{self._key(k, None, flow=True)}: {self._flow(v, hint)}" for k, v in value.items()
            )
            return "{" + body + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self._flow(v, hint) for v in value) + "]"
        text = self._scalar(value, hint, flow=True, column=0)
        assert text is not None
        return text

    def _key(self, name: str, hint: str | None, *, flow: bool = False) -> str:
        if hint in ("'", '"') and "\n" not in name:
            return _double(name) if hint == '"' or _needs_double(name) else _single(name)
        text = self._scalar(name, None, flow=flow, column=0)
        assert text is not None
        if text.startswith(("|", "?")):
            return _double(name)
        return text

    def _indent(self, text: str, column: int) -> str:
        """Indent every line after the first by ``column`` spaces, using the file's newline."""
        pad = " " * column
        lines = text.split("\n")
        return (self._nl).join([lines[0]] + [pad + line if line else line for line in lines[1:]])

    def _value_text(self, value: Any, hint: str | None, column: int, *, inline: bool) -> str:
        """Return what follows ``key:`` for ``value`` at an entry in ``column``."""
        if value is None:
            return ""
        scalar = self._scalar(value, hint, flow=False, column=column + self._m)
        if scalar is not None:
            return " " + scalar
        if not value:
            return " " + ("{}" if isinstance(value, dict) else "[]")
        if inline:
            return " " + self._flow(value, hint)
        return self._indent(self._block(value, hint), column)

    def _item_text(self, value: Any, hint: str | None, dash_column: int) -> str:
        """Return a block sequence item (``- value`` lines) for a dash at ``dash_column``."""
        content = dash_column + self._s - self._o
        scalar = self._scalar(value, hint, flow=False, column=content)
        if scalar is not None:
            return "-" + " " * (self._s - self._o - 1) + scalar
        if not value:
            return "- " + ("{}" if isinstance(value, dict) else "[]")
        yaml = _dumper(self._m, self._s, self._o, False)
        text = _dump(yaml, [self._prepare(value, hint)]).rstrip("\n")
        lines = text.split("\n")
        cut = min(len(line) - len(line.lstrip(" ")) for line in lines if line.strip())
        return self._indent("\n".join(line[cut:] for line in lines), dash_column)

    # -- editing ---------------------------------------------------------------------------

    def _apply(self, edits: list[tuple[int, int, str]], check: Any) -> None:
        """Splice, parse again, and keep the result only when ``check(self)`` holds.

        When the edits lie inside one entry of a block mapping, parsing that entry's text
        alone proves the result (see :meth:`_entry_proves`) and the whole stream is
        composed again only when next needed; otherwise the whole stream is parsed now.
        """
        new = splice(self.text, edits)
        if new == self.text:
            return
        if self._entry_proves(edits, new, check):
            self.text, self._stream = new, None
            self.changed = True
            return
        old_text, old_stream, old_index = self.text, self._roots, self._index
        try:
            self.text = new
            self._stream = _compose(new)
            if len(self._stream) != len(old_stream) and old_stream:
                raise DocumentError("the number of documents changed")
            self._select()
            if not check(self):
                raise DocumentError("the result does not read back as intended")
        except DocumentError as exc:
            self.text, self._stream, self._index = old_text, old_stream, old_index
            raise DocumentError(
                f"cannot edit this YAML without reformatting it ({exc.message})"
            ) from None
        self.changed = True

    def _entry_proves(self, edits: list[tuple[int, int, str]], new: str, check: Any) -> bool:
        """Return whether parsing only the edited entry's text proves the edit sound.

        The entry is the innermost block-mapping entry holding every edit strictly inside
        its lines: from its key's line to the line of the next key of the same mapping
        (or to the end of the text for the root's last entry).  A key that starts its
        line at column ``c`` leaves the parser in the same state wherever it stands, and
        the next key at column ``c`` ends everything the entry opened, so when the
        entry's new text parses alone as one document holding one mapping with the same
        single key, the whole stream parses the same way around it.  Anything unusual
        (several documents, directives, anchors, document markers, an entry that does not
        parse alone, a check this part cannot answer) returns False: the caller parses
        the whole stream instead.
        """
        stream, old = self._stream, self.text
        if stream is None or len(stream) != 1 or not isinstance(stream[0], MappingNode):
            return False
        root = stream[0]
        if "%" in old[: root.start_mark.index] or old.startswith("\ufeff"):
            return False  # directives change how the rest reads
        lo, hi = min(e[0] for e in edits), max(e[1] for e in edits)
        found: tuple[int, int, ScalarNode, tuple[Part, ...]] | None = None
        node: Node = root
        prefix: tuple[Part, ...] = ()
        while True:
            if isinstance(node, MappingNode) and not node.flow_style:
                entries = node.value
                index = _last_before(lo, [k.start_mark.index for k, _ in entries])
                if index < 0 or not isinstance(entries[index][0], ScalarNode):
                    break
                key, value = entries[index]
                if key.tag == _MERGE:
                    break
                start = self._line_before(key.start_mark.index)
                if index + 1 < len(entries):
                    end = self._line_before(entries[index + 1][0].start_mark.index)
                else:
                    end = len(old) if node is root else -1
                if start >= 0 and end >= 0 and start < lo and hi < end:
                    found = (start, end, key, prefix)
                part: Part = key.value
            elif isinstance(node, SequenceNode) and not node.flow_style:
                index = _last_before(lo, [item.start_mark.index for item in node.value])
                if index < 0:
                    break
                value, part = node.value[index], index
            else:
                break
            if isinstance(value, _ALIASES) or not (
                value.start_mark.index <= lo and hi <= value.end_mark.index
            ):
                break
            node, prefix = value, (*prefix, part)
        if found is None:
            return False
        start, end, key, prefix = found
        before, after = old[start:end], new[start : end + len(new) - len(old)]
        if "&" in before or "&" in after or _MARKER.search(after):
            return False
        try:
            part_doc = _EntryText(after, prefix)
            entry = part_doc.root
            if not (
                len(part_doc._roots) == 1
                and isinstance(entry, MappingNode)
                and not entry.flow_style
                and len(entry.value) == 1
                and isinstance(entry.value[0][0], ScalarNode)
                and entry.value[0][0].value == key.value
                and entry.value[0][0].tag == key.tag
                and entry.value[0][0].start_mark.column == key.start_mark.column
            ):
                return False
            return bool(check(part_doc))
        except (DocumentError, _Elsewhere):
            return False

    def _line_before(self, pos: int) -> int:
        """Return where the line holding ``pos`` starts, -1 unless only spaces precede it."""
        start = line_start(self.text, pos)
        return start if self.text[start:pos].strip(" ") == "" else -1

    def set(self, path: KeyPath, value: Any) -> None:
        check_value(value, path)
        if not path:
            raise ConfigError("cannot replace the whole document; give a key path")

        def check(doc: YamlDocument) -> bool:
            return same_value(doc.get(path), value)

        walk = self._walk(path)
        if walk.found == len(path):
            if same_value(self._construct(walk.chain[-1].value), value):
                return
            self._apply(self._replace(walk.chain[-1], value), check)
            return
        node, part = walk.node, path[walk.found]
        where = path[: walk.found]
        rest = path[walk.found + 1 :]
        if any(isinstance(p, int) for p in rest):
            raise DocumentError(f"cannot set {describe(path)}: cannot create list indexes")
        nested = _nest(rest, value)
        if node is None:
            if walk.found or isinstance(part, int):
                raise DocumentError(f"cannot set {describe(path)}: {describe(where)} is empty")
            self._apply(self._fill_empty({part: nested}), check)
            return
        if isinstance(node, SequenceNode):
            if isinstance(part, int):
                raise DocumentError(
                    f"cannot set {describe(path)}: list index {part} is past the end of "
                    f"{describe(where)} ({len(node.value)} items)"
                )
            raise DocumentError(f"cannot set {describe(path)}: {describe(where)} is a list")
        if not isinstance(node, MappingNode) or isinstance(part, int):
            what = "a mapping" if isinstance(node, MappingNode) else "a scalar"
            raise DocumentError(f"cannot set {describe(path)}: {describe(where)} is {what}")
        assert isinstance(part, str)
        self._apply(self._add_entries(walk, node, [(part, nested)]), check)

    def _fill_empty(self, mapping: dict[str, Any]) -> list[tuple[int, int, str]]:
        if len(self._roots) > 1:
            raise DocumentError(f"document {self._selector} is empty")
        text = self._block(mapping, None)
        lines = [line[self._m :] for line in text.split("\n")[1:]]
        body = self._nl.join(lines) + self._nl
        t = self.text
        at = len(t)
        if t and not t.endswith("\n"):
            body = self._nl + body
        return [(at, at, body)]

    def _replace(self, entry: _Entry, value: Any) -> list[tuple[int, int, str]]:
        """Edits that replace an entry's (or item's) value."""
        t, old = self.text, entry.value
        anchor, _ = self._props(old)
        hint = _quote(old)
        start = self._value_start(entry)
        end = start if self._is_empty(old) else self._end(old)
        flow_context = self._in_flow(entry)
        if entry.key is None:  # a sequence item
            if flow_context:
                return [(start, end, _join(anchor, self._flow(value, hint)))]
            dash = self._dash(old) if not self._is_empty(old) else start - 1
            dash_column = self._column(dash) if dash is not None else self._column(start)
            item = self._item_text(value, hint, dash_column)
            body = item[1:].lstrip(" ")
            if anchor:
                body = anchor + (" " + body if not body.startswith(("\r", "\n")) else body)
            prefix = " " * (self._s - self._o - 1)
            if dash is None:
                raise DocumentError("unsupported YAML construct: a sequence item without '-'")
            return [(dash + 1, end, prefix + body)]
        if flow_context:
            return [(start, end, _join(anchor, self._flow(value, hint)))]
        column = self._column(entry.key.start_mark.index)
        colon = self._colon(entry.key)
        inline = isinstance(old, MappingNode | SequenceNode) and bool(old.flow_style)
        if inline:
            candidate = self._flow(value, hint)
            inline = column + len(candidate) <= 100
        text = self._value_text(value, hint, column, inline=inline)
        # keep a comment that sits on the key's line
        comment = ""
        key_line_end = line_end(t, colon)
        if line_end(t, end) != key_line_end:
            tail = t[colon:key_line_end]
            match = _COMMENT_TAIL.fullmatch(tail.replace(anchor, "", 1) if anchor else tail)
            if match and match.group(1):
                comment = match.group(1)
        elif not text.startswith(" ") or "\n" in text:
            match = _COMMENT_TAIL.fullmatch(t[end:key_line_end])
            if match and match.group(1):
                comment = match.group(1)
                end = key_line_end
        same_line = not self._is_empty(old) and line_end(t, start) == key_line_end
        if same_line and not comment and text.startswith(" ") and "\n" not in text:
            # a one-line value replacing one on the key's line: keep the space after ':'
            return [(start, end, _join(anchor, text[1:]))]
        if anchor:
            text = " " + anchor + text if text else " " + anchor
        if comment:
            first, sep, more = text.partition(self._nl)
            text = first + "  " + comment + sep + more
        return [(colon, end, text)]

    def _in_flow(self, entry: _Entry) -> bool:
        parent = entry.parent
        return bool(getattr(parent, "flow_style", False))

    def _add_entries(
        self, walk: _Walk, node: MappingNode, entries: list[tuple[str, Any]]
    ) -> list[tuple[int, int, str]]:
        """Edits that add entries at the end of a mapping."""
        nl = self._nl
        if not node.value:
            return self._fill(walk, dict(entries))
        last_key, last_value = node.value[-1]
        key_hint, hint = _quote(last_key), _quote(last_value)
        if node.flow_style:
            end = self._end(last_value) if not self._is_empty(last_value) else self._colon(last_key)
            body = ", ".join(
                f"{self._key(k, key_hint, flow=True)}: {self._flow(v, hint)}" for k, v in entries
            )
            return [(end, end, ", " + body)]
        first_key = node.value[0][0]
        column = self._column(first_key.start_mark.index)
        end = self._end(last_value) if not self._is_empty(last_value) else self._colon(last_key)
        lines = []
        for name, value in entries:
            lines.append(
                " " * column
                + self._key(name, key_hint)
                + ":"
                + self._value_text(value, hint, column, inline=False)
            )
        return [self._insert_after_line(end, nl.join(lines))]

    def _insert_after_line(self, end: int, block: str) -> tuple[int, int, str]:
        t, nl = self.text, self._nl
        at = after_line(t, end)
        if at == len(t) and not t.endswith("\n"):
            return (at, at, nl + block)
        return (at, at, block + nl)

    def _fill(self, walk: _Walk, value: Any) -> list[tuple[int, int, str]]:
        """Edits that turn an empty collection (``{}``/``[]``) into ``value``."""
        if walk.found == 0:
            root = self.root
            assert root is not None
            start, end = self._props(root)[1], self._end(root)
            if not value:
                return [(start, end, "{}" if isinstance(value, dict) else "[]")]
            if isinstance(value, dict):
                text = self._block(value, None)
                body = self._nl.join(line[self._m :] for line in text.split("\n")[1:])
            else:
                body = self._item_text_all(value, 0)
            return [(start, end, body)]
        return self._replace(walk.chain[walk.found - 1], value)

    def _item_text_all(self, items: list[Any], dash_column: int, hint: str | None = None) -> str:
        return (self._nl + " " * dash_column).join(
            self._item_text(v, hint, dash_column) for v in items
        )

    def delete(self, path: KeyPath) -> None:
        if not path:
            raise ConfigError("cannot delete the whole document")
        walk = self._walk(path)
        if walk.found < len(path):
            if walk.inherited and walk.found == len(path) - 1:
                raise DocumentError(
                    f"cannot delete {describe(path)}: it is inherited through a '<<' merge key"
                )
            return
        entry = walk.chain[-1]

        def check(doc: YamlDocument) -> bool:
            return doc.get(path[:-1]) is not MISSING

        self._apply(self._removal(walk, entry), check)

    def _removal(self, walk: _Walk, entry: _Entry) -> list[tuple[int, int, str]]:
        t = self.text
        parent = entry.parent
        siblings = parent.value
        if len(siblings) == 1:
            if isinstance(parent, MappingNode):
                return self._fill(_Walk(walk.chain[:-1], len(walk.chain) - 1, parent), {})
            return self._fill(_Walk(walk.chain[:-1], len(walk.chain) - 1, parent), [])
        i = entry.index
        if isinstance(parent, MappingNode):
            key, value = siblings[i]
            start = int(key.start_mark.index)
            end = self._end(value) if not self._is_empty(value) else self._colon(key)
            nxt = siblings[i + 1][0].start_mark.index if i + 1 < len(siblings) else None
            prev_end = None
            if i > 0:
                pk, pv = siblings[i - 1]
                prev_end = self._end(pv) if not self._is_empty(pv) else self._colon(pk)
        else:
            value = siblings[i]
            end = self._end(value) if not self._is_empty(value) else int(value.start_mark.index)
            if getattr(parent, "flow_style", False):
                start = int(value.start_mark.index)
            else:
                dash = self._dash(value)
                if dash is None:
                    raise DocumentError("unsupported YAML construct: a sequence item without '-'")
                start = dash
            nxt = None
            if i + 1 < len(siblings):
                following = siblings[i + 1]
                nxt = (
                    following.start_mark.index
                    if getattr(parent, "flow_style", False)
                    else self._dash(following)
                )
            prev_end = self._end(siblings[i - 1]) if i > 0 else None
        if getattr(parent, "flow_style", False):
            if nxt is not None:
                return [(start, int(nxt), "")]
            assert prev_end is not None
            return [(prev_end, end, "")]
        ls = line_start(t, start)
        if t[ls:start].strip():
            if nxt is None:
                raise DocumentError("unsupported YAML construct: entry shares its line")
            return [(start, int(nxt), "")]
        return [(ls, after_line(t, end), "")]

    def rename(self, path: KeyPath, new_name: str) -> None:
        if not path or not isinstance(path[-1], str):
            raise ConfigError(f"cannot rename {describe(path)}: the path must end with a key")
        walk = self._walk(path)
        if walk.found < len(path):
            return
        entry = walk.chain[-1]
        assert entry.key is not None
        target_path = (*path[:-1], new_name)
        target = self._walk(target_path)
        if target.found == len(path) and target.chain[-1].index != entry.index:
            if same_value(self.get(path), self.get(target_path)):
                self.delete(path)
                return
            raise DocumentError(
                f"cannot rename {describe(path)} to {new_name!r}: the key exists with another value"
            )
        hint = _quote(entry.key)
        flow = bool(getattr(entry.parent, "flow_style", False))
        key_text = self._key(new_name, hint, flow=flow)
        old_value = self.get(path)

        def check(doc: YamlDocument) -> bool:
            return doc.get(path) is MISSING and same_value(doc.get(target_path), old_value)

        self._apply([(entry.key.start_mark.index, entry.key.end_mark.index, key_text)], check)

    def append_items(self, path: KeyPath, items: list[Any]) -> None:
        check_value(items, path)
        if not items:
            return
        walk = self._walk(path)
        if walk.found < len(path):
            raise DocumentError(f"cannot append to {describe(path)}: it does not exist")
        node = walk.node
        if not isinstance(node, SequenceNode):
            raise DocumentError(f"cannot append to {describe(path)}: it is not a list")
        expected = [*self.get(path), *items]

        def check(doc: YamlDocument) -> bool:
            return same_value(doc.get(path), expected)

        if not node.value:
            if node.flow_style and not self._in_flow_parent(walk):
                self._apply(self._fill(walk, expected), check)
                return
            self._apply(
                [
                    (
                        node.end_mark.index - 1,
                        node.end_mark.index - 1,
                        ", ".join(self._flow(v, None) for v in items),
                    )
                ],
                check,
            )
            return
        last = node.value[-1]
        hint = _quote(last)
        if node.flow_style:
            end = self._end(last)
            sep = ", "
            if len(node.value) > 1:
                between = self.text[self._end(node.value[-2]) : node.value[-1].start_mark.index]
                if "\n" not in between and between.strip() == ",":
                    sep = between
            body = sep.join(self._flow(v, hint) for v in items)
            self._apply([(end, end, sep + body)], check)
            return
        dash = self._dash(last)
        if dash is None:
            raise DocumentError("unsupported YAML construct: a sequence item without '-'")
        dash_column = self._column(dash)
        block = " " * dash_column + self._item_text_all(items, dash_column, hint)
        self._apply(
            [
                self._insert_after_line(
                    self._end(last) if not self._is_empty(last) else dash + 1, block
                )
            ],
            check,
        )

    def _in_flow_parent(self, walk: _Walk) -> bool:
        return bool(walk.chain) and self._in_flow(walk.chain[-1])

    def dump(self) -> str:
        return self.text if self.changed else self.original


def _single_merges(node: Node) -> Node:
    """Return ``node``, or a copy to construct when it holds ``<<`` merge keys.

    Constructing merges rewrites the nodes (ruamel.yaml flattens the merged mappings in
    place), so a second read of the same nodes would miss the merged keys: a node with
    merges is constructed from a copy.  GitLab CI files repeat ``<<:`` in one mapping,
    which ruamel.yaml refuses; in the copy they become one ``<<`` with a list, merged in
    order, the first source that has a key winning (as for ``<<: [*a, *b]``).
    """
    seen: set[int] = set()
    stack = [node]
    has_merges = False
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, MappingNode):
            has_merges = has_merges or any(
                getattr(k, "tag", None) == _MERGE for k, _ in current.value
            )
            stack.extend(v for pair in current.value for v in pair)
        elif isinstance(current, SequenceNode):
            stack.extend(current.value)
    if not has_merges:
        return node
    copied = copy.deepcopy(node)
    seen.clear()
    stack = [copied]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, MappingNode):
            merges = [(k, v) for k, v in current.value if getattr(k, "tag", None) == _MERGE]
            if len(merges) > 1:
                sources: list[Node] = []
                for _, value in merges:
                    sources.extend(value.value if isinstance(value, SequenceNode) else [value])
                first = merges[0][0]
                kept = [(k, v) for k, v in current.value if getattr(k, "tag", None) != _MERGE]
                mark = merges[0][1]
                merged = SequenceNode(
                    "tag:yaml.org,2002:seq", sources, mark.start_mark, mark.end_mark
                )
                current.value[:] = [(first, merged), *kept]
            stack.extend(v for pair in current.value for v in pair)
        elif isinstance(current, SequenceNode):
            stack.extend(current.value)
    return copied


def _quote(node: Node) -> str | None:
    """Return the quote character of a quoted scalar node, else None."""
    if isinstance(node, ScalarNode) and node.style in ("'", '"'):
        return str(node.style)
    return None


def _join(anchor: str, text: str) -> str:
    return f"{anchor} {text}" if anchor else text


def _nest(path: KeyPath, value: Any) -> Any:
    for part in reversed(path):
        value = {part: value}
    return value


def _needs_double(value: str) -> bool:
    return any(ord(ch) < 32 or ch == "\x7f" for ch in value)


def _single(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _double(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _looks_like_sexagesimal(value: str) -> bool:
    return re.fullmatch(r"[-+]?\d+(?::[0-5]?\d)+(?:\.\d*)?", value) is not None


def _literal(value: str, column: int, nl: str) -> str | None:
    """Return ``value`` as a literal block scalar with content at ``column``, if possible."""
    if value[:1] in (" ", "\t", "\n") or _needs_double(value.replace("\n", "").replace("\t", "")):
        return None
    if value.endswith("\n\n"):
        chomp, body = "+", value[:-1]
    elif value.endswith("\n"):
        chomp, body = "", value[:-1]
    else:
        chomp, body = "-", value
    lines = body.split("\n")
    if any(line != line.rstrip(" \t") and not line.strip() for line in lines[:1]):
        return None
    pad = " " * max(column, 1)
    return "|" + chomp + nl + nl.join(pad + line if line else "" for line in lines)


class _Elsewhere(Exception):
    """A check asked :class:`_EntryText` about a path outside its entry."""


class _EntryText(YamlDocument):
    """One mapping entry's text parsed alone, answering reads by their full path.

    ``prefix`` is the path of the mapping holding the entry; reads must go through the
    entry's key, the one key of this text's mapping.
    """

    def __init__(self, text: str, prefix: tuple[Part, ...]) -> None:
        super().__init__(text)
        self._prefix = prefix

    def get(self, path: KeyPath) -> Any:
        size = len(self._prefix)
        root = self.root
        if (
            tuple(path[:size]) != self._prefix
            or len(path) <= size
            or not isinstance(root, MappingNode)
            or path[size] != root.value[0][0].value
        ):
            raise _Elsewhere
        return super().get(path[size:])


def _last_before(pos: int, starts: list[int]) -> int:
    """Return the index of the last of the ascending ``starts`` at or before ``pos``, or -1."""
    return bisect.bisect_right(starts, pos) - 1


class YamlCodec:
    """Load and dump YAML streams; ``document`` selects the document to edit."""

    name = "yaml"

    def load(self, text: str, *, document: int = 0) -> YamlDocument:
        """Parse ``text`` and select one document (negative indexes count from the end)."""
        return YamlDocument(check_text(text, self.name), document)

    def dump(self, doc: YamlDocument) -> str:
        """Return the stream's text."""
        return doc.dump()


CODEC = YamlCodec()
