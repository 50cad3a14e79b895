"""Development tasks. ``nox -s demo`` runs the main job, ``nox -s tests`` the whole suite."""

from __future__ import annotations

import nox

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
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style with ruff (lint rules and formatting)."""
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


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
    scripts = session.posargs or sorted(
        str(p) for p in __import__("pathlib").Path("bench").glob("bench_*.py")
    )
    for script in scripts:
        session.run("python", script)
