"""Tests of the tutorial plugin: run its rule and precondition on a folder, as Hammurabi does."""

from __future__ import annotations

from pathlib import Path

import pytest
from hammurabi_tutorial.preconditions import HasFileMatching
from hammurabi_tutorial.rules import HeaderExists

from hammurabi import ConfigError, Law, enforce

HEADER = "# SPDX-License-Identifier: MIT"


def run(root: Path, *rules: HeaderExists) -> str:
    """Enforce one law made of ``rules`` on ``root``; return the run's outcome."""
    result = enforce([Law(name="headers", description="test", rules=rules)], root)
    assert result.failures() == []
    return result.outcome.value


def test_header_goes_first_and_after_a_shebang(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "deploy").write_text("#!/bin/sh\necho hi\n")
    rules = (
        HeaderExists(name="app", path="app.py", header=HEADER),
        HeaderExists(name="deploy", path="deploy", header=HEADER),
    )
    assert run(tmp_path, *rules) == "changed"
    assert (tmp_path / "app.py").read_text() == f"{HEADER}\nprint('hi')\n"
    assert (tmp_path / "deploy").read_text() == f"#!/bin/sh\n{HEADER}\necho hi\n"


def test_applying_twice_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    rule = HeaderExists(name="app", path="app.py", header=HEADER)
    assert run(tmp_path, rule) == "changed"
    assert run(tmp_path, rule) == "unchanged"


def test_a_missing_file_fails_the_rule_and_changes_nothing(tmp_path: Path) -> None:
    law = Law(name="h", description="d", rules=[HeaderExists(name="x", path="x.py", header=HEADER)])
    result = enforce([law], tmp_path)
    assert result.failures() == ["law 'h', rule 'x': x.py: file does not exist"]
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_fail_when_the_law_is_built() -> None:
    with pytest.raises(ConfigError, match="header must be a non-empty string"):
        HeaderExists(name="x", path="x.py", header="")
    with pytest.raises(ConfigError, match="must stay in the repository"):
        HasFileMatching(pattern="../*.py")


def test_has_file_matching_looks_inside_the_repository_only(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "hook.sh").write_text("")
    marker = HeaderExists(name="m", path="src/app.py", header=HEADER)
    marker.preconditions = (HasFileMatching(pattern="*.sh"),)
    law = Law(name="h", description="d", rules=[marker])
    assert enforce([law], tmp_path).outcome.value == "skipped"
    marker.preconditions = (HasFileMatching(pattern="src/*.py"),)
    assert enforce([law], tmp_path).outcome.value == "changed"
