"""Built-in rules."""

from __future__ import annotations

from hammurabi.rules.base import Rule
from hammurabi.rules.files import (
    Copied,
    DirectoryEmptied,
    DirectoryExists,
    DirectoryNotExists,
    FileEmptied,
    FileExists,
    FileNotExists,
    FilesExist,
    FilesNotExist,
    Moved,
    Renamed,
)
from hammurabi.rules.lines import (
    BlockExists,
    BlockNotExists,
    LineExists,
    LineNotExists,
    LineReplaced,
)

__all__ = [
    "BlockExists",
    "BlockNotExists",
    "Copied",
    "DirectoryEmptied",
    "DirectoryExists",
    "DirectoryNotExists",
    "FileEmptied",
    "FileExists",
    "FileNotExists",
    "FilesExist",
    "FilesNotExist",
    "LineExists",
    "LineNotExists",
    "LineReplaced",
    "Moved",
    "Renamed",
    "Rule",
]
