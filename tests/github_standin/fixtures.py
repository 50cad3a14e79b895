"""Pytest fixtures for the GitHub stand-in server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from github import Auth, Github, GithubRetry

from .server import DEFAULT_TOKEN, GitHubStandIn


def standin_retry() -> GithubRetry:
    """Return a GithubRetry that retries 5xx and rate limits quickly (for tests)."""
    return GithubRetry(total=3, backoff_factor=0.05, secondary_rate_wait=1, max_rate_limit_wait=5)


@pytest.fixture
def github_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubStandIn]:
    """Run a fresh GitHub stand-in for one test; ``DEFAULT_TOKEN`` is accepted as hammurabi-bot.

    The answers Hammurabi keeps for conditional requests go to the test's own cache folder."""
    if not os.environ.get("XDG_CACHE_HOME", "").startswith(str(tmp_path)):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    with GitHubStandIn(tmp_path / "github") as server:
        server.add_token(DEFAULT_TOKEN)
        yield server


@pytest.fixture
def github_client(github_server: GitHubStandIn) -> Iterator[Github]:
    """Return a real PyGithub client for ``github_server``: no throttling, quick retries."""
    client = Github(
        base_url=github_server.base_url,
        auth=Auth.Token(DEFAULT_TOKEN),
        seconds_between_requests=None,
        seconds_between_writes=None,
        retry=standin_retry(),
    )
    yield client
    client.close()
