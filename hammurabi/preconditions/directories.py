"""0.11's module path for the directory preconditions."""

from hammurabi.preconditions.files import IsDirectoryExist, IsDirectoryNotExist

__all__ = ["IsDirectoryExist", "IsDirectoryNotExist"]
