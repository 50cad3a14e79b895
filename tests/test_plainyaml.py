"""The plain-YAML reader gives what PyYAML gives, or leaves the text to PyYAML.

Documents are generated from tricky scalars and keys in every style the subset has (block,
indentless sequences, flow, quoted, comments) and mutated character by character; every
law file in the repository is read both ways too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hammurabi.loading import lawfile, plainyaml

ROOT = Path(__file__).resolve().parent.parent

SCALARS = [
    "plain",
    "two words",
    "a  b",
    ".gitignore",
    "__pycache__/",
    "^(\\s+)?x = .*",
    "x = 1",
    "yes",
    "No",
    "TRUE",
    "on",
    "Off",
    "y",
    "n",
    "~",
    "null",
    "Null",
    "NULL",
    "",
    " ",
    "0",
    "1",
    "-1",
    "+1",
    "-0",
    "00",
    "017",
    "0o7",
    "0x1F",
    "1_000",
    "1:30",
    "1.5",
    ".5",
    "-.5e+3",
    ".inf",
    ".NaN",
    "1e3",
    "2001-12-14",
    "2001-12-14 21:59:43.10 -5",
    "<<",
    "=",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "#x",
    "it's",
    "x'y",
    'say "x"',
    "-",
    "- a",
    "-a",
    "?",
    "?x",
    ":",
    ":x",
    "{",
    "}",
    "[a]",
    "a,b",
    "a, b",
    "@x",
    "`x`",
    "&a",
    "*a",
    "!x",
    "|",
    ">",
    "%x",
    "a\\b",
    "tab\there",
    "ünï",
    "a\\nb",
    "a ",
    " a",
    "x: 'y'",
    "=x",
    "<x",
]
#: What law files mostly hold (drawn as often as all the rest, so that long documents are
#: often plain).
USUAL = ["plain", "two words", ".gitignore", "__pycache__/", "x = 1", "yes", "~", "1", "-1", "a#b"]
KEYS = ["name", "rules", "line-exists", "path", "a.b", "x_y", "on", "yes", "null", "1",
        "two words", "not", "all", "text", "-k", "k:"]  # fmt: skip


def scalar_text(value: str, style: str) -> str:
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    if style == "double":
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> Any:
    kind = draw(st.sampled_from(["scalar", "map", "list"] if depth < 3 else ["scalar"]))
    if kind == "scalar":
        return (
            draw(st.sampled_from(SCALARS)),
            draw(st.sampled_from(["plain", "single", "double"])),
        )
    size = draw(st.integers(0, 3))
    children = [draw(documents(depth + 1)) for _ in range(size)]
    if kind == "list":
        return ("list", children)
    keys = [draw(st.sampled_from(KEYS[:5]) | st.sampled_from(KEYS)) for _ in children]
    return ("map", list(zip(keys, children, strict=True)))


def flow(node: Any) -> str:
    if node[0] == "list":
        return "[" + ", ".join(flow(child) for child in node[1]) + "]"
    if node[0] == "map":
        return "{" + ", ".join(f"{key}: {flow(child)}" for key, child in node[1]) + "}"
    return scalar_text(*node)


def block(node: Any, indent: int, step: int, draw: st.DrawFn) -> list[str]:
    """``node`` in block style at ``indent`` (its collections now and then in flow style)."""
    pad = " " * indent
    if node[0] not in ("list", "map") or not node[1] or draw(st.integers(0, 3)) == 0:
        return [pad + flow(node)]
    lines: list[str] = []
    for entry in node[1]:
        child = entry if node[0] == "list" else entry[1]
        nested = child[0] in ("list", "map") and bool(child[1])
        style = draw(st.sampled_from(["inline", "below", "same line"] if nested else ["inline"]))
        if node[0] == "map":
            if style == "inline":
                lines.append(f"{pad}{entry[0]}: {flow(child)}")
            else:
                lines.append(f"{pad}{entry[0]}:")
                indentless = child[0] == "list" and draw(st.booleans())
                lines += block(child, indent if indentless else indent + step, step, draw)
        elif style == "inline":
            lines.append(f"{pad}- {flow(child)}")
        elif style == "below":
            lines.append(f"{pad}-")
            lines += block(child, indent + step, step, draw)
        else:
            sub = block(child, indent + 2, step, draw)
            lines.append(f"{pad}- {sub[0].lstrip()}")
            lines += sub[1:]
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", "# note", pad + "  # indented note"])))
    return lines


@st.composite
def texts(draw: st.DrawFn) -> str:
    node = draw(documents())
    step = draw(st.sampled_from([2, 4]))
    text = "\n".join(block(node, 0, step, draw)) + draw(st.sampled_from(["", "\n", "  # end\n"]))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):  # a character removed or put in
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        if draw(st.booleans()):
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + draw(st.sampled_from(list(" -:#'\"{}[],\nx1"))) + text[at:]
    return text


def same(ours: Any, theirs: Any) -> bool:
    if type(ours) is not type(theirs):
        return False
    if isinstance(ours, dict):
        return (
            ours.line == theirs.line
            and list(ours) == list(theirs)
            and all(same(ours[key], theirs[key]) for key in ours)
        )
    if isinstance(ours, list):
        return len(ours) == len(theirs) and all(map(same, ours, theirs))
    return bool(ours == theirs)


def check(text: str) -> bool:
    """Whether the plain reader read ``text`` (asserting it read it as PyYAML does)."""
    try:
        ours = plainyaml.load(text, lawfile._Map)
    except plainyaml.NotPlain:
        return False
    try:
        theirs = yaml.load(text, Loader=lawfile._loader())
    except yaml.YAMLError as exc:
        raise AssertionError(f"PyYAML refuses what the plain reader read: {exc}") from None
    assert same(ours, theirs), (ours, theirs)
    return True


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts())
def test_the_plain_reader_reads_as_pyyaml_does(text: str) -> None:
    check(text)


def test_every_law_file_here_is_read_as_pyyaml_reads_it() -> None:
    found = [
        path
        for folder in ("examples", "docs", "tests", "bench", "plugins")
        for path in (ROOT / folder).rglob("*.y*ml")
        if "laws" in path.read_text(encoding="utf-8", errors="replace")
    ]
    read = [path for path in found if check(path.read_text(encoding="utf-8"))]
    assert len(found) > 3 and read  # the subset is what law files are written in


def test_the_usual_law_file_is_plain() -> None:
    text = """\
laws:  # the repository's laws
  - name: Ignore caches
    description: Git ignores bytecode caches.
    weight: 2
    automerge: false
    preconditions:
      - is-file-exists: {path: .gitignore}
    rules:
      - line-exists: {name: pycache ignored, path: .gitignore, text: __pycache__/}
      - line-replaced:
          name: debug off
          path: app.py
          target: '^DEBUG = .*'
          text: "DEBUG = False"
"""
    assert check(text)
