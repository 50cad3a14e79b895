"""Shared fixtures; the stand-in servers' fixtures live in their own modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hammurabi.core import masking

pytest_plugins = ["tests.github_standin.fixtures", "tests.questdb_fixtures"]


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """Secrets registered for masking are process-wide: each test starts without any."""
    yield
    masking.forget()
