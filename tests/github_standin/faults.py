"""Injected failures and the log of every request the stand-in answered."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@dataclass
class Fault:
    """Answer matching requests with ``status`` (``times`` times, or forever when None)."""

    method: str | None
    path: re.Pattern[str]
    status: int
    times: int | None = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Tell whether this fault applies to a request (and still has uses left)."""
        if self.times is not None and self.hits >= self.times:
            return False
        return (self.method is None or self.method == method) and bool(self.path.search(path))

    def response_body(self) -> Any:
        """Return the body to send: the given one, or a GitHub-like message for the status."""
        if self.body is not None:
            return self.body
        if self.status == 403:
            return {"message": SECONDARY_MESSAGE}
        return {"message": "Server Error" if self.status >= 500 else "Injected failure"}


@dataclass
class Stall:
    """Hold matching git requests (a slow network) until released or ``seconds`` pass."""

    method: str
    path: re.Pattern[str]
    seconds: float
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def hold(self, method: str, path: str) -> None:
        """Wait here if the request matches (called by the server before it answers)."""
        if method == self.method and self.path.search(path) and not self.released.is_set():
            self.arrived.set()
            self.released.wait(self.seconds)

    def release(self) -> None:
        self.released.set()


@dataclass(frozen=True)
class RequestRecord:
    """One answered request; ``path`` is relative to ``/api/v3`` for REST calls, ``json`` is
    the parsed request body, ``login`` who it authenticated as, ``headers`` lower-cased."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    json: Any
    api: bool
    login: str | None
    headers: dict[str, str]
    #: When it was answered (``time.monotonic()``).
    at: float = field(default_factory=time.monotonic, compare=False)


class Faults:
    """The injected faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        """Queue a fault."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """Return (and count a use of) the first fault matching a request."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    def clear(self) -> None:
        """Forget every fault."""
        with self._lock:
            self._faults.clear()
