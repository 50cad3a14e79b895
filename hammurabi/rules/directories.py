"""0.11's module path for the directory rules."""

from hammurabi.rules.files import DirectoryEmptied, DirectoryExists, DirectoryNotExists

__all__ = ["DirectoryEmptied", "DirectoryExists", "DirectoryNotExists"]
