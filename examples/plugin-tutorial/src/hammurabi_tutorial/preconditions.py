"""The tutorial's precondition: ``has-file-matching`` asks whether some file matches a glob."""

from __future__ import annotations

import fnmatch
import os
from pathlib import PurePosixPath

from hammurabi import ConfigError
from hammurabi.preconditions.base import Precondition


class HasFileMatching(Precondition):
    """Does the repository hold a file whose path matches the glob ``pattern``?

    ``pattern`` is matched against repository-relative paths (``*.py`` also matches
    ``src/app.py``: ``*`` crosses folders). ``.git`` is not looked into, and symlinks are
    not followed, so nothing outside the repository is read.

    Example::

        HasFileMatching(pattern="*.py")
    """

    id = "has-file-matching"

    def __init__(self, pattern: str, name: str | None = None) -> None:
        if not isinstance(pattern, str) or not pattern.strip():
            raise ConfigError(f"has-file-matching: pattern must be a glob, not {pattern!r}")
        if pattern.startswith("/") or ".." in PurePosixPath(pattern).parts:
            raise ConfigError(f"has-file-matching: pattern {pattern!r} must stay in the repository")
        super().__init__(name or f"has a file matching {pattern}", pattern)

    def task(self) -> bool:
        root = self.workspace.root
        for folder, folders, files in os.walk(root):  # os.walk does not follow symlinks
            folders[:] = [name for name in folders if name != ".git"]
            for name in files:
                relative = os.path.relpath(os.path.join(folder, name), root)
                if fnmatch.fnmatchcase(PurePosixPath(relative).as_posix(), self.param):
                    return True
        return False
