"""0.11's module path: ``from hammurabi.notifications.slack import SlackNotification``."""

from hammurabi.compat.notifications import SlackNotification

__all__ = ["SlackNotification"]
