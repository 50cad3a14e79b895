"""Hammurabi: enforce rules across many git repositories, with reviewable pull requests."""

from __future__ import annotations

__version__ = "1.0.0.dev0"

from hammurabi.errors import (  # noqa: E402
    ConfigError,
    HammurabiError,
    LawFileError,
    PathError,
    RuleError,
)
from hammurabi.law import Law, Pillar  # noqa: E402
from hammurabi.preconditions import *  # noqa: E402, F403
from hammurabi.preconditions import __all__ as _preconditions
from hammurabi.preconditions.base import Precondition  # noqa: E402
from hammurabi.results import FileChange, LawResult, Outcome, RuleResult, RunResult  # noqa: E402
from hammurabi.rules import *  # noqa: E402, F403
from hammurabi.rules import __all__ as _rules
from hammurabi.rules.base import Rule  # noqa: E402

__all__ = [
    "ConfigError",
    "FileChange",
    "HammurabiError",
    "Law",
    "LawFileError",
    "LawResult",
    "Outcome",
    "PathError",
    "Pillar",
    "Precondition",
    "Rule",
    "RuleError",
    "RuleResult",
    "RunResult",
    "__version__",
    *_preconditions,
    *_rules,
]
