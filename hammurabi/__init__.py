"""Hammurabi: enforce rules across many git repositories, with reviewable pull requests."""

from __future__ import annotations

__version__ = "1.0.0.dev0"

from hammurabi.errors import (
    ConfigError,
    HammurabiError,
    LawFileError,
    PathError,
    RuleError,
)
from hammurabi.law import Law, Pillar
from hammurabi.preconditions import *  # noqa: F403
from hammurabi.preconditions import __all__ as _preconditions
from hammurabi.preconditions.base import Precondition
from hammurabi.results import FileChange, LawResult, Outcome, RuleResult, RunResult
from hammurabi.rules import *  # noqa: F403
from hammurabi.rules import __all__ as _rules
from hammurabi.rules.base import Rule

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
