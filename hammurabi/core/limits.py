"""Resource limits of one run, so that no repository can make a rule hang or eat the memory,
and whether its command rules may run (:func:`commands_allowed`, the runner's to say).

The limits (``[tool.hammurabi.limits]``, the runner's to set) reach the rules through a
context variable set for the run (:func:`applied`). A limit hit is a :class:`LimitError`:
the rule fails with a message naming the file and the limit, its changes are rolled back,
and the run goes on.

* ``rule_seconds``: how long one rule (its preconditions and task) may take. Enforced with
  ``SIGALRM`` in the main thread (where the CLI and fleet workers run rules); rules run
  from another thread have no time limit.
* ``file_bytes``: the largest file a rule reads to parse (lines, documents, templates).
* ``template_bytes``: the largest text a template may render.
* ``yaml_nodes``: how many nodes a YAML document may have, its aliases expanded: a
  "billion laughs" file of a few hundred bytes expands to a billion, and every node costs
  time and memory to parse (some 500 bytes, a file of 2 MiB can hold 800 000).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, NamedTuple

from hammurabi.core.errors import ConfigError, RuleError

MIB = 1 << 20


class Limits(NamedTuple):
    """See the module docstring; 0 switches a limit off."""

    rule_seconds: float = 300.0
    file_bytes: int = 16 * MIB
    template_bytes: int = 8 * MIB
    yaml_nodes: int = 200_000

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(
            rule_seconds=float(settings.rule_seconds),
            file_bytes=int(settings.file_bytes),
            template_bytes=int(settings.template_bytes),
            yaml_nodes=int(settings.yaml_nodes),
        )


class LimitError(RuleError):
    """A rule hit a resource limit (the message names the limit's setting)."""


_DEFAULT = Limits()
_current: ContextVar[Limits | None] = ContextVar("hammurabi_limits", default=None)


def current() -> Limits:
    """The limits of the run in progress (the defaults outside a run)."""
    return _current.get() or _DEFAULT


@contextlib.contextmanager
def applied(limits: Limits) -> Iterator[Limits]:
    """Make ``limits`` the current ones inside the block."""
    token = _current.set(limits)
    try:
        yield limits
    finally:
        _current.reset(token)


def check_size(size: int, limit: int, what: str, setting: str) -> None:
    """Raise LimitError when ``size`` bytes exceed ``limit`` (0: no limit)."""
    if limit and size > limit:
        raise LimitError(
            f"{what} is {size:,} bytes, over the limit of {limit:,} bytes (limits.{setting})"
        )


class RuleTimeout(BaseException):
    """The rule ran past ``limits.rule_seconds``. Not an ``Exception``, so that a rule's
    ``except Exception`` cannot swallow it; :class:`~hammurabi.core.rule.Rule` turns it
    into a failed (rolled back) rule."""


@contextlib.contextmanager
def time_limit(seconds: float | None = None, what: str = "the rule") -> Iterator[None]:
    """Raise :class:`RuleTimeout` inside the block once it has run ``seconds`` (default: the
    current ``rule_seconds``), and again every second while the block swallows it."""
    seconds = current().rule_seconds if seconds is None else seconds
    usable = threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM")
    if not seconds or seconds <= 0 or not usable:
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise RuleTimeout(
            f"{what} ran longer than the limit of {seconds:g} s (limits.rule_seconds)"
        )

    previous = signal.signal(signal.SIGALRM, expired)
    outer = signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer[0]:  # an enclosing timer keeps running
            signal.setitimer(signal.ITIMER_REAL, *outer)


# -- commands: the runner's to allow (hammurabi.rules.commands) ----------------------------

#: Whether the runner allows commands (None: as ``HAMMURABI_ALLOW_COMMANDS`` says).
_allowed: ContextVar[bool | None] = ContextVar("hammurabi_allow_commands", default=None)


@contextlib.contextmanager
def commands_allowed(allowed: bool = True) -> Iterator[None]:
    """Allow (or forbid) running commands inside the block, whatever the settings say."""
    token = _allowed.set(bool(allowed))
    try:
        yield
    finally:
        _allowed.reset(token)


def check_allowed(owner: str) -> None:
    """Raise ConfigError unless the runner allowed commands (never the repository itself)."""
    allowed = _allowed.get()
    if allowed is None:
        flag = os.environ.get("HAMMURABI_ALLOW_COMMANDS", "").strip().lower()
        allowed = flag in ("1", "true", "yes", "on")
    if not allowed:
        raise ConfigError(
            f"{owner}: running commands is not allowed; the runner allows them with "
            "allow_commands = true in its settings or HAMMURABI_ALLOW_COMMANDS=1"
        )
