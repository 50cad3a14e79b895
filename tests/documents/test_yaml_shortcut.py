"""Audit of the YAML editor's speed shortcut, ``YamlDocument._entry_proves``.

An edit inside one entry of a block mapping is proven by parsing that entry's text alone
instead of the whole stream. The shortcut may only ever say yes when the full parse would:
for generated hand-written-looking YAML (comments, blank lines, odd indentation, quoted and
flow styles, block scalars, anchors, aliases, merge keys, document markers, directives,
several documents) and any sequence of edits, a document editing with the shortcut ends
exactly where one editing without it does: the same text after each edit, the same edits
refused, the same values read back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from hammurabi.core.errors import ConfigError, DocumentError
from hammurabi.documents.base import same_value
from hammurabi.documents.yamldoc import CODEC, YamlDocument

#: HAMMURABI_AUDIT_EXAMPLES=5000 audits harder (with pytest -o timeout=0: some minutes).
EXAMPLES = int(os.environ.get("HAMMURABI_AUDIT_EXAMPLES", "300"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

Path = tuple[str | int, ...]

WORDS = ["a", "b", "key", "x-y", "n1", "k k", "é", "yes", "on", "1", "null"]
PLAIN = ["v", "1", "1.5", "true", "null", "~", "a b", "0x1F", "é"]
AWKWARD = ["x: y", "#c", "- x", "a #b", "", "'q'", '"d"', "[1]", "{a: 1}", "*x", "&y"]


class Writer:
    """Draws one YAML stream as a person might write it, noting every path it holds."""

    def __init__(self, draw: Callable[[Any], Any]) -> None:
        self.draw = draw
        self.paths: list[Path] = []
        self.sequences: list[Path] = []
        self.anchors: list[str] = []
        #: Anchors of mappings, which ``<<`` may merge.
        self.mappings: list[str] = []

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def flag(self, chance: int = 2) -> bool:
        return self.draw(st.integers(0, chance - 1)) == 0

    def scalar(self) -> str:
        style = self.pick(["plain", "plain", "single", "double"])
        if style == "plain":
            return str(self.pick(PLAIN))
        value = str(self.pick(PLAIN + AWKWARD))
        if style == "single":
            return "'" + value.replace("'", "''") + "'"
        return json.dumps(value, ensure_ascii=self.flag())

    def key(self, taken: set[str]) -> str:
        name = self.pick([w for w in WORDS if w not in taken] or ["zz"])
        taken.add(name)
        return name

    def key_text(self, name: str) -> str:
        if name in ("yes", "on", "1", "null") or self.flag(5):
            return json.dumps(name, ensure_ascii=False) if self.flag() else f"'{name}'"
        return name

    def comment(self, column: int) -> str:
        return " " * self.draw(st.integers(0, column)) + "# note\n" if self.flag(4) else ""

    def blank(self) -> str:
        return "\n" if self.flag(5) else ""

    def anchor(self) -> str:
        """An anchor's name, or ""; aliases may use it once its value is written."""
        return f"n{self.draw(st.integers(0, 99))}" if self.flag(6) else ""

    def anchored(self, name: str, text: str, *, mapping: bool = False) -> str:
        if name and name not in self.anchors:
            self.anchors.append(name)
            if mapping:
                self.mappings.append(name)
        return text

    def flow(self, path: Path, depth: int) -> str:
        if depth > 1 or self.flag():
            return self.scalar()
        if self.flag():
            items = [self.flow((*path, i), depth + 1) for i in range(self.draw(st.integers(0, 3)))]
            self.sequences.append(path)
            self.paths += [(*path, i) for i in range(len(items))]
            return "[" + ", ".join(items) + "]"
        taken: set[str] = set()
        parts = []
        for _ in range(self.draw(st.integers(0, 3))):
            name = self.key(taken)
            self.paths.append((*path, name))
            parts.append(f"{self.key_text(name)}: {self.flow((*path, name), depth + 1)}")
        return "{" + ", ".join(parts) + "}"

    def block_scalar(self, column: int) -> str:
        header = self.pick(["|", "|-", ">", "|+", ">-"])
        lines = [self.pick(["line", "two words", "", "# not a comment", "- not an item"])]
        lines += [
            self.pick(["more", "", "  indented"]) for _ in range(self.draw(st.integers(0, 2)))
        ]
        pad = " " * column
        return header + "\n" + "".join(f"{pad}{line}\n" if line else "\n" for line in lines)

    def value(self, path: Path, column: int, depth: int) -> str:
        """The text after ``key:`` (with its newline), for a value at least at ``column``."""
        kind = self.pick(["scalar", "scalar", "flow", "block", "map", "seq", "alias", "empty"])
        if depth > 2 and kind in ("map", "seq"):
            kind = "scalar"
        if kind == "alias" and self.anchors:
            return f" *{self.pick(self.anchors)}\n"
        if kind == "empty":
            return "\n" if self.flag() else " # empty\n"
        name = self.anchor()
        mark = f" &{name}" if name else ""
        if kind == "block":
            return self.anchored(name, f"{mark} " + self.block_scalar(column + 2))
        if kind == "flow":
            return self.anchored(name, f"{mark} {self.flow(path, 0)}\n")
        if kind == "map":
            step = self.pick([1, 2, 2, 4])
            text = f"{mark}\n" + self.mapping(path, column + step, depth)
            return self.anchored(name, text, mapping=True)
        if kind == "seq":
            # a sequence at the key's own column (indentless) or further in
            step = self.pick([0, 2, 2, 4])
            return "\n" + self.sequence(path, column + step, depth)
        trailing = " # t" if self.flag(4) else ""
        return self.anchored(name, f"{mark} {self.scalar()}{trailing}\n")

    def mapping(self, path: Path, column: int, depth: int, *, size: int | None = None) -> str:
        taken: set[str] = set()
        text = ""
        count = self.draw(st.integers(1, 3)) if size is None else size
        for index in range(count):
            text += self.comment(column) + self.blank()
            if index and self.mappings and self.flag(8):
                text += " " * column + f"<<: *{self.pick(self.mappings)}\n"
            name = self.key(taken)
            self.paths.append((*path, name))
            text += " " * column + self.key_text(name) + ":"
            text += self.value((*path, name), column, depth + 1)
        return text

    def sequence(self, path: Path, column: int, depth: int) -> str:
        self.sequences.append(path)
        text = ""
        for index in range(self.draw(st.integers(1, 3))):
            self.paths.append((*path, index))
            text += self.comment(column) + " " * column + "-"
            if self.flag(3) and depth < 3:
                # "- key: value" then the rest of the mapping under the first key
                inner = self.mapping((*path, index), column + 2, depth + 1)
                text += (
                    " " + inner[column + 2 :]
                    if inner.startswith(" " * (column + 2))
                    else ("\n" + inner)
                )
            else:
                item = self.scalar() if self.flag(4) else self.flow((*path, index), 1)
                text += f" {item}\n"
        return text

    def stream(self) -> str:
        head = self.pick(["", "", "---\n", "%YAML 1.2\n---\n", "# top\n", "--- # start\n"])
        body = self.mapping((), self.pick([0, 0, 0, 2]), 0, size=self.draw(st.integers(1, 4)))
        tail = self.pick(["", "", "...\n", "---\nother: 1\n", "# end\n", "\n"])
        return head + body + tail


