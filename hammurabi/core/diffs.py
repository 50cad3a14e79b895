"""Git-style unified diffs between two states of a file."""

from __future__ import annotations

import difflib


def unified_diff(
    rel: str, old: bytes | None, old_mode: int | None, new: bytes | None, new_mode: int | None
) -> str:
    """A git-style diff of ``rel`` (``None`` content: absent; ``None`` mode: a symlink)."""
    header = f"diff --git a/{rel} b/{rel}\n"
    if old is not None and new is not None and old_mode != new_mode:
        header += f"old mode {git_mode(old_mode)}\nnew mode {git_mode(new_mode)}\n"
    if old == new:
        return header
    if old is None:
        header += f"new file mode {git_mode(new_mode)}\n"
    elif new is None:
        header += f"deleted file mode {git_mode(old_mode)}\n"
    a_name = f"a/{rel}" if old is not None else "/dev/null"
    b_name = f"b/{rel}" if new is not None else "/dev/null"
    if is_binary(old) or is_binary(new):
        return header + f"Binary files {a_name} and {b_name} differ\n"
    body = "".join(difflib.unified_diff(_lines(old), _lines(new), a_name, b_name))
    return header + body


def git_mode(mode: int | None) -> str:
    """Git's file mode for a permission set (None: a symlink)."""
    if mode is None:
        return "120000"
    return "100755" if mode & 0o111 else "100644"


def is_binary(data: bytes | None) -> bool:
    if data is None:
        return False
    if b"\x00" in data[:8192]:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _lines(data: bytes | None) -> list[str]:
    if not data:
        return []
    lines = data.decode("utf-8").splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines
