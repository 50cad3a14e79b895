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
    # the fleet, drawing on the terminal
    ("orchestration/window.py", "import rich.console", "Only the CLI"),
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
    assert f"{len(CROSSINGS)} broken" in summary, run.stdout


def _resolves(name: str, modules: dict[str, object]) -> bool:
    """Whether ``a.b.c`` names something: a module of Hammurabi whose dotted path ends with a
    prefix of the name, then attributes (``repository.enforce``, ``Law.enforce`` by class)."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        head, rest = ".".join(parts[:cut]), parts[cut:]
        for module_name, module in modules.items():
            if module_name in (head, f"hammurabi.{head}") or module_name.endswith(f".{head}"):
                found: object = module
            elif cut == 1 and hasattr(module, head):
                found = getattr(module, head)
            else:
                continue
            for attr in rest:
                found = getattr(found, attr, None)
            if found is not None:
                return True
    return False


def test_architecture_md_names_what_exists() -> None:
    """ARCHITECTURE.md stays true: its layers are the contract's, in its order, and every
    file and every dotted name it cites exists."""
    import importlib
    import pkgutil
    import re
    import tomllib

    import hammurabi

    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = next(
        c["layers"] for c in contract["tool"]["importlinter"]["contracts"] if c["id"] == "layers"
    )
    order = " > ".join(f"`{layer.removeprefix('hammurabi.')}`" for layer in layers[1:])
    assert order in " ".join(text.split()), order
    modules = {
        info.name: importlib.import_module(info.name)
        for info in pkgutil.walk_packages(hammurabi.__path__, "hammurabi.")
        if not info.name.endswith("__main__")
    }
    cited = set(re.findall(r"`([^`\s]+)`", text))
    files = {c for c in cited if re.fullmatch(r"[\w/]+(\.py|/)", c)}
    missing = [
        f
        for f in files
        if not any((ROOT / base / f).exists() for base in ("", "hammurabi"))
        and not list(ROOT.glob(f"hammurabi/**/{f}"))
    ]
    assert not missing, missing
    names = {c.split("(")[0] for c in cited if re.fullmatch(r"[A-Za-z_]\w*(\.\w+)+(\(.*\))?", c)}
    names -= {c for c in names if c.endswith((".py", ".toml", ".md"))}
    unknown = sorted(n for n in names if not _resolves(n, modules))
    assert not unknown, unknown
