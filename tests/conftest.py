"""Shared fixtures; the stand-in servers' fixtures live in their own modules."""

from __future__ import annotations

pytest_plugins = ["tests.github_standin.fixtures", "tests.questdb_fixtures"]
