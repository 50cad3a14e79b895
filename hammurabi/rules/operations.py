"""0.11's module path for copies, moves and renames."""

from hammurabi.rules.files import Copied, Moved, Renamed

__all__ = ["Copied", "Moved", "Renamed"]
