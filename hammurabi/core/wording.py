"""Small helpers for the words Hammurabi prints."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 law``, ``2 laws``; ``plural`` for nouns that do not just take an s."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"
