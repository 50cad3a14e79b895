"""Hammurabi plugin for Python services: ``has-stack`` and two laws."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hammurabi import IsFileExists, IsLineNotExists, Law, LineExists, LineReplaced, hookimpl
from hammurabi.loading.settings import Settings
from hammurabi.preconditions.base import Precondition
from hammurabi_python.preconditions import HasStack

__all__ = ["HasStack", "laws"]

GUNICORN = Path("gunicorn.conf.py")


def laws() -> list[Law]:
    """The plugin's laws, built fresh for each call."""
    python_only = HasStack(stacks=["python"])
    gunicorn = Law(
        name="Gunicorn uses gevent workers",
        description="Python services run gunicorn with gevent workers.",
        preconditions=[HasStack(stacks=["python"]), IsFileExists(path=GUNICORN)],
        rules=(
            LineReplaced(
                name="Worker class is set to gevent",
                path=GUNICORN,
                target=r"^(\s+)?worker_class\ =\ .*",
                text='worker_class = "gevent"',
                if_missing="end",
                preconditions=[
                    IsLineNotExists(path=GUNICORN, criteria=r'^(\s+)?worker_class\ =\ "gevent"')
                ],
            ),
        ),
    )
    ignores = Law(
        name="Python build artifacts are ignored",
        description="Git ignores Python's bytecode caches.",
        preconditions=[python_only],
        rules=(
            LineExists(
                name="__pycache__ ignored", path=".gitignore", text="__pycache__/", create=True
            ),
            LineExists(name="*.pyc ignored", path=".gitignore", text="*.pyc", create=True),
        ),
    )
    return [gunicorn, ignores]


@hookimpl
def hammurabi_precondition_types() -> Iterable[type[Precondition]]:
    return (HasStack,)


@hookimpl
def hammurabi_laws(settings: Settings) -> Iterable[Law]:
    return laws()
