"""Whether a pillar is being read with Hammurabi 0.11's meanings, and deprecation notes.

A few names mean something else in a pillar written for the original Hammurabi 0.11 than in
new code (``LineNotExists(text=...)`` is a regular expression there, a literal line here).
Pillars loaded the original's way (``pillar_config`` in the settings, ``-c``, or a law
source spelled ``original:PATH``) are built inside :func:`original_api`, and those rules keep
the 0.11 meaning; everything else gets the current one. Each deprecated spelling or setting
is announced once per process, in one line on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_ORIGINAL: ContextVar[bool] = ContextVar("hammurabi_original_api", default=False)
_MUTED: ContextVar[bool] = ContextVar("hammurabi_deprecations_muted", default=False)
_announced: set[str] = set()


@contextmanager
def original_api() -> Iterator[None]:
    """Build rules with the meanings of Hammurabi 0.11 (used while loading an original pillar)."""
    token = _ORIGINAL.set(True)
    try:
        yield
    finally:
        _ORIGINAL.reset(token)


def original() -> bool:
    """True while an original (0.11) pillar is being loaded."""
    return _ORIGINAL.get()


@contextmanager
def muted() -> Iterator[None]:
    """Say no deprecations (``hammurabi migrate`` reads old spellings on purpose)."""
    token = _MUTED.set(True)
    try:
        yield
    finally:
        _MUTED.reset(token)


def deprecated(message: str) -> None:
    """Say ``message`` once per process: ``hammurabi: deprecated: <message>`` on stderr."""
    if message in _announced or _MUTED.get():
        return
    _announced.add(message)
    print(f"hammurabi: deprecated: {message}", file=sys.stderr, flush=True)


def announced() -> frozenset[str]:
    """The deprecation messages said so far (for tests and reports)."""
    return frozenset(_announced)


def forget() -> None:
    """Forget what was announced (a new run in the same process, as tests do)."""
    _announced.clear()
