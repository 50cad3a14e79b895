"""File and directory rules: behaviour, idempotency, bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hammurabi import (
    ConfigError,
    Copied,
    DirectoryEmptied,
    DirectoryExists,
    DirectoryNotExists,
    FileEmptied,
    FileExists,
    FileNotExists,
    FilesExist,
    FilesNotExist,
    Moved,
    Outcome,
    Renamed,
)
from tests.helpers import apply_twice, make_tree, only, run_rules, snapshot


def test_file_exists_creates_and_keeps(tmp_path: Path) -> None:
    make_tree(tmp_path, {"keep": "data"})
    first, _ = apply_twice(
        tmp_path, FileExists(name="a", path="sub/dir/new"), FileExists(name="b", path="keep")
    )
    assert (tmp_path / "sub/dir/new").read_bytes() == b""
    assert (tmp_path / "keep").read_text() == "data"
    assert [r.outcome for r in first.walk()] == [Outcome.CHANGED, Outcome.UNCHANGED]
    assert "sub/dir/new" in first.files


def test_file_exists_with_content_keeps_crlf(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": b"old\r\n"})
    apply_twice(tmp_path, FileExists(name="a", path="f", content="one\ntwo\n"))
    assert (tmp_path / "f").read_bytes() == b"one\r\ntwo\r\n"


def test_file_not_exists_and_emptied(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a": "x", "b": "y", "d/x": "z"})
    apply_twice(
        tmp_path,
        FileNotExists(name="a", path="a"),
        FileEmptied(name="b", path="b"),
        FileEmptied(name="c", path="c"),
    )
    assert not (tmp_path / "a").exists()
    assert (tmp_path / "b").read_bytes() == b"" and (tmp_path / "c").read_bytes() == b""
    refused = only(run_rules(tmp_path, FileNotExists(name="d", path="d")))
    assert refused.outcome is Outcome.FAILED and "DirectoryNotExists" in (refused.error or "")


def test_files_exist_and_not_exist(tmp_path: Path) -> None:
    apply_twice(tmp_path, FilesExist(name="a", paths=["x", "y/z"]))
    assert (tmp_path / "y/z").exists()
    apply_twice(tmp_path, FilesNotExist(name="b", paths=["x", "y/z"]))
    assert not (tmp_path / "x").exists()
    with pytest.raises(ConfigError):
        FilesExist(name="c", paths=[])


def test_directory_rules(tmp_path: Path) -> None:
    make_tree(tmp_path, {"full/a": "1", "full/sub/b": "2", "gone/x": "3"})
    first, _ = apply_twice(
        tmp_path,
        DirectoryExists(name="a", path="new/deep"),
        DirectoryExists(name="existing", path="full"),
        DirectoryEmptied(name="b", path="full"),
        DirectoryNotExists(name="c", path="gone"),
    )
    assert (tmp_path / "new/deep").is_dir()
    assert list((tmp_path / "full").iterdir()) == []
    assert not (tmp_path / "gone").exists()
    outcomes = [r.outcome for r in first.walk()]
    assert outcomes == [Outcome.CHANGED, Outcome.UNCHANGED, Outcome.CHANGED, Outcome.CHANGED]
    assert "deleted file mode" in first.diff


def test_directory_exists_on_a_file_fails(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": "x"})
    result = only(run_rules(tmp_path, DirectoryExists(name="a", path="f")))
    assert result.outcome is Outcome.FAILED
    assert result.error == "f: exists but is not a directory"


def test_copied_file_and_tree(tmp_path: Path) -> None:
    make_tree(tmp_path, {"src/a": "1", "src/sub/b": "2", "one": "x"})
    os.chmod(tmp_path / "src/a", 0o755)
    apply_twice(
        tmp_path,
        Copied(name="tree", path="src", destination="dst"),
        Copied(name="file", path="one", destination="two"),
    )
    assert (tmp_path / "dst/sub/b").read_text() == "2"
    assert os.stat(tmp_path / "dst/a").st_mode & 0o777 == 0o755
    assert (tmp_path / "two").read_text() == "x"
    result = only(run_rules(tmp_path, Copied(name="x", path="missing", destination="y")))
    assert result.outcome is Outcome.FAILED


def test_moved_and_renamed(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a.txt": "1", "dir/b": "2"})
    first, _ = apply_twice(
        tmp_path,
        Moved(name="m", path="a.txt", destination="docs/a.txt"),
        Renamed(name="r", path="dir", new_name="renamed"),
    )
    assert (tmp_path / "docs/a.txt").read_text() == "1"
    assert not (tmp_path / "a.txt").exists()
    assert (tmp_path / "renamed/b").read_text() == "2" and not (tmp_path / "dir").exists()
    assert {c.kind for c in first.laws[0].changes} >= {"added", "deleted"}
    nothing = only(run_rules(tmp_path, Moved(name="m", path="x", destination="y")))
    assert nothing.outcome is Outcome.FAILED
    with pytest.raises(ConfigError):
        Renamed(name="r", path="a", new_name="x/y")


def test_moved_pipes_destination(tmp_path: Path) -> None:
    from hammurabi import LineExists

    make_tree(tmp_path, {"a.txt": "1\n"})
    run_rules(
        tmp_path,
        Moved(name="m", path="a.txt", destination="b.txt", pipe=LineExists(name="l", text="2")),
    )
    assert (tmp_path / "b.txt").read_text() == "1\n2\n"


def test_failing_rule_leaves_tree_unchanged(tmp_path: Path) -> None:
    make_tree(tmp_path, {"src/a": "1", "dst": "file in the way"})
    before = snapshot(tmp_path)
    result = only(run_rules(tmp_path, Copied(name="c", path="src", destination="dst")))
    assert result.outcome is Outcome.FAILED
    assert snapshot(tmp_path) == before
