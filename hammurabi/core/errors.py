"""The exception tree: one root, a few branches, each carrying where it happened."""

from __future__ import annotations

from pathlib import Path


class HammurabiError(Exception):
    """Root of every error Hammurabi raises on purpose (user mistakes, refused operations)."""

    def __init__(
        self,
        message: str,
        *,
        law: str | None = None,
        rule: str | None = None,
        path: str | Path | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.law = law
        self.rule = rule
        self.path = str(path) if path is not None else None

    def located(
        self, *, law: str | None = None, rule: str | None = None, path: str | Path | None = None
    ) -> HammurabiError:
        """Fill in where the error happened, keeping what is already known."""
        self.law = self.law or law
        self.rule = self.rule or rule
        if self.path is None and path is not None:
            self.path = str(path)
        return self

    def __str__(self) -> str:
        where = []
        if self.law:
            where.append(f"law {self.law!r}")
        if self.rule:
            where.append(f"rule {self.rule!r}")
        if self.path:
            where.append(f"file {self.path}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ConfigError(HammurabiError):
    """Settings, a law file or a rule's arguments are invalid."""


class NoLawsError(ConfigError):
    """The law sources and selection leave no law; the message says why."""


class LawFileError(ConfigError):
    """A declarative law file cannot be loaded (syntax, unknown rule id, bad argument)."""


class PathError(HammurabiError):
    """A path escapes the repository being enforced or has the wrong kind."""


class RuleError(HammurabiError):
    """A rule could not do its work (missing file, unexpected content)."""


class DocumentError(RuleError):
    """A structured document (INI/JSON/YAML/TOML) cannot be parsed or edited."""


class PluginError(HammurabiError):
    """A plugin could not be loaded or misbehaved."""
