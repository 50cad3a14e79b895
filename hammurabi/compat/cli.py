"""Hammurabi 0.11's command-line spellings, mapped to the current options.

0.11 ran ``hammurabi [-c FILE] [--repository OWNER/NAME] [--token T] [--log-level L] enforce
[--dry-run/--no-dry-run] [--allow-push/--no-allow-push] [--report/--no-report]`` and
``hammurabi version``. Each spelling still works (hidden from ``--help``) and prints one
deprecation line naming the current one. ``--report`` alone (0.11's default) is not
accepted: ``--report`` now takes ``NAME=PATH``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hammurabi.compat.mode import deprecated

if TYPE_CHECKING:
    from hammurabi.orchestration.repository import Session

_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass
class Options:
    """The 0.11 options given on one command line."""

    config: Path | None = None
    github: dict[str, str] = field(default_factory=dict)
    log_level: str | None = None
    push: bool | None = None
    no_dry_run: bool = False
    no_report: bool = False

    def enforce_options(self, allow_push: bool | None, no_dry_run: bool, no_report: bool) -> None:
        """Take ``enforce``'s 0.11 options."""
        if allow_push is not None:
            deprecated("--allow-push/--no-allow-push is the 0.11 spelling; write --push/--no-push")
            self.push = allow_push
        if no_dry_run:
            deprecated("--no-dry-run is the 0.11 spelling; leave it out")
            self.no_dry_run = True
        if no_report:
            deprecated("--no-report is the 0.11 spelling; 0.11's JSON report is then not written")
            self.no_report = True

    def environment(self) -> dict[str, str] | None:
        """The environment settings are read with (0.11's ``-c`` names the settings file)."""
        if self.config is None:
            return None
        return {**os.environ, "HAMMURABI_SETTINGS_PATH": str(self.config)}

    def apply(self, session: Session, *, dry_run: bool, check: bool) -> bool:
        """Apply what has no current option; return whether the run is a dry run."""
        original: dict[str, Any] = session.settings.original
        if _true(original.get("rule_can_abort")):
            from hammurabi.compat.abort import stop_after_failure

            session.laws = stop_after_failure(session.laws)
        if self.no_report:
            original["report"] = False
        level = self.log_level or original.get("log_level")
        if isinstance(level, str) and level.upper() in _LEVELS:
            logging.getLogger().setLevel(min(logging.getLogger().level, _level(level)))
        if not check and _true(original.get("dry_run")) and not self.no_dry_run:
            return True
        return dry_run


def _true(value: Any) -> bool:
    """A 0.11 boolean setting (from TOML, or text from a variable)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _level(name: str) -> int:
    return int(getattr(logging, name.upper()))


def global_options(
    config: Path | None, repository: str | None, token: str | None, log_level: str | None
) -> Options:
    """Take the 0.11 options given before the command."""
    options = Options(config=config)
    if config is not None:
        deprecated(
            "-c/--config is the 0.11 spelling; settings are read from the repository's "
            "pyproject.toml or .hammurabi.toml"
        )
    if repository:
        deprecated("--repository is the 0.11 spelling; set github.repository")
        options.github["repository"] = repository
    if token:
        deprecated(
            "--token is the 0.11 spelling and shows the token to every user of this machine; "
            "set GITHUB_TOKEN"
        )
        options.github["token"] = token
    if log_level:
        deprecated("--log-level is the 0.11 spelling; write -v (info) or -vv (debug)")
        options.log_level = log_level
    return options
