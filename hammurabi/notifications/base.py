"""0.11's module path: ``from hammurabi.notifications.base import Notification``."""

from hammurabi.compat.notifications import Notification, NotificationSendError

__all__ = ["Notification", "NotificationSendError"]
