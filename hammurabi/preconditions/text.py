"""0.11's module path for the line preconditions, with their 0.11 meanings."""

from hammurabi.compat.preconditions import IsLineExist, IsLineNotExist

__all__ = ["IsLineExist", "IsLineNotExist"]
