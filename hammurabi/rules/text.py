"""0.11's module path for the line rules, with their 0.11 arguments."""

from hammurabi.compat.rules import LineExists, LineNotExists, LineReplaced

__all__ = ["LineExists", "LineNotExists", "LineReplaced"]
