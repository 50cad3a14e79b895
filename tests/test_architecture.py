"""The layers hold: import-linter checks pyproject.toml's contracts (see ARCHITECTURE.md).

Every import counts, at module level, inside functions and under TYPE_CHECKING; a crossing
(the core importing git, a forge importing git, a cycle) fails here and in the lint session.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="import-linter is not installed (the test extra has it)"
)


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(where / "pyproject.toml")],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_are_kept() -> None:
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


#: One import per contract that it must break: (module, added line, the contract's name).
CROSSINGS = [
    # the core, upwards into the CLI
    ("core/results.py", "import hammurabi.cli.main", "Layers"),
    # metrics, sideways into git
    ("integrations/metrics/rows.py", "import hammurabi.integrations.git", "outside system"),
    # a rule, out to GitHub's library, inside a function
    ("rules/lines.py", "def _late():\n    import github", "never imports git"),
    # a cycle inside the core: engine -> results -> engine
    ("core/results.py", "import hammurabi.core.engine", "No import cycles"),
]


def test_crossings_break_the_contracts(tmp_path: Path) -> None:
    """The contracts are not vacuous: each added import breaks the contract it should."""
    shutil.copytree(ROOT / "hammurabi", tmp_path / "hammurabi")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for module, line, _ in CROSSINGS:
        target = tmp_path / "hammurabi" / module
        target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    run = lint_imports(tmp_path)
    assert run.returncode != 0, run.stdout
    summary = run.stdout.split("Broken contracts", 1)[0]
    for module, line, contract in CROSSINGS:
        name = next(text for text in summary.splitlines() if contract in text)
        assert " BROKEN" in name, (module, line, run.stdout)
    assert "4 broken" in summary, run.stdout
