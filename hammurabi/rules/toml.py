"""0.11's module path for the TOML rules, with their 0.11 arguments and meanings."""

from hammurabi.compat.rules import (
    TomlKeyExists,
    TomlKeyNotExists,
    TomlKeyRenamed,
    TomlValueExists,
    TomlValueNotExists,
)

__all__ = [
    "TomlKeyExists",
    "TomlKeyNotExists",
    "TomlKeyRenamed",
    "TomlValueExists",
    "TomlValueNotExists",
]
