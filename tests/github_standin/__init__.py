"""A stateful GitHub stand-in (REST for PyGithub, git smart HTTP for git) for the test suite."""

from __future__ import annotations

from .faults import Fault, RequestRecord
from .server import DEFAULT_LOGIN, DEFAULT_TOKEN, GitHubStandIn

__all__ = ["DEFAULT_LOGIN", "DEFAULT_TOKEN", "Fault", "GitHubStandIn", "RequestRecord"]
