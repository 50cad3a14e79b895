"""Small helpers shared by the engine tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hammurabi.core.engine import enforce
from hammurabi.core.law import Law
from hammurabi.core.results import Outcome, RuleResult, RunResult
from hammurabi.rules.base import Rule


def make_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create ``files`` (relative path -> content) under ``root``."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode())
    return root


def snapshot(root: Path) -> dict[str, tuple[bytes | str, int]]:
    """Every path under ``root`` with its content (or link target) and mode."""
    state: dict[str, tuple[bytes | str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = Path(dirpath, name)
            rel = full.relative_to(root).as_posix()
            st = full.lstat()
            if full.is_symlink():
                state[rel] = (os.readlink(full), st.st_mode)
            elif full.is_dir():
                state[rel] = ("<dir>", st.st_mode)
            else:
                state[rel] = (full.read_bytes(), st.st_mode)
    return state


def run_rules(root: Path, *rules: Rule, dry_run: bool = False) -> RunResult:
    return enforce([Law(name="law", description="test law", rules=rules)], root, dry_run=dry_run)


def only(result: RunResult) -> RuleResult:
    """The single top-level rule result of a one-law, one-rule run."""
    (law,) = result.laws
    (rule,) = law.rules
    return rule


def apply_twice(root: Path, *rules: Rule) -> tuple[RunResult, RunResult]:
    """Run the rules twice; the second run must change nothing (idempotency)."""
    first = run_rules(root, *rules)
    before = snapshot(root)
    second = run_rules(root, *rules)
    assert snapshot(root) == before, "second run changed the tree"
    assert all(r.outcome is not Outcome.CHANGED for r in second.walk()), second.to_json()
    return first, second


def hammurabi(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real ``hammurabi`` command in a subprocess."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hammurabi", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
