"""The law the tutorial's plugin contributes (the ``plugins`` law source)."""

from __future__ import annotations

from hammurabi import Law
from hammurabi_tutorial.preconditions import HasFileMatching
from hammurabi_tutorial.rules import HeaderExists


def licence_headers() -> Law:
    """Python entry points carry the SPDX licence header."""
    return Law(
        name="Licence headers",
        description="The main module says under which licence it is published.",
        preconditions=[HasFileMatching(pattern="*.py")],
        rules=[
            HeaderExists(
                name="main.py has an SPDX header",
                path="main.py",
                header="# SPDX-License-Identifier: Apache-2.0",
                preconditions=[HasFileMatching(pattern="main.py")],
            )
        ],
    )
