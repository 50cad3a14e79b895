"""Rules that walk folders never read or write through symlinks that leave the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hammurabi.core.results import Outcome
from hammurabi.rules.files import Copied, DirectoryEmptied, DirectoryNotExists, Moved
from hammurabi.rules.templates import TemplateRendered
from tests.helpers import make_tree, only, run_rules, snapshot

SECRET = "root:x:0:0:the secret outside\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file and a folder next to the repository, which it must never reach."""
    make_tree(tmp_path / "outside", {"passwd": SECRET, "dir/key": SECRET})
    return tmp_path / "outside"


@pytest.fixture
def repo(tmp_path: Path, outside: Path) -> Path:
    root = make_tree(tmp_path / "repo", {"defaults/app.cfg": "a = 1\n", "defaults/sub/b": "b\n"})
    os.symlink(outside / "passwd", root / "defaults" / "pw")
    return root


def test_copied_refuses_a_symlink_leaving_the_repository(repo: Path) -> None:
    result = run_rules(repo, Copied(name="copy", path="defaults", destination="config"))
    rule = only(result)
    assert rule.outcome is Outcome.FAILED
    assert rule.error is not None and "defaults/pw" in rule.error and "outside" in rule.error
    assert not (repo / "config").exists()  # rolled back, nothing half-copied
    assert SECRET not in result.to_json()


def test_copied_refuses_a_symlinked_folder_leaving_the_repository(
    repo: Path, outside: Path
) -> None:
    (repo / "defaults" / "pw").unlink()
    os.symlink(outside / "dir", repo / "defaults" / "etc")
    result = run_rules(repo, Copied(name="copy", path="defaults", destination="config"))
    assert only(result).outcome is Outcome.FAILED and "defaults/etc" in (only(result).error or "")
    assert not (repo / "config").exists() and SECRET not in result.to_json()


def test_a_symlink_staying_inside_is_copied_as_a_link(repo: Path) -> None:
    (repo / "defaults" / "pw").unlink()
    os.symlink("app.cfg", repo / "defaults" / "link")
    os.symlink("sub", repo / "defaults" / "sublink")
    rule = only(run_rules(repo, Copied(name="copy", path="defaults", destination="config")))
    assert rule.outcome is Outcome.CHANGED, rule.error
    assert os.readlink(repo / "config" / "link") == "app.cfg"
    assert os.readlink(repo / "config" / "sublink") == "sub"
    assert (repo / "config" / "sub" / "b").read_text() == "b\n"
    again = only(run_rules(repo, Copied(name="copy", path="defaults", destination="config")))
    assert again.outcome is Outcome.UNCHANGED


def test_moved_refuses_a_symlink_leaving_the_repository(repo: Path) -> None:
    before = snapshot(repo)
    rule = only(run_rules(repo, Moved(name="move", path="defaults", destination="config")))
    assert rule.outcome is Outcome.FAILED and "defaults/pw" in (rule.error or "")
    assert snapshot(repo) == before


@pytest.mark.parametrize("kind", [DirectoryNotExists, DirectoryEmptied])
def test_removing_a_folder_removes_links_never_reads_their_targets(
    repo: Path, outside: Path, kind: type
) -> None:
    result = run_rules(repo, kind(name="clean", path="defaults"))
    assert only(result).outcome is Outcome.CHANGED
    assert (outside / "passwd").read_text() == SECRET  # the target is untouched
    assert SECRET not in result.diff and SECRET not in result.to_json()


def test_templates_never_read_through_an_escaping_link(repo: Path) -> None:
    os.symlink(repo.parent / "outside" / "passwd", repo / "t.j2")
    rule = only(run_rules(repo, TemplateRendered(name="t", path="out.txt", template="t.j2")))
    assert rule.outcome is Outcome.FAILED and "outside the repository" in (rule.error or "")
    assert not (repo / "out.txt").exists()
