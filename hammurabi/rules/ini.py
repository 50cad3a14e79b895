"""0.11's module path for the INI rules, with their 0.11 arguments."""

from hammurabi.compat.rules import (
    OptionRenamed,
    OptionsExist,
    OptionsNotExist,
    SectionExists,
    SectionNotExists,
    SectionRenamed,
)

__all__ = [
    "OptionRenamed",
    "OptionsExist",
    "OptionsNotExist",
    "SectionExists",
    "SectionNotExists",
    "SectionRenamed",
]
