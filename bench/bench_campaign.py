"""GitHub REST requests per repository in a campaign, counted by the GitHub stand-in.

Prints figures (it is not a test). A fleet of generated repositories on the stand-in of the
test suite (real PyGithub, real git over smart HTTP) goes through a campaign with the real
command line, ``python -m hammurabi enforce --repos FILE``:

1. the first run: every repository but the compliant ones gets a pull request;
2. CI reports on the pull requests (a status and a check run each), some are approved, some
   merged, one closed by a reviewer;
3. a second run reads every pull request's new state;
4. a third run, nothing changed.

For each run it prints the REST requests per repository (median and most) the stand-in
answered, split into reads and writes and by the repository's stage, and how many of them
read the pull request's state (the pull request, its reviews, the head's combined status
and check runs); the ratio all / (all - state reads) is what recording a campaign costs.
Then the fleet-wide reads: the GraphQL queries that read every repository's bot pull
requests at once, and the points they cost (GraphQL's own rate limit, 5,000 points an hour).
``--rest`` turns the GraphQL reads off (``github.graphql_batch = 0``): every repository reads
through REST, the state conditionally (``304`` costs no quota), as before GraphQL.
Request counts are deterministic: one round is enough (``--rounds`` repeats it on fresh
repositories and takes the median).

    python bench/bench_campaign.py [--repos 40] [--rounds 1] [--rest]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn
from tests.gitrepos import GIT_ENV, LAWS

OWNER = "camp"
REPO_PATH = re.compile(r"^/repos/([^/]+/[^/]+)")
STATE_READ = re.compile(r"/pulls/\d+(/reviews)?$|/commits/[^/]+/(status|check-runs)$")


def layout(index: int) -> dict[str, str]:
    if index % 5 == 1:
        return {".gitignore": "__pycache__/\n", "app.py": "DEBUG = False\n"}  # compliant
    return {"app.py": "DEBUG = True\n", "README.md": f"# service {index}\n"}


def enforce(scratch: Path, env: dict[str, str], listing: Path, branch: str) -> dict[str, Any]:
    report = scratch / "report.json"
    argv = [sys.executable, "-m", "hammurabi", "enforce", str(scratch), "--repos", str(listing)]
    argv += ["--laws", str(scratch / "laws.yml"), "-p", "python", "--branch", branch]
    argv += ["--cache", str(scratch / "cache"), "--quiet", "--report", f"json={report}"]
    done = subprocess.run(argv, cwd=scratch, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"hammurabi exited {done.returncode}:\n{done.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(report.read_text())
    return data


def per_repo(server: GitHubStandIn) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for request in server.requests:
        match = REPO_PATH.match(request.path) if request.api else None
        if match:
            kind = "read" if request.method in ("GET", "HEAD") else "write"
            counts[match[1]][kind] += 1
            if request.status == 304:
                counts[match[1]]["free"] += 1
            if kind == "read" and STATE_READ.search(request.path):
                counts[match[1]]["state"] += 1
    return counts


def shape(server: GitHubStandIn, names: list[str]) -> None:
    """CI and reviewers act on the open pull requests."""
    for i, name in enumerate(names):
        pulls = server.pulls(name, "open")
        if not pulls:
            continue
        number, sha = pulls[0]["number"], pulls[0]["head"]["sha"]
        server.set_status(name, sha, "ci", "failure" if i % 7 == 3 else "success")
        server.set_check_run(name, sha, "tests", "completed", "success")
        if i % 4 == 0:
            server.review(name, number, "alice", "APPROVE")
        if i % 9 == 0:
            server.close_pull(name, number)


def summary(counts: dict[str, Counter[str]], stages: dict[str, str]) -> list[str]:
    by_stage: dict[str, list[Counter[str]]] = defaultdict(list)
    for name, stage in stages.items():
        by_stage[stage].append(counts.get(name, Counter()))
    lines = []
    for stage, found in sorted(by_stage.items()):
        total = [c["read"] + c["write"] for c in found]
        reads = [c["read"] for c in found]
        writes = [c["write"] for c in found]
        state = [c["state"] for c in found]
        free = [c["free"] for c in found]
        lines.append(
            f"  {stage:<12} {len(found):>3} repos  requests median {statistics.median(total):>4}"
            f"  max {max(total):>3}  (reads {statistics.median(reads)}, writes "
            f"{statistics.median(writes)}, state reads {statistics.median(state)}, 304 "
            f"{statistics.median(free)})"
        )
    return lines


def fleet_reads(server: GitHubStandIn, repositories: int) -> str:
    """The fleet-wide reads of a run: GraphQL queries, their cost and nodes."""
    queries = server.graphql_queries
    cost = sum(query.cost for query in queries)
    nodes = max((query.nodes for query in queries), default=0)
    return (
        f"  fleet-wide   {len(queries)} GraphQL quer{'y' if len(queries) == 1 else 'ies'}, "
        f"{cost} points ({cost / repositories:.3f} per repository; largest query "
        f"{nodes:,} nodes of 500,000)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--rest", action="store_true", help="REST reads only (no GraphQL)")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="bench-campaign-") as tmp,
        GitHubStandIn(Path(tmp) / "github") as server,
    ):
        scratch = Path(tmp)
        (scratch / "laws.yml").write_text(LAWS)
        server.add_token(DEFAULT_TOKEN)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "HAMMURABI_"))}
        env.update(GIT_ENV)
        env.update(
            HAMMURABI_GITHUB_TOKEN=DEFAULT_TOKEN,
            HAMMURABI_GITHUB_API_URL=server.base_url,
            HAMMURABI_GITHUB_SECONDS_BETWEEN_REQUESTS="0",
            HAMMURABI_GITHUB_SECONDS_BETWEEN_WRITES="0",
            XDG_STATE_HOME=str(scratch / "state"),
            XDG_CACHE_HOME=str(scratch / "xdg-cache"),
        )
        if args.rest:
            env["HAMMURABI_GITHUB_GRAPHQL_BATCH"] = "0"
        ratios: list[float] = []
        per_repository: list[float] = []
        charged: list[float] = []
        points: list[float] = []
        for round_ in range(args.rounds):
            names = [f"{OWNER}/r{round_}-{i:03d}" for i in range(args.repos)]
            for i, name in enumerate(names):
                server.create_repo(name, layout(i), collaborators=["alice"])
            listing = scratch / f"repos-{round_}.txt"
            listing.write_text("".join(f"{name}\n" for name in names))
            branch = f"hammurabi/bench-{round_}"
            server.clear_requests()
            first = enforce(scratch, env, listing, branch)
            if round_ == 0:
                print(f"first run over {args.repos} repositories (opens the pull requests):")
                stages = {r["name"]: r["stage"] for r in first["repos"]}
                print("\n".join(summary(per_repo(server), stages)))
                print(fleet_reads(server, len(names)))
            shape(server, names)
            server.clear_requests()
            second = enforce(scratch, env, listing, branch)
            counts = per_repo(server)
            queries = len(server.graphql_queries)  # fleet-wide: no repository's own
            total = sum(c["read"] + c["write"] for c in counts.values()) + queries
            state = sum(c["state"] for c in counts.values())
            ratios.append(total / max(1, total - state - queries))
            per_repository.append(total / len(names))
            if round_ == 0:
                print("second run (CI reported; some approved, merged or closed):")
                stages = {r["name"]: r["stage"] for r in second["repos"]}
                print("\n".join(summary(counts, stages)))
                print(fleet_reads(server, len(names)))
            points.append(sum(q.cost for q in server.graphql_queries) / len(names))
            server.clear_requests()
            third = enforce(scratch, env, listing, branch)
            again = per_repo(server)
            spent = sum(c["read"] + c["write"] - c["free"] for c in again.values())
            charged.append(spent / len(names))
            if round_ == 0:
                print("third run (nothing changed; REST reads are conditional, 304 is free):")
                stages = {r["name"]: r["stage"] for r in third["repos"]}
                print("\n".join(summary(again, stages)))
                print(fleet_reads(server, len(names)))
        print(
            f"second run: {statistics.median(per_repository):.2f} requests per repository "
            "(REST, and GraphQL queries shared out); "
            f"with the state reads / without them: {statistics.median(ratios):.2f}"
            f" (median of {args.rounds} round(s)); third run, nothing changed: "
            f"{statistics.median(charged):.2f} REST requests per repository counted against the"
            " REST rate limit; GraphQL points per repository (second run): "
            f"{statistics.median(points):.3f}"
        )


if __name__ == "__main__":
    main()
