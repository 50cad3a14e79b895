"""0.11's module path for the JSON rules, with their 0.11 arguments and meanings."""

from hammurabi.compat.rules import (
    JsonKeyExists,
    JsonKeyNotExists,
    JsonKeyRenamed,
    JsonValueExists,
    JsonValueNotExists,
)

__all__ = [
    "JsonKeyExists",
    "JsonKeyNotExists",
    "JsonKeyRenamed",
    "JsonValueExists",
    "JsonValueNotExists",
]
