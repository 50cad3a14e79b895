"""The workspace: path safety, atomic writes, encodings, change tracking and rollback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hammurabi import FileExists, LineExists, Outcome, Rule, RuleError
from hammurabi.core.errors import PathError
from hammurabi.core.textfile import decode
from hammurabi.core.workspace import Workspace
from tests.helpers import apply_twice, make_tree, only, run_rules, snapshot


@pytest.mark.parametrize("path", ["../outside", "/etc/passwd", "a/../../x"])
def test_paths_outside_are_refused(tmp_path: Path, path: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    result = only(run_rules(root, FileExists(name="escape", path=path)))
    assert result.outcome is Outcome.FAILED
    assert "outside the repository" in (result.error or "")
    assert not (tmp_path / "outside").exists() and not (tmp_path / "x").exists()


def test_symlink_escape_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (tmp_path / "secret").mkdir()
    make_tree(root, {"ok": "x"})
    os.symlink(tmp_path / "secret", root / "link")
    os.symlink(tmp_path / "secret" / "f", root / "filelink")
    for path in ("link/file", "filelink"):
        result = only(run_rules(root, FileExists(name="via link", path=path, content="pwned")))
        assert result.outcome is Outcome.FAILED
        assert "outside the repository" in (result.error or "")
    assert list((tmp_path / "secret").iterdir()) == []


def test_absolute_path_inside_root_is_allowed(tmp_path: Path) -> None:
    result = only(run_rules(tmp_path, FileExists(name="abs", path=tmp_path / "inside")))
    assert result.outcome is Outcome.CHANGED and result.files == ["inside"]


def test_symlink_inside_root_writes_target(tmp_path: Path) -> None:
    make_tree(tmp_path, {"real.txt": "a\n"})
    os.symlink("real.txt", tmp_path / "alias.txt")
    apply_twice(tmp_path, LineExists(name="l", path="alias.txt", text="b"))
    assert (tmp_path / "alias.txt").is_symlink()
    assert (tmp_path / "real.txt").read_text() == "a\nb\n"


def test_write_keeps_mode_and_is_atomic(tmp_path: Path) -> None:
    make_tree(tmp_path, {"run.sh": "#!/bin/sh\n"})
    os.chmod(tmp_path / "run.sh", 0o750)
    inode = os.stat(tmp_path / "run.sh").st_ino
    run_rules(tmp_path, LineExists(name="l", path="run.sh", text="echo hi"))
    st = os.stat(tmp_path / "run.sh")
    assert st.st_mode & 0o777 == 0o750
    assert st.st_ino != inode  # replaced by rename, never written in place
    assert [p.name for p in tmp_path.iterdir()] == ["run.sh"]  # no temporary file left


def test_unchanged_file_is_not_touched(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": "a\n"})
    os.utime(tmp_path / "f", ns=(1, 1))
    run_rules(tmp_path, LineExists(name="l", path="f", text="a"))
    assert os.stat(tmp_path / "f").st_mtime_ns == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a\r\nb\r\n", b"a\r\nb\r\nc\r\n"),
        (b"\xef\xbb\xbfa\n", b"\xef\xbb\xbfa\nc\n"),
        ("a\n".encode("utf-16"), "a\nc\n".encode("utf-16")),
        (b"a\rb\r", b"a\rb\rc\r"),
    ],
)
def test_newline_style_and_encoding_kept(tmp_path: Path, raw: bytes, expected: bytes) -> None:
    make_tree(tmp_path, {"f": raw})
    apply_twice(tmp_path, LineExists(name="l", path="f", text="c"))
    assert (tmp_path / "f").read_bytes() == expected


def test_non_utf8_and_binary_refused_without_change(tmp_path: Path) -> None:
    make_tree(tmp_path, {"latin": "café\n".encode("latin-1"), "bin": b"\x00\x01\x02"})
    before = snapshot(tmp_path)
    for name in ("latin", "bin"):
        result = only(run_rules(tmp_path, LineExists(name="l", path=name, text="x")))
        assert result.outcome is Outcome.FAILED
        assert name in (result.error or "")
    assert snapshot(tmp_path) == before
    ok = only(run_rules(tmp_path, LineExists(name="l", path="latin", text="x", encoding="latin-1")))
    assert ok.outcome is Outcome.CHANGED
    assert (tmp_path / "latin").read_bytes() == "café\nx\n".encode("latin-1")


def test_decode_detects_crlf() -> None:
    text = decode(b"a\r\nb\r\n")
    assert text.newline == "\r\n" and text.content == "a\nb\n"
    assert text.encode() == b"a\r\nb\r\n"


class HalfWriter(Rule):
    """Writes one file through the workspace, another directly, then fails."""

    def task(self) -> None:
        self.workspace.write_bytes("tracked.txt", b"changed")
        Path("untracked.txt").write_text("changed too")
        Path("brand-new.txt").write_text("new")
        raise RuntimeError("boom")


def test_failed_rule_is_rolled_back(tmp_path: Path) -> None:
    make_tree(tmp_path, {"tracked.txt": "original", "untracked.txt": "original"})
    before = snapshot(tmp_path)
    result = only(run_rules(tmp_path, HalfWriter(name="half")))
    assert result.outcome is Outcome.FAILED
    assert result.error == "RuntimeError: boom"
    assert snapshot(tmp_path) == before


def test_workspace_outside_a_run() -> None:
    with pytest.raises(RuleError):
        LineExists(name="l", path="f", text="x").workspace  # noqa: B018


def test_resolve_relative(tmp_path: Path) -> None:
    space = Workspace(tmp_path)
    assert space.relative("a/b/../c") == "a/c"
    with pytest.raises(PathError):
        space.resolve("..")
