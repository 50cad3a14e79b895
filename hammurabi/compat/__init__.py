"""Compatibility with the original Hammurabi 0.11: its names, arguments, settings and CLI.

Pillars written for 0.11 run unchanged: ``hammurabi`` exports every public name of 0.11
with its original arguments (:mod:`.rules`, :mod:`.preconditions`, :mod:`.pillar`,
:mod:`.reporting`, :mod:`.notifications`); 0.11's settings keys and command-line spellings
are mapped to the current ones (:mod:`.settings`); where a call means something else in
0.11, pillars loaded the original's way keep that meaning (:mod:`.mode`). ``hammurabi
migrate`` (:mod:`.migrate`) turns such a pillar into a law file. See docs/migration.md.

Nothing here is imported until used.
"""

from __future__ import annotations

#: Every name ``hammurabi`` takes from this package, and the module that defines it.
EXPORTS = {
    **dict.fromkeys(
        (
            "JsonKeyExists",
            "JsonKeyNotExists",
            "JsonKeyRenamed",
            "JsonValueExists",
            "JsonValueNotExists",
            "Copied",
            "LineExists",
            "LineNotExists",
            "LineReplaced",
            "Moved",
            "ModeChanged",
            "OptionRenamed",
            "OptionsExist",
            "OptionsNotExist",
            "OwnerChanged",
            "Renamed",
            "SectionExists",
            "SectionNotExists",
            "SectionRenamed",
            "TemplateRendered",
            "TomlKeyExists",
            "TomlKeyNotExists",
            "TomlKeyRenamed",
            "TomlValueExists",
            "TomlValueNotExists",
            "YamlKeyExists",
            "YamlKeyNotExists",
            "YamlKeyRenamed",
            "YamlValueExists",
            "YamlValueNotExists",
        ),
        "hammurabi.compat.rules",
    ),
    **dict.fromkeys(
        (
            "HasMode",
            "HasNoMode",
            "IsLineExist",
            "IsLineExists",
            "IsLineNotExist",
            "IsLineNotExists",
            "IsNotOwnedBy",
            "IsOwnedBy",
        ),
        "hammurabi.compat.preconditions",
    ),
    "Pillar": "hammurabi.compat.pillar",
    "Reporter": "hammurabi.compat.reporting",
    "JsonReporter": "hammurabi.compat.reporting",
    "Notification": "hammurabi.compat.notifications",
    "SlackNotification": "hammurabi.compat.notifications",
}
