"""0.11's module path for its exceptions (see hammurabi.compat.errors)."""

from hammurabi.compat.errors import AbortLawError, NotificationSendError, PreconditionFailedError

__all__ = ["AbortLawError", "NotificationSendError", "PreconditionFailedError"]
