"""Preconditions about files, directories and lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hammurabi.core.errors import ConfigError
from hammurabi.core.node import as_path, compile_regex
from hammurabi.core.precondition import Precondition


class _PathPrecondition(Precondition):
    def __init__(self, path: str | Path, name: str | None = None, **kwargs: Any) -> None:
        if kwargs:
            raise ConfigError(f"{type(self).__name__}: unknown argument(s): {', '.join(kwargs)}")
        resolved = as_path(path, "path", type(self).__name__)
        super().__init__(name, self.validate(resolved, required=True))

    def _real(self) -> Path:
        return self.workspace.resolve(self.param)


class IsFileExists(_PathPrecondition):
    """Is ``path`` an existing file?"""

    id = "is-file-exists"

    def task(self) -> bool:
        return self._real().is_file()


class IsFileNotExists(_PathPrecondition):
    """Is there no file at ``path``?"""

    id = "is-file-not-exists"

    def task(self) -> bool:
        return not self._real().is_file()


class IsDirectoryExists(_PathPrecondition):
    """Is ``path`` an existing directory?"""

    id = "is-directory-exists"

    def task(self) -> bool:
        return self._real().is_dir()


class IsDirectoryNotExists(_PathPrecondition):
    """Is there no directory at ``path``?"""

    id = "is-directory-not-exists"

    def task(self) -> bool:
        return not self._real().is_dir()


class _LinePrecondition(_PathPrecondition):
    def __init__(
        self, path: str | Path, criteria: str, name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(path, name, **kwargs)
        self.criteria = compile_regex(criteria, "criteria", type(self).__name__)

    def _found(self) -> bool:
        real = self._real()
        if not real.is_file():
            return False
        content = self.workspace.read_text(self.param).content
        return any(self.criteria.search(line) for line in content.split("\n"))


class IsLineExists(_LinePrecondition):
    """Does any line of ``path`` match the ``criteria`` regex? (False for a missing file.)"""

    id = "is-line-exists"

    def task(self) -> bool:
        return self._found()


class IsLineNotExists(_LinePrecondition):
    """Does no line of ``path`` match the ``criteria`` regex? (True for a missing file.)"""

    id = "is-line-not-exists"

    def task(self) -> bool:
        return not self._found()


# The original Hammurabi's spellings.
IsFileExist = IsFileExists
IsFileNotExist = IsFileNotExists
IsDirectoryExist = IsDirectoryExists
IsDirectoryNotExist = IsDirectoryNotExists
IsLineExist = IsLineExists
IsLineNotExist = IsLineNotExists
