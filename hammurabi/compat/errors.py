"""0.11's exceptions (``hammurabi.exceptions``), for custom rules that raise or catch them."""

from __future__ import annotations

from hammurabi.compat.notifications import NotificationSendError


class AbortLawError(Exception):
    """0.11 raised it when a rule failed; a failing rule now fails (and rolls back) its law."""


class PreconditionFailedError(Exception):
    """0.11 raised it when a precondition was not met; the rule is now reported skipped."""


def full_strip(value: str) -> str:
    """Strip every line and drop the empty ones (0.11's ``hammurabi.helpers.full_strip``)."""
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


__all__ = ["AbortLawError", "NotificationSendError", "PreconditionFailedError", "full_strip"]
