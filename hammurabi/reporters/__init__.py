"""The built-in reporters plugin (entry point ``reporters``) and 0.11's module path.

They live in :mod:`hammurabi.core.reports`, where the pull-request body and the CLI find
them too; ``hammurabi.reporters.base`` and ``.json`` keep 0.11's reporter classes.
"""

from hammurabi.core.reports import (
    COLLAPSE_LINES,
    ICONS,
    STATUS_ICONS,
    JsonReporter,
    MarkdownReporter,
    Reporter,
    escape,
    hammurabi_reporters,
    law_section,
    markdown_summary,
)

__all__ = [
    "COLLAPSE_LINES",
    "ICONS",
    "STATUS_ICONS",
    "JsonReporter",
    "MarkdownReporter",
    "Reporter",
    "escape",
    "hammurabi_reporters",
    "law_section",
    "markdown_summary",
]
