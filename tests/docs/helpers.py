"""Shared by the documentation tests: the docs generator module and the pages' code blocks."""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _load(name: str, path: Path) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


#: docs/_gen/reference.py, which the MkDocs hook uses to generate the reference pages.
reference = _load("hammurabi_docs_reference", DOCS / "_gen" / "reference.py")

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<ticks>`{3,})(?P<lang>[\w+-]*)(?P<attrs>[^\n]*)\n"
    r"(?P<body>.*?)^(?P=indent)(?P=ticks)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_TITLE = re.compile(r'title="([^"]+)"')
_SNIPPET = re.compile(r'^--8<-- "([^"]+)"$', re.MULTILINE)


@dataclass(frozen=True)
class Block:
    """A fenced code block of a page."""

    page: str
    line: int
    language: str
    title: str | None
    text: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    return sorted(path for path in DOCS.rglob("*.md") if "_gen" not in path.parts)


def blocks(page: Path) -> list[Block]:
    """Every fenced code block of ``page`` (indented ones too, dedented)."""
    source = page.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(source):
        indent = match["indent"]
        body = "".join(
            line[len(indent) :] if line.startswith(indent) else line
            for line in match["body"].splitlines(keepends=True)
        )
        # pymdownx.snippets includes files into the page: the block holds what they hold.
        body = _SNIPPET.sub(lambda m: (ROOT / m.group(1)).read_text(encoding="utf-8"), body)
        title = _TITLE.search(match["attrs"])
        found.append(
            Block(
                page=str(page.relative_to(ROOT)),
                line=source.count("\n", 0, match.start()) + 1,
                language=match["lang"],
                title=title.group(1) if title else None,
                text=body,
            )
        )
    return found
