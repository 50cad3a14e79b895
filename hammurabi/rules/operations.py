"""0.11's module path for copies, moves and renames, with their 0.11 arguments."""

from hammurabi.compat.rules import Copied, Moved, Renamed

__all__ = ["Copied", "Moved", "Renamed"]
