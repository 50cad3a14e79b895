"""0.11's notifications package (see hammurabi.compat.notifications)."""
