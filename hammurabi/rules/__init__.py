"""Built-in rules.

The names are imported lazily (PEP 562): importing one rule module (as a run does for the
rules its laws name) does not import the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hammurabi.core.exports import lazy_exports

if TYPE_CHECKING:
    from hammurabi.core.rule import Rule
    from hammurabi.rules.attributes import ModeChanged, OwnerChanged
    from hammurabi.rules.commands import CommandRun
    from hammurabi.rules.documents import (
        JsonKeyExists,
        JsonKeyNotExists,
        JsonKeyRenamed,
        JsonValueExists,
        JsonValueNotExists,
        KeyExists,
        KeyNotExists,
        KeyRenamed,
        OptionRenamed,
        OptionsExist,
        OptionsNotExist,
        SectionExists,
        SectionNotExists,
        SectionRenamed,
        TomlKeyExists,
        TomlKeyNotExists,
        TomlKeyRenamed,
        TomlValueExists,
        TomlValueNotExists,
        ValueExists,
        ValueNotExists,
        YamlKeyExists,
        YamlKeyNotExists,
        YamlKeyRenamed,
        YamlValueExists,
        YamlValueNotExists,
    )
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
    "JsonKeyExists",
    "JsonKeyNotExists",
    "JsonKeyRenamed",
    "JsonValueExists",
    "JsonValueNotExists",
    "KeyExists",
    "KeyNotExists",
    "KeyRenamed",
    "LineExists",
    "LineNotExists",
    "LineReplaced",
    "ModeChanged",
    "Moved",
    "OptionRenamed",
    "OptionsExist",
    "OptionsNotExist",
    "OwnerChanged",
    "Renamed",
    "Rule",
    "SectionExists",
    "SectionNotExists",
    "SectionRenamed",
    "TemplateRendered",
    "TomlKeyExists",
    "TomlKeyNotExists",
    "TomlKeyRenamed",
    "TomlValueExists",
    "TomlValueNotExists",
    "ValueExists",
    "ValueNotExists",
    "YamlKeyExists",
    "YamlKeyNotExists",
    "YamlKeyRenamed",
    "YamlValueExists",
    "YamlValueNotExists",
]

#: Where the names are found, in order.
_MODULES = (
    "hammurabi.core.rule",
    "hammurabi.rules.lines",
    "hammurabi.rules.files",
    "hammurabi.rules.documents",
    "hammurabi.rules.attributes",
    "hammurabi.rules.templates",
    "hammurabi.rules.commands",
)
__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
