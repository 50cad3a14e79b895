"""0.11's module path for the YAML rules, with their 0.11 arguments and meanings."""

from hammurabi.compat.rules import (
    YamlKeyExists,
    YamlKeyNotExists,
    YamlKeyRenamed,
    YamlValueExists,
    YamlValueNotExists,
)

__all__ = [
    "YamlKeyExists",
    "YamlKeyNotExists",
    "YamlKeyRenamed",
    "YamlValueExists",
    "YamlValueNotExists",
]
