"""The documented exit codes of the ``hammurabi`` command."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Exit codes; stable, documented in the README."""

    #: Everything was applied (or nothing needed to change).
    OK = 0
    #: At least one rule or law failed; the others still ran.
    RULES_FAILED = 1
    #: Bad usage: options, settings, law files or plugins are invalid. Nothing was changed.
    USAGE_ERROR = 2
    #: ``check`` found changes that ``enforce`` would make.
    CHANGES_NEEDED = 3
    #: An unexpected internal error (a bug); run with ``-v`` for the traceback.
    INTERNAL_ERROR = 4
    #: ``enforce``: a bot branch holds commits Hammurabi did not make and cannot be updated.
    BLOCKED = 5
    #: ``enforce``: outside the maintenance window; what the run would write was held back.
    OUTSIDE_WINDOW = 6
    #: Interrupted (Ctrl-C); the rule in progress was rolled back.
    INTERRUPTED = 130
