"""0.11's module path: ``from hammurabi.reporters.json import JsonReporter`` (0.11's report)."""

from hammurabi.compat.reporting import JsonReporter

__all__ = ["JsonReporter"]
