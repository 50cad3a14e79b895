"""What a campaign costs in GitHub REST requests per repository (the stand-in counts them).

Reads stay within GitHub's limits by asking once: one list of the bot branch's pull
requests (open and closed together), the access check only before a push, and the state of
an open pull request conditionally (a ``304`` is not counted against the rate limit).
"""

from __future__ import annotations

import re
from collections import Counter

from hammurabi.core.exitcodes import ExitCode
from tests.fleet.conftest import Fleet

REPO_PATH = re.compile(r"^/repos/([^/]+/[^/]+)")


def requests_per_repo(fleet: Fleet) -> tuple[Counter[str], Counter[str]]:
    """REST requests per repository, and how many of them were answered 304."""
    sent: Counter[str] = Counter()
    free: Counter[str] = Counter()
    for request in fleet.hub.requests:
        match = REPO_PATH.match(request.path) if request.api else None
        if match:
            sent[match[1]] += 1
            free[match[1]] += request.status == 304
    return sent, free


def test_requests_per_repository(fleet: Fleet) -> None:
    include = ["--include", "svc-0[0-5]"]
    code, out, _ = fleet.run(*include)
    assert code == ExitCode.OK, out
    hub = fleet.hub
    (ignored,) = hub.pulls("acme/svc-05", "open")
    hub.close_pull("acme/svc-05", ignored["number"])  # a reviewer says no
    hub.clear_requests()

    code, out, second = fleet.run(*include)
    assert code == ExitCode.OK, out
    stages = {repo["name"]: repo["stage"] for repo in second["repos"]}
    assert (stages["acme/svc-01"], stages["acme/svc-05"]) == ("compliant", "ignored")
    sent, _ = requests_per_repo(fleet)
    # Compliant, or closed by a reviewer: one list of the branch's pull requests, no more.
    assert sent["acme/svc-01"] == sent["acme/svc-05"] == 1, sent
    # An open pull request, nothing to push: the list, then its state (the pull request, its
    # reviews, its head's combined status and check runs).
    assert sent["acme/svc-00"] == 5, sent
    assert sum(sent.values()) == 1 + 1 + 4 * 5

    hub.clear_requests()
    code, out, _ = fleet.run(*include)  # nothing changed: the state reads cost no quota
    assert code == ExitCode.OK, out
    sent, free = requests_per_repo(fleet)
    assert sent["acme/svc-00"] == 5 and free["acme/svc-00"] == 4, (sent, free)
