"""0.11's module path: ``from hammurabi.law import Law``."""

from hammurabi.core.law import Law

__all__ = ["Law"]