@st.composite
def streams(draw: Callable[[Any], Any]) -> tuple[str, list[Path], list[Path]]:
    writer = Writer(draw)
    return writer.stream(), writer.paths, writer.sequences


values = st.recursive(
    st.one_of(st.sampled_from(PLAIN + AWKWARD), st.integers(-5, 5), st.booleans(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.sampled_from(WORDS), inner, max_size=2)
    ),
    max_leaves=4,
)


@st.composite
def edits(draw: Callable[[Any], Any], paths: list[Path], sequences: list[Path]) -> tuple[Any, ...]:
    op = draw(st.sampled_from(["set", "set", "set", "delete", "rename", "append_items"]))
    some = paths or [("a",)]
    if op == "append_items":
        where = draw(st.sampled_from(sequences or some))
        return op, where, draw(st.lists(values, min_size=1, max_size=2))
    path = draw(st.sampled_from(some))
    if op == "set":
        if draw(st.booleans()):
            path = (*path, draw(st.sampled_from(WORDS)))
        return op, path, draw(values)
    if op == "rename":
        return op, path, draw(st.sampled_from(WORDS))
    return op, path


def run(text: str, steps: list[tuple[Any, ...]], *, shortcut: bool) -> tuple[list[Any], int]:
    """Apply the edits in turn: what each left (the text, or that it was refused), what the
    document reads at the end, and how many edits the shortcut proved."""
    original = YamlDocument._entry_proves
    proved = 0

    def entry_proves(doc: YamlDocument, *args: Any) -> bool:
        nonlocal proved
        answer = shortcut and original(doc, *args)
        proved += answer
        return answer

    seen: list[Any] = []
    with mock.patch.object(YamlDocument, "_entry_proves", entry_proves):
        doc = CODEC.load(text)
        for op, path, *args in steps:
            try:
                getattr(doc, op)(path, *args)
                seen.append(("done", doc.dump()))
            except (DocumentError, ConfigError) as exc:
                seen.append(("refused", type(exc).__name__, doc.dump()))
        try:
            seen.append(("reads", doc.get(())))
        except DocumentError as exc:
            seen.append(("unreadable", str(exc)))
    return seen, proved


def same(fast: list[Any], slow: list[Any]) -> bool:
    if len(fast) != len(slow):
        return False
    for a, b in zip(fast[:-1], slow[:-1], strict=True):
        if a != b:
            return False
    (kind_a, *rest_a), (kind_b, *rest_b) = fast[-1], slow[-1]
    if kind_a != kind_b:
        return False
    return kind_a != "reads" or same_value(rest_a[0], rest_b[0])


@SETTINGS
@given(st.data())
def test_the_shortcut_agrees_with_the_whole_parse(data: st.DataObject) -> None:
    text, paths, sequences = data.draw(streams())
    try:
        CODEC.load(text)
    except DocumentError:
        assume(False)  # the generator wrote something YAML refuses (duplicate keys, ...)
    steps = data.draw(st.lists(edits(paths, sequences), min_size=1, max_size=3))
    slow, _ = run(text, steps, shortcut=False)
    fast, proved = run(text, steps, shortcut=True)
    event(f"edits proven by the shortcut: {min(proved, 2)}")
    assert same(fast, slow), (text, steps, fast, slow)
