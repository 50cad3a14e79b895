"""Maintenance windows: when Hammurabi may write (push, open, update, close pull requests).

``[tool.hammurabi.window]`` names week days, hour ranges and a time zone. Outside the window
``enforce`` runs as a dry run: it computes and reports what it would do, writes nothing, and
says when the window opens next. A range whose end is not after its start runs past
midnight and belongs to the day it starts (``fri`` with ``22:00-06:00`` is open until
Saturday 06:00). Times are wall-clock times of the zone, daylight saving included.

Only the runner's settings may set the window (it is not in
:data:`hammurabi.loading.settings.REPOSITORY_KEYS`): a repository being changed cannot open it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, NamedTuple

from hammurabi.core.errors import ConfigError
from hammurabi.core.records import ClosedWindow
from hammurabi.core.results import Status

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo  # imported where a window is set (a run without one does not)

    from hammurabi.core.results import RunResult
    from hammurabi.loading.settings import WindowSettings

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
#: Statuses that would have written something: outside the window they become
#: :attr:`Status.OUTSIDE_WINDOW`.
WRITES = frozenset(
    {
        Status.FILES_CHANGED,
        Status.BRANCH_CREATED,
        Status.BRANCH_UPDATED,
        Status.BRANCH_DELETED,
        Status.PR_OPENED,
        Status.PR_UPDATED,
        Status.PR_CLOSED,
    }
)


class Window(NamedTuple):
    """Week days (0 is Monday), minute ranges ``[start, end)`` of the day, a time zone."""

    days: frozenset[int]
    ranges: tuple[tuple[int, int], ...]
    zone: ZoneInfo
    text: str

    @classmethod
    def from_settings(cls, settings: WindowSettings) -> Window | None:
        """The window the settings describe; None when none is set (always open)."""
        if not settings.days and not settings.hours and not settings.timezone:
            return None
        days = frozenset(_day_numbers(settings.days)) if settings.days else frozenset(range(7))
        ranges = tuple(_minutes(text) for text in settings.hours) or ((0, 1440),)
        zone_name = settings.timezone or "UTC"
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ConfigError(
                f"window.timezone {zone_name!r} is not a time zone (e.g. 'Europe/Berlin', 'UTC')"
            ) from None
        text = " ".join(
            [
                _days_text(days),
                ", ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in ranges),
                zone_name,
            ]
        )
        return cls(days, ranges, zone, text)

    def spans(self, around: datetime) -> list[tuple[datetime, datetime]]:
        """The window's openings (UTC start, end) starting from the day before ``around``
        for eight days, in order."""
        today = around.astimezone(self.zone).date()
        found = []
        for offset in range(-1, 8):
            day = today + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            for start, end in self.ranges:
                length = (end - start) % 1440 or 1440
                begin = _at(day, start, self.zone)
                total = start + length
                finish = _at(day + timedelta(days=total // 1440), total % 1440, self.zone)
                found.append((begin, finish))
        return sorted(found)

    def is_open(self, now: datetime) -> bool:
        return any(begin <= now < end for begin, end in self.spans(now))

    def next_open(self, now: datetime) -> datetime:
        """When the window opens next after ``now`` (UTC)."""
        return min(begin for begin, _ in self.spans(now) if begin > now)


def _at(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Wall-clock ``minute`` of ``day`` in ``zone``, as UTC."""
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(UTC)


def check(settings: WindowSettings, now: datetime | None = None) -> ClosedWindow | None:
    """None when writes are allowed at ``now`` (default: the current time), else the closed
    window: its description, time zone and next opening (what :func:`mark` records)."""
    window = Window.from_settings(settings)
    now = now or datetime.now(UTC)
    if window is None or window.is_open(now):
        return None
    return ClosedWindow(window.text, window.zone.key, window.next_open(now))


def mark(result: RunResult, closed: ClosedWindow | None) -> RunResult:
    """Record the closed window on a run's result; a run that would write is held back."""
    if closed is None:
        return result
    result.window = closed
    if result.status in WRITES:
        result.action = Status.OUTSIDE_WINDOW
    return result


def _day_numbers(items: list[str]) -> list[int]:
    numbers = []
    for item in items:
        first, _, last = item.strip().lower().partition("-")
        a, b = _day(first, item), _day(last, item) if last else _day(first, item)
        numbers += [(a + i) % 7 for i in range((b - a) % 7 + 1)]
    return numbers


def _day(text: str, item: str) -> int:
    key = text.strip()
    if key in NAMES:
        return NAMES.index(key)
    if key not in DAYS:
        raise ConfigError(
            f"window.days {item!r}: use day names (mon, tue, … sun) or ranges like 'mon-fri'"
        )
    return DAYS.index(key)


def _minutes(text: str) -> tuple[int, int]:
    match = _RANGE.match(text.strip())
    if match:
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if h1 < 24 and m1 < 60 and m2 < 60 and (h2 < 24 or (h2, m2) == (24, 0)):
            return h1 * 60 + m1, h2 * 60 + m2
    raise ConfigError(f"window.hours {text!r}: use HH:MM-HH:MM ranges, e.g. '09:00-17:00'")


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _days_text(days: frozenset[int]) -> str:
    """``every day``, ``mon-fri``, ``mon,wed,sat-sun``."""
    if len(days) == 7:
        return "every day"
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(
        DAYS[run[0]] if len(run) == 1 else f"{DAYS[run[0]]}-{DAYS[run[-1]]}" for run in runs
    )
