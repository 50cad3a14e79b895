"""Built-in rules."""

from __future__ import annotations

from hammurabi.rules.attributes import ModeChanged, OwnerChanged
from hammurabi.rules.base import Rule
from hammurabi.rules.commands import CommandRun
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
from hammurabi.rules.templates import TemplateRendered

__all__ = [
    "BlockExists",
    "BlockNotExists",
    "CommandRun",
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
    "ModeChanged",
    "Moved",
    "OwnerChanged",
    "Renamed",
    "Rule",
    "TemplateRendered",
]
