"""0.11's module path: ``from hammurabi.rules.abstract import AbstractRule``."""

from hammurabi.compat.bases import AbstractRule

__all__ = ["AbstractRule"]
