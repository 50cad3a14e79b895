"""Helpers for the document tests: load, edit, and look at the diff."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from hammurabi.documents import codec
from hammurabi.documents.base import Document
from hammurabi.documents.paths import parse_path

CORPUS = Path(__file__).parent / "corpus"


def load(fmt: str, text: str, document: int = 0) -> Document:
    return codec(fmt).load(text, document=document)


def edited(fmt: str, text: str, op: str, key: str, *args: Any, document: int = 0) -> str:
    """Apply one edit (``set``, ``delete``, ``rename``, ``append_items``) and dump."""
    doc = load(fmt, text, document)
    getattr(doc, op)(parse_path(key), *args)
    return doc.dump()


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """The removed and the added lines of a diff."""
    removed: list[str] = []
    added: list[str] = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def corpus(name: str) -> str:
    return (CORPUS / name).read_bytes().decode("utf-8")
