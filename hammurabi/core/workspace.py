"""The repository being enforced: safe path resolution, atomic writes and change tracking.

Every path a rule names is resolved here; anything that would read or write outside the
repository root (``..``, absolute paths elsewhere, symlinks that escape) is refused.
Built-in rules write through this module, which records before/after content so each
rule's result carries an exact diff and a failed rule can be rolled back.
"""

from __future__ import annotations

import contextvars
import itertools
import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import chdir, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from hammurabi.core import limits
from hammurabi.core.errors import PathError, RuleError
from hammurabi.core.limits import check_size
from hammurabi.core.results import FileChange
from hammurabi.core.textfile import Text, decode

#: Files larger than this are tracked by size and time only when a custom rule runs.
SNAPSHOT_MAX_BYTES = 1 << 20
IGNORED_DIRS = frozenset({".git", ".hg", ".svn"})


@dataclass
class _Entry:
    """What a path held before the current rule touched it."""

    data: bytes | None  # None: did not exist (or was a directory, see is_dir)
    mode: int | None
    is_dir: bool = False
    owner: tuple[int, int] | None = None  # (uid, gid), when known


@dataclass
class _FileState:
    signature: tuple[int, int, int, int]
    data: bytes | None
    mode: int


@dataclass
class Workspace:
    """A repository root and the bookkeeping of one enforce run in it."""

    root: Path
    _touched: dict[str, _Entry] = field(default_factory=dict)
    _outer: list[dict[str, _Entry]] = field(default_factory=list)
    _snapshot: dict[str, _FileState] | None = None
    #: Resolved paths, kept only while a tracked rule runs (cleared before each rule).
    _resolved: dict[str, Path] | None = None

    def __post_init__(self) -> None:
        self.root = Path(os.path.realpath(self.root))
        self._root_str = str(self.root)

    # -- paths ---------------------------------------------------------------------------

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """Return the real absolute path for ``path``, refusing anything outside the root."""
        key = os.fspath(path)
        if self._resolved is not None and key in self._resolved:
            return self._resolved[key]
        real_str = self._walk(key) if key and not os.path.isabs(key) else None
        if real_str is None:
            candidate = key if os.path.isabs(key) else os.path.join(self._root_str, key)
            real_str = os.path.realpath(candidate)
        if real_str != self._root_str and not real_str.startswith(self._root_str + os.sep):
            parts = Path(key).parts
            what = "symlink" if not os.path.isabs(key) and ".." not in parts else "path"
            raise PathError(f"{what} {key!r} points outside the repository")
        real = Path(real_str)
        if self._resolved is not None:
            self._resolved[key] = real
        return real

    def _walk(self, relative: str) -> str | None:
        """Resolve a relative path with no symlinks and no ``..`` quickly; else None."""
        current = self._root_str
        for part in relative.split(os.sep):
            if part in ("", "."):
                continue
            if part == "..":
                return None
            current = os.path.join(current, part)
            if os.path.islink(current):
                return None
        return current

    def relative(self, path: str | os.PathLike[str]) -> str:
        """The repository-relative POSIX spelling of a path (for reports and diffs)."""
        real = self.resolve(path)
        return real.relative_to(self.root).as_posix() or "."

    # -- reading -------------------------------------------------------------------------

    def read_text(self, path: str | os.PathLike[str], encoding: str | None = None) -> Text:
        """Read a text file, remembering its encoding, BOM and newline style for writing back.

        Refused over ``limits.file_bytes``: rules read files to parse them."""
        real = self.resolve(path)
        try:
            if real.is_file():
                check_size(
                    real.stat().st_size, limits.current().file_bytes, "the file", "file_bytes"
                )
            data = real.read_bytes()
        except FileNotFoundError:
            raise RuleError("file does not exist", path=self.relative(path)) from None
        except IsADirectoryError:
            raise RuleError("is a directory, not a file", path=self.relative(path)) from None
        except RuleError as exc:
            raise exc.located(path=self.relative(path)) from None
        try:
            return decode(data, encoding)
        except RuleError as exc:
            exc.path = self.relative(path)
            raise

    # -- writing (tracked) ---------------------------------------------------------------

    def _remember(
        self, real: Path, st: os.stat_result | None = None, data: bytes | None = None
    ) -> None:
        """Note ``real``'s state before the first change (``st``/``data`` if already read)."""
        rel = real.relative_to(self.root).as_posix()
        if rel in self._touched:
            return
        try:
            st = st if st is not None else real.lstat()
        except FileNotFoundError:
            entry = _Entry(None, None)
        else:
            if stat.S_ISDIR(st.st_mode):
                entry = _Entry(None, stat.S_IMODE(st.st_mode), is_dir=True)
            elif stat.S_ISLNK(st.st_mode):  # the link itself, never what it points to
                entry = _Entry(os.readlink(real).encode(), None)
            else:
                entry = _Entry(
                    data if data is not None else real.read_bytes(), stat.S_IMODE(st.st_mode)
                )
            entry.owner = (st.st_uid, st.st_gid)
        self._record(rel, entry)

    def _record(self, rel: str, entry: _Entry) -> None:
        """Note what ``rel`` held before its first change, in the rule and outer scopes."""
        self._touched.setdefault(rel, entry)
        for scope in self._outer:
            scope.setdefault(rel, entry)

    def write_text(self, path: str | os.PathLike[str], text: Text) -> bool:
        """Write ``text`` atomically; return False (and touch nothing) if nothing changes."""
        return self.write_bytes(path, text.encode())

    def write_bytes(
        self, path: str | os.PathLike[str], data: bytes, *, mode: int | None = None
    ) -> bool:
        """Write ``data`` atomically (temporary file + rename), keeping the file's mode."""
        real = self.resolve(path)
        try:
            st: os.stat_result | None = real.stat()
        except FileNotFoundError:
            st = None
        old_mode = None
        if st is not None:
            if stat.S_ISDIR(st.st_mode):
                raise RuleError("is a directory, not a file", path=self.relative(path))
            old_mode = stat.S_IMODE(st.st_mode)
            old = real.read_bytes()
            if old == data and (mode is None or mode == old_mode):
                return False
            self._remember(real, st, old)
        else:
            self._remember(real)
            if not real.parent.is_dir():
                self.make_dirs(real.parent)
        new_mode = mode if mode is not None else old_mode
        if new_mode is None:
            new_mode = 0o666 & ~_umask()
        tmp = real.with_name(f".{real.name}.{os.getpid()}.{next(_serial)}.hammurabi")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                os.fchmod(handle.fileno(), new_mode)
            os.replace(tmp, real)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return True

    def write_link(self, path: str | os.PathLike[str], target: str) -> bool:
        """Make ``path`` a symlink to ``target``, which must stay inside the repository."""
        relative = Path(os.fspath(path))
        if relative.is_absolute():
            relative = self.resolve(relative.parent).relative_to(self.root) / relative.name
        parent = self.resolve(relative.parent)
        link = parent / relative.name
        where = link.relative_to(self.root).as_posix()
        try:
            self.resolve(target if os.path.isabs(target) else os.path.join(relative.parent, target))
        except PathError:
            message = f"symlink to {target!r} would point outside the repository"
            raise PathError(message, path=where) from None
        if link.is_symlink() and os.readlink(link) == target:
            return False
        if link.is_dir() and not link.is_symlink():
            raise RuleError("is a directory, not a symlink", path=where)
        if not parent.is_dir():
            self.make_dirs(parent)
        self._remember(link)
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(target, link)
        return True

    def chmod(self, path: str | os.PathLike[str], mode: int) -> bool:
        """Set a file's permission bits; False if they already are ``mode``."""
        real = self.resolve(path)
        current = stat.S_IMODE(real.stat().st_mode)
        if current == mode:
            return False
        self._remember(real)
        os.chmod(real, mode)
        return True

    def chown(self, path: str | os.PathLike[str], uid: int = -1, gid: int = -1) -> bool:
        """Change a file's owner and/or group (-1 keeps it); tracked and rolled back."""
        real = self.resolve(path)
        st = real.stat()
        wanted = (st.st_uid if uid == -1 else uid, st.st_gid if gid == -1 else gid)
        if wanted == (st.st_uid, st.st_gid):
            return False
        self._remember(real)
        os.chown(real, *wanted)
        return True

    def make_dirs(self, path: str | os.PathLike[str]) -> bool:
        """Create a directory with its parents; False if it already exists."""
        real = self.resolve(path)
        if real.is_dir():
            return False
        missing = []
        current = real
        while not current.exists():
            missing.append(current)
            current = current.parent
        if not current.is_dir():
            raise RuleError("a parent is a file, not a directory", path=self.relative(current))
        for directory in reversed(missing):
            self._remember(directory)
            directory.mkdir()
        return True

    def delete(self, path: str | os.PathLike[str]) -> bool:
        """Delete a file, a symlink or a whole directory tree; False if already absent."""
        raw = self.root / path if not Path(path).is_absolute() else Path(path)
        if raw.is_symlink():  # delete the link itself, never its target
            self.resolve(raw.parent)
            real = Path(os.path.realpath(raw.parent)) / raw.name
            self._remember_link(real)
            real.unlink()
            return True
        real = self.resolve(path)
        if not real.exists():
            return False
        if real == self.root:
            raise PathError("refusing to delete the repository root")
        if real.is_dir():
            for dirpath, dirnames, filenames in os.walk(real):
                base = Path(dirpath)
                self._remember(base)
                for name in filenames:
                    self._remember(base / name)
                dirnames[:] = [d for d in dirnames if not (base / d).is_symlink()]
            shutil.rmtree(real)
        else:
            self._remember(real)
            real.unlink()
        return True

    def _remember_link(self, real: Path) -> None:
        rel = real.relative_to(self.root).as_posix()
        self._record(rel, _Entry(os.readlink(real).encode(), None))

    # -- bookkeeping ---------------------------------------------------------------------

    @contextmanager
    def scope(self) -> Iterator[list[FileChange]]:
        """Collect the net changes made inside the block (a law's or a whole run's)."""
        entries: dict[str, _Entry] = {}
        changes: list[FileChange] = []
        self._outer.append(entries)
        try:
            yield changes
        finally:
            popped = self._outer.pop()
            assert popped is entries, "workspace scopes must nest"
        changes.extend(self._collect(entries))

    @contextmanager
    def tracking(self, *, snapshot: bool) -> Iterator[list[FileChange]]:
        """Track what happens inside the block; fill the yielded list with the changes.

        ``snapshot`` also compares the whole tree before and after, for rules that write
        files themselves instead of through this module.
        """
        self._touched = {}
        self._resolved = None if snapshot else {}
        before = self._take_snapshot() if snapshot else None
        changes: list[FileChange] = []
        try:
            yield changes
        except BaseException:
            if before is not None:
                self._merge_snapshot(before)
            self.rollback()
            raise
        finally:
            self._resolved = None
        if before is not None:
            self._merge_snapshot(before)
        changes.extend(self._collect(self._touched))
        self._touched = {}

    def _merge_snapshot(self, before: dict[str, _FileState]) -> None:
        after = self._take_snapshot()
        for rel in before.keys() | after.keys():
            old, new = before.get(rel), after.get(rel)
            if rel in self._touched:
                continue
            if old is None:
                self._record(rel, _Entry(None, None))
            elif new is None or old.signature != new.signature:
                self._record(rel, _Entry(old.data, old.mode))

    def _take_snapshot(self) -> dict[str, _FileState]:
        previous = self._snapshot or {}
        current: dict[str, _FileState] = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS]
            for name in filenames:
                full = os.path.join(dirpath, name)
                try:
                    st = os.lstat(full)
                except FileNotFoundError:
                    continue
                rel = os.path.relpath(full, self.root).replace(os.sep, "/")
                signature = (st.st_mtime_ns, st.st_size, st.st_mode, st.st_ino)
                known = previous.get(rel)
                if known is not None and known.signature == signature:
                    current[rel] = known
                    continue
                data = None
                if stat.S_ISLNK(st.st_mode):
                    data = os.readlink(full).encode()
                elif st.st_size <= SNAPSHOT_MAX_BYTES:
                    with open(full, "rb") as handle:
                        data = handle.read()
                current[rel] = _FileState(signature, data, stat.S_IMODE(st.st_mode))
        self._snapshot = current
        return current

    def rollback(self) -> None:
        """Put every path touched by the current rule back as it was."""
        self._restore(self._touched)
        self._touched = {}
        self._snapshot = None

    def undo_scope(self) -> None:
        """Put every path changed in the innermost :meth:`scope` so far back as it was
        (a law whose rule failed leaves nothing behind)."""
        self._restore(self._outer[-1])
        self._snapshot = None

    def _restore(self, touched: dict[str, _Entry]) -> None:
        for rel, entry in sorted(touched.items(), key=lambda item: -len(item[0])):
            real = self.root / rel
            if real.is_symlink() or real.is_file():
                real.unlink()
            elif real.is_dir() and not entry.is_dir:
                shutil.rmtree(real)
        for rel, entry in sorted(touched.items(), key=lambda item: len(item[0])):
            real = self.root / rel
            if entry.is_dir:
                real.mkdir(parents=True, exist_ok=True)
                if entry.mode is not None:
                    os.chmod(real, entry.mode)
            elif entry.data is not None:
                real.parent.mkdir(parents=True, exist_ok=True)
                if entry.mode is None:  # a symlink
                    os.symlink(entry.data.decode(), real)
                else:
                    real.write_bytes(entry.data)
                    os.chmod(real, entry.mode)
                    if entry.owner is not None:
                        with suppress(OSError):  # best effort when not running as root
                            os.chown(real, *entry.owner)

    def _collect(self, entries: dict[str, _Entry]) -> list[FileChange]:
        changes = []
        for rel in sorted(entries):
            change = self._change(rel, entries[rel])
            if change is not None:
                changes.append(change)
        return changes

    def _change(self, rel: str, entry: _Entry) -> FileChange | None:
        real = self.root / rel
        try:
            now: os.stat_result | None = real.lstat()  # one system call tells the kind
        except FileNotFoundError:
            now = None
        now_data: bytes | None = None
        now_mode: int | None = None
        now_dir = False
        if now is None:
            pass
        elif stat.S_ISLNK(now.st_mode):
            now_data = os.readlink(real).encode()
        elif stat.S_ISDIR(now.st_mode):
            now_mode, now_dir = stat.S_IMODE(now.st_mode), True
        else:
            now_data, now_mode = real.read_bytes(), stat.S_IMODE(now.st_mode)
        if entry.is_dir or now_dir:
            if entry.is_dir and not now_dir:
                return FileChange(rel, "directory-deleted")
            if now_dir and not entry.is_dir:
                return FileChange(rel, "directory-added")
            return None
        if entry.data == now_data and entry.mode == now_mode:
            st = real.stat() if entry.owner is not None and now_data is not None else None
            if st is not None and entry.owner != (st.st_uid, st.st_gid):
                return FileChange(rel, "owner")  # git does not record owners: no diff
            return None
        if entry.data is None:
            kind = "added"
        elif now_data is None:
            kind = "deleted"
        elif entry.data == now_data:
            kind = "mode"
        else:
            kind = "modified"
        return FileChange(
            rel, kind, before=entry.data, after=now_data, modes=(entry.mode, now_mode)
        )


_serial = itertools.count()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_current: contextvars.ContextVar[Workspace] = contextvars.ContextVar("hammurabi_workspace")


def current() -> Workspace:
    """The workspace of the rule being run (rules reach it through ``self.workspace``)."""
    try:
        return _current.get()
    except LookupError:
        raise RuleError("no repository is being enforced (rule used outside a run)") from None


@contextmanager
def activated(workspace: Workspace) -> Iterator[Workspace]:
    """Make ``workspace`` current and the working directory for the block."""
    token = _current.set(workspace)
    try:
        with chdir(workspace.root):
            yield workspace
    finally:
        _current.reset(token)
