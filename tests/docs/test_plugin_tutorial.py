"""The plugin tutorial's package (examples/plugin-tutorial), installed and run as a user would.

It is installed with uv into a virtual environment of its own, which sees the Hammurabi
under test through a ``.pth`` file (so only the tutorial's package is installed here), and
driven through that environment's ``hammurabi`` command on a real git repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.docs.helpers import ROOT
from tests.gitrepos import GIT_ENV, git, init_repo

TUTORIAL = ROOT / "examples" / "plugin-tutorial"


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAMMURABI_", "GITHUB_"))}
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env | GIT_ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with the tutorial's package installed by uv."""
    uv = os.environ.get("TESTS_UV") or shutil.which("uv")  # nox sets TESTS_UV
    assert uv and Path(uv).exists(), "uv is needed to install the tutorial package (TESTS_UV)"
    where = tmp_path_factory.mktemp("tutorial") / "venv"
    made = _run(uv, "venv", "--quiet", "--python", sys.executable, where)
    assert made.returncode == 0, made.stderr
    python = where / "bin" / "python"
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
    # Hammurabi itself and its dependencies: those of the environment under test (a site
    # directory, so that its editable installs' own .pth files work too).
    under_test = sysconfig.get_path("purelib")
    Path(site.stdout.strip(), "hammurabi-under-test.pth").write_text(
        f"import site; site.addsitedir({under_test!r})\n"
    )
    installed = _run(uv, "pip", "install", "--quiet", "--python", python, "--no-deps", TUTORIAL)
    assert installed.returncode == 0, installed.stderr
    return where


def _hammurabi(
    venv: Path, *args: str | Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return _run(venv / "bin" / "python", "-m", "hammurabi", *args, cwd=cwd)


def test_the_plugin_is_found_through_its_entry_point(venv: Path) -> None:
    plugins = json.loads(_hammurabi(venv, "plugins", "--format", "json").stdout)
    (tutorial,) = [p for p in plugins if p["name"] == "tutorial"]
    assert tutorial["distribution"] == "hammurabi-tutorial"
    assert set(tutorial["hooks"]) == {
        "hammurabi_rule_types",
        "hammurabi_precondition_types",
        "hammurabi_laws",
    }
    rules = {r["id"]: r for r in json.loads(_hammurabi(venv, "rules", "--format", "json").stdout)}
    assert [a["name"] for a in rules["header-exists"]["arguments"]][:3] == [
        "name",
        "path",
        "header",
    ]
    assert rules["header-exists"]["summary"].startswith("Ensure a file starts with")
    conditions = json.loads(_hammurabi(venv, "preconditions", "--format", "json").stdout)
    assert "has-file-matching" in {p["id"] for p in conditions}


def test_the_tutorial_law_file_makes_one_commit_on_the_bot_branch(
    venv: Path, tmp_path: Path
) -> None:
    files = {
        "app.py": "print('hello')\n",
        "bin/deploy": "#!/bin/sh\necho deploying\n",
        "README.md": "# widgets\n",
    }
    repo = init_repo(tmp_path / "widgets", files)
    laws = TUTORIAL / "laws.yml"
    check = _hammurabi(venv, "check", repo, "--laws", laws)
    assert check.returncode == 3, check.stderr
    assert "+# SPDX-License-Identifier: MIT" in check.stdout
    enforce = _hammurabi(venv, "enforce", repo, "--laws", laws, "--format", "json")
    assert enforce.returncode == 0, enforce.stderr
    assert json.loads(enforce.stdout)["status"] == "branch-created"
    assert git("log", "--format=%s", "main..hammurabi/laws", cwd=repo) == "Licence headers"
    show = git("show", "hammurabi/laws:bin/deploy", cwd=repo)
    assert show == "#!/bin/sh\n# SPDX-License-Identifier: MIT\necho deploying"
    assert git("show", "hammurabi/laws:app.py", cwd=repo).startswith("# SPDX-License-Identifier")
    again = _hammurabi(venv, "enforce", repo, "--laws", laws, "--format", "json")
    assert json.loads(again.stdout)["status"] == "up-to-date"


def test_the_precondition_skips_a_repository_without_python(venv: Path, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "docs-only", {"README.md": "# docs\n"})
    result = _hammurabi(venv, "enforce", repo, "--laws", TUTORIAL / "laws.yml", "--format", "json")
    assert result.returncode == 0, result.stderr
    (law,) = json.loads(result.stdout)["laws"]
    assert law["outcome"] == "skipped"


def test_the_plugins_law_runs_by_default_and_a_bad_argument_is_one_line(
    venv: Path, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "svc", {"main.py": "#!/usr/bin/env python\nmain()\n"})
    result = _hammurabi(venv, "enforce", repo, "--no-git", "--select", "Licence headers")
    assert result.returncode == 0, result.stderr
    assert (repo / "main.py").read_text() == (
        "#!/usr/bin/env python\n# SPDX-License-Identifier: Apache-2.0\nmain()\n"
    )
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "laws:\n  - name: x\n    description: x\n    rules:\n"
        "      - header-exists: {path: main.py, header: ''}\n"
    )
    failed = _hammurabi(venv, "enforce", repo, "--laws", broken)
    assert failed.returncode == 2
    assert failed.stderr.strip().splitlines() == [
        f"hammurabi: error: {broken}:5: rule 'header-exists': "
        "rule 'header-exists main.py': header must be a non-empty string"
    ]


def test_the_tutorials_own_tests_pass(venv: Path) -> None:
    """The tests the tutorial shows, run with the installed package."""
    tests = TUTORIAL / "tests"
    python = venv / "bin" / "python"
    result = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", tests, cwd=TUTORIAL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
