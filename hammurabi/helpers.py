"""0.11's module path: ``from hammurabi.helpers import full_strip``."""

from hammurabi.compat.errors import full_strip

__all__ = ["full_strip"]
