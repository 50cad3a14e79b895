"""Rules for files and directories: existence, content, emptiness, copies and moves."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hammurabi.core.errors import ConfigError, PathError, RuleError
from hammurabi.core.hooks import hookimpl
from hammurabi.core.node import as_path
from hammurabi.rules.common import PathRule


class FileExists(PathRule):
    """Ensure a file exists, optionally with exactly the given content.

    Without ``content`` an existing file is left alone and a missing one is created empty.
    With ``content`` (text) the file holds exactly that text; an existing file keeps its
    newline style and encoding. Parent directories are created.

    Example::

        FileExists(name="CI config", path=".github/CODEOWNERS", content="* @platform\\n")
    """

    id = "file-exists"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        content: str | bytes | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, **kwargs)
        if content is not None and not isinstance(content, str | bytes):
            raise ConfigError(f"rule {name!r}: content must be text")
        self.content = content

    def task(self) -> Path:
        space = self.workspace
        real = space.resolve(self.path)
        if real.is_dir():
            raise RuleError("is a directory, not a file", path=space.relative(self.path))
        if isinstance(self.content, bytes):
            space.write_bytes(self.path, self.content)
        elif self.content is not None:
            if real.exists():
                current = space.read_text(self.path)
                wanted = self.content.replace("\r\n", "\n")
                space.write_text(self.path, current.with_content(wanted))
            else:
                space.write_bytes(self.path, self.content.encode("utf-8"))
        elif not real.exists():
            space.write_bytes(self.path, b"")
        return self.path


class FileNotExists(PathRule):
    """Ensure a file (or symlink) is absent. Refuses to delete a directory."""

    id = "file-not-exists"

    def task(self) -> Path:
        raw = self.workspace.root / self.path
        if raw.is_dir() and not raw.is_symlink():
            raise RuleError(
                "is a directory; use DirectoryNotExists", path=self.workspace.relative(self.path)
            )
        self.workspace.delete(self.path)
        return self.path


class FileEmptied(PathRule):
    """Ensure a file exists and is empty (created if missing)."""

    id = "file-emptied"

    def task(self) -> Path:
        if self.workspace.resolve(self.path).is_dir():
            raise RuleError("is a directory, not a file", path=self.workspace.relative(self.path))
        self.workspace.write_bytes(self.path, b"")
        return self.path


class _ManyPaths(PathRule):
    """Base for rules taking a list of paths (the original FilesExist/FilesNotExist)."""

    hidden_arguments = frozenset({"path"})

    def __init__(self, name: str, paths: Iterable[str | Path] = (), **kwargs: Any) -> None:
        items = [as_path(p, "paths", f"rule {name!r}") for p in paths]
        if not items:
            raise ConfigError(f"rule {name!r}: paths must list at least one path")
        super().__init__(name, None, **kwargs)
        self.param = items
        self._param_given = True

    def task(self) -> list[Path]:
        for path in self.param:
            self._one(path)
        return list(self.param)

    def _one(self, path: Path) -> None:
        raise NotImplementedError


class FilesExist(_ManyPaths):
    """Ensure every listed file exists (missing ones are created empty)."""

    id = "files-exist"

    def _one(self, path: Path) -> None:
        if not self.workspace.resolve(path).exists():
            self.workspace.write_bytes(path, b"")


class FilesNotExist(_ManyPaths):
    """Ensure none of the listed files exist."""

    id = "files-not-exist"

    def _one(self, path: Path) -> None:
        if self.workspace.resolve(path).is_dir():
            raise RuleError("is a directory; use DirectoryNotExists", path=str(path))
        self.workspace.delete(path)


class DirectoryExists(PathRule):
    """Ensure a directory exists (with its parents). An existing directory is fine."""

    id = "directory-exists"

    def task(self) -> Path:
        real = self.workspace.resolve(self.path)
        if real.exists() and not real.is_dir():
            raise RuleError("exists but is not a directory", path=self.workspace.relative(real))
        self.workspace.make_dirs(self.path)
        return self.path


class DirectoryNotExists(PathRule):
    """Ensure a directory and everything in it is gone."""

    id = "directory-not-exists"

    def task(self) -> Path:
        real = self.workspace.resolve(self.path)
        if real.exists() and not real.is_dir():
            raise RuleError("is a file, not a directory", path=self.workspace.relative(real))
        self.workspace.delete(self.path)
        return self.path


class DirectoryEmptied(PathRule):
    """Ensure a directory exists and holds nothing (created if missing)."""

    id = "directory-emptied"

    def task(self) -> Path:
        real = self.workspace.resolve(self.path)
        if real.exists() and not real.is_dir():
            raise RuleError("is a file, not a directory", path=self.workspace.relative(real))
        self.workspace.make_dirs(self.path)
        for entry in sorted(real.iterdir()):
            self.workspace.delete(entry)
        return self.path


class _Transfer(PathRule):
    def __init__(
        self, name: str, path: str | Path | None = None, *, destination: str | Path, **kwargs: Any
    ) -> None:
        super().__init__(name, path, **kwargs)
        destination_path = as_path(destination, "destination", f"rule {name!r}")
        if destination_path is None:
            raise ConfigError(f"rule {name!r}: destination is required")
        self.destination = destination_path

    def _copy(self, source: Path, destination: Path) -> None:
        """Copy a file or a tree into place through the workspace (tracked, atomic).

        Symlinks inside a tree are copied as links when they stay inside the repository;
        one that leaves it fails the rule (nothing is read through it).
        """
        space = self.workspace
        if not source.is_dir():
            space.write_bytes(
                destination, source.read_bytes(), mode=stat.S_IMODE(source.stat().st_mode)
            )
            return
        space.make_dirs(destination)
        for dirpath, dirnames, filenames in os.walk(source):  # never enters linked folders
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                entry = Path(dirpath, name)
                target = destination / entry.relative_to(source)
                if entry.is_symlink():
                    self._copy_link(entry, target)
                elif name in dirnames:
                    space.make_dirs(target)
                else:
                    mode = stat.S_IMODE(entry.stat().st_mode)
                    space.write_bytes(target, entry.read_bytes(), mode=mode)

    def _copy_link(self, link: Path, target: Path) -> None:
        space = self.workspace
        where = link.relative_to(space.root).as_posix()
        text = os.readlink(link)
        try:
            space.resolve(link)
        except PathError:
            raise RuleError(
                f"symlink to {text!r} points outside the repository; not copied", path=where
            ) from None
        space.write_link(target, text)


class Copied(_Transfer):
    """Ensure ``destination`` is a copy of ``path`` (a file or a directory tree).

    Files in a destination directory that the source does not have are left alone.
    """

    id = "copied"

    def task(self) -> Path:
        source = self.workspace.resolve(self.path)
        destination = self.workspace.resolve(self.destination)
        if not source.exists():
            raise RuleError("source does not exist", path=self.workspace.relative(self.path))
        if source == destination or source in destination.parents:
            raise RuleError("cannot copy a path into itself", path=self.workspace.relative(source))
        self._copy(source, destination)
        return self.destination


class Moved(_Transfer):
    """Ensure ``path`` has been moved to ``destination``.

    Already moved (source gone, destination present) is no change; neither existing is an
    error; both existing replaces the destination with the source.
    """

    id = "moved"

    def task(self) -> Path:
        space = self.workspace
        source = space.resolve(self.path)
        destination = space.resolve(self.destination)
        if not source.exists():
            if destination.exists():
                return self.destination
            raise RuleError(
                "neither the source nor the destination exists", path=space.relative(self.path)
            )
        if source == destination or source in destination.parents:
            raise RuleError("cannot move a path into itself", path=space.relative(source))
        if destination.exists() and destination.is_dir() != source.is_dir():
            raise RuleError(
                "destination exists and is of another kind", path=space.relative(destination)
            )
        if destination.is_dir():
            space.delete(destination)
        self._copy(source, destination)
        space.delete(source)
        return self.destination


class Renamed(Moved):
    """Ensure ``path`` is renamed to ``new_name`` in the same directory."""

    id = "renamed"
    hidden_arguments = frozenset({"destination"})

    def __init__(
        self, name: str, path: str | Path | None = None, *, new_name: str, **kwargs: Any
    ) -> None:
        if (
            not isinstance(new_name, str)
            or not new_name
            or "/" in new_name
            or new_name
            in (
                ".",
                "..",
            )
        ):
            raise ConfigError(f"rule {name!r}: new_name must be a plain file name")
        self.new_name = new_name
        super().__init__(name, path, destination=new_name, **kwargs)

    def task(self) -> Path:
        self.destination = self.path.parent / self.new_name
        return super().task()


@hookimpl
def hammurabi_rule_types() -> tuple[type[PathRule], ...]:
    return (
        FileExists,
        FilesExist,
        FileNotExists,
        FilesNotExist,
        FileEmptied,
        DirectoryExists,
        DirectoryNotExists,
        DirectoryEmptied,
        Copied,
        Moved,
        Renamed,
    )
