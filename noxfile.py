"""Development tasks. ``nox -s demo`` runs the main job, ``nox -s tests`` the whole suite."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nox

HERE = Path(__file__).resolve().parent

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests"]

PACKAGES = ("-e", ".", "-e", "plugins/hammurabi-python")


@nox.session
def demo(session: nox.Session) -> None:
    """Enforce the example laws on a fresh copy of the bundled demo service (offline)."""
    session.install(*PACKAGES)
    session.run("python", "examples/run_demo.py", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite, installing what it needs first (QuestDB, Java, Chromium)."""
    session.run("bash", ".ci/system-deps", external=True)
    session.install("-e", ".[test]", "-e", "plugins/hammurabi-python")
    session.run("python", "tests/questdb_server.py", "install")
    # The plugin tutorial's test installs its package with the uv that runs nox.
    session.env["TESTS_UV"] = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    session.run("pytest", *session.posargs)


@nox.session
def wheels(session: nox.Session) -> None:
    """Build the wheels of Hammurabi and its plugin, install them into a clean venv, run the CLI."""
    out = Path(session.create_tmp()).resolve() / "dist"
    shutil.rmtree(out, ignore_errors=True)
    for project in (".", "plugins/hammurabi-python"):
        session.run("uv", "build", "--quiet", "--wheel", "--out-dir", str(out), project)
    session.install(*sorted(str(wheel) for wheel in out.glob("*.whl")))
    session.run("hammurabi", "--version")
    session.run("hammurabi", "plugins")
    # The main job, run by the installed wheels (from outside the source tree).
    session.chdir(out)
    session.run("python", str(HERE / "examples" / "run_demo.py"), str(out / "demo-output"))


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with MkDocs (strict: a warning, such as a broken link, fails).

    The law-file reference, exit codes, outcomes and settings are generated from the code
    of the installed packages (``docs/_gen``); ``-- serve`` previews the site instead.
    """
    session.install("-e", ".[docs]", "-e", "plugins/hammurabi-python")
    session.env["NO_MKDOCS_2_WARNING"] = "1"  # Material's banner about its successor
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:])
    else:
        session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style with ruff (lint rules and formatting) and the layers with import-linter."""
    session.install("ruff==0.17.6", "import-linter>=2.17")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports", "--no-cache")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Check types with mypy."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks under bench/ and print their figures."""
    session.run("bash", ".ci/system-deps", external=True)
    session.install("-e", ".[test]", "-e", "plugins/hammurabi-python")
    scripts = session.posargs or sorted(str(p) for p in Path("bench").glob("bench_*.py"))
    for script in scripts:
        session.run("python", script)
