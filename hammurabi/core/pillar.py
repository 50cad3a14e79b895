"""The Pillar: the ordered collection of laws a Python law file builds (the article's API)."""

from __future__ import annotations

import os

from hammurabi.core.engine import enforce
from hammurabi.core.errors import ConfigError
from hammurabi.core.law import Law
from hammurabi.core.results import RunResult


class Pillar:
    """The ordered collection of laws to enforce (the article's entry point)."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self._laws: list[Law] = []

    def register(self, law: Law) -> None:
        """Add a law; names must be unique within a pillar."""
        if not isinstance(law, Law):
            raise ConfigError(f"{law!r} is not a Law")
        if any(existing.name == law.name for existing in self._laws):
            raise ConfigError(f"law {law.name!r} is registered twice")
        self._laws.append(law)

    @property
    def laws(self) -> list[Law]:
        return list(self._laws)

    def get_law(self, name: str) -> Law:
        for law in self._laws:
            if law.name == name:
                return law
        raise ConfigError(f"no law named {name!r}")

    def enforce(self, root: str | os.PathLike[str] = ".", *, dry_run: bool = False) -> RunResult:
        """Apply every law to the repository at ``root``."""
        return enforce(self._laws, root, dry_run=dry_run)
