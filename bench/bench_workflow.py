"""A 10-law enforce on one repository, from clone to pull-request update, against the stand-in.

Runs against the GitHub stand-in of the test suite (real PyGithub over HTTP, real git over
smart HTTP), with a generated repository of 500 files:

1. ``clone``  — clone over smart HTTP.
2. ``open``   — first enforce: 10 laws, 10 commits, push, open the pull request.
3. ``again``  — the same enforce again: nothing changed upstream (goal: read requests only,
   no push).
4. ``update`` — one law changed: rebuild, force-push, update the pull request.
5. ``close``  — upstream fixed everything: close the pull request, delete the branch.

Each step's wall time is split into git, rules and API (``RunResult.timings``),
with the API requests it made (reads/writes) and its pushes. The baseline is the same laws
run with git off (``git.enabled = false``, files edited in place): the ratio is what the
branch, commits and pull request cost on top of the rules. API pacing is off here; the
PyGithub default pacing (0.25 s per request, 1 s per write) is added as an estimate.

    python bench/bench_workflow.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hammurabi.core.law import Law
from hammurabi.core.results import RunResult
from hammurabi.integrations import git as gitops
from hammurabi.orchestration import repository as runner
from hammurabi.rules import LineExists, LineReplaced
from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn
from tests.gitrepos import GIT_ENV

REPO = "acme/service"
FILES = 500
LAWS = 10


def files() -> dict[str, str]:
    body = "".join(f"value_{n} = {n}\n" for n in range(30))
    tree = {
        f"pkg{i % 25:02d}/module{i // 25:02d}.py": f'"""Module {i}."""\nDEBUG = True\n{body}'
        for i in range(FILES)
    }
    tree["README.md"] = "# service\n"
    return tree


def laws(variant: str = "") -> list[Law]:
    result = []
    for i in range(LAWS):
        target = f"pkg{i:02d}/module00.py"
        result.append(
            Law(
                name=f"Law {i:02d}",
                description=f"Module {i} is configured for production.",
                rules=[
                    LineReplaced(
                        name=f"debug off {i}",
                        path=target,
                        target=r"^DEBUG = ",
                        text="DEBUG = False",
                    ),
                    LineExists(name=f"marker {i}", path=target, text=f"# checked{variant}"),
                ],
            )
        )
    return result


def session(root: Path, server: GitHubStandIn, law_set: list[Law], **git: Any) -> runner.Session:
    overrides = {
        "github": {
            "token": DEFAULT_TOKEN,
            "api_url": server.base_url,
            "seconds_between_requests": 0,
            "seconds_between_writes": 0,
        },
        "git": git,
    }
    prepared = runner.prepare(root, overrides=overrides, env={}, load=False)
    prepared.laws = law_set
    return prepared


def requests(server: GitHubStandIn) -> dict[str, int]:
    api = [r for r in server.requests if r.api]
    return {
        "reads": sum(r.method in ("GET", "HEAD") for r in api),
        "writes": sum(r.method not in ("GET", "HEAD") for r in api),
        "pushes": len(server.requests_matching("POST", r"git-receive-pack$")),
    }


def step(server: GitHubStandIn, action: Callable[[], RunResult | None]) -> dict[str, Any]:
    server.clear_requests()
    started = time.perf_counter()
    result = action()
    wall = time.perf_counter() - started
    records = result.records() if result else {}
    timings = records.get("timings", {})
    pull = records.get("pull_request") or {}
    git = records.get("git") or {}
    if result is not None and result.error:
        raise SystemExit(f"run failed: {result.error}")
    return {
        "wall": wall,
        "git": timings.get("git", wall if result is None else 0.0),
        "rules": timings.get("rules", 0.0),
        "api": timings.get("api", 0.0),
        "pr": pull.get("action", "-"),
        "branch": git.get("action", "-"),
        **requests(server),
    }


def one_round(scratch: Path) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    with GitHubStandIn(scratch / "github") as server:
        server.add_token(DEFAULT_TOKEN)
        server.create_repo(REPO, files())
        url = server.clone_url(REPO, token=None)
        checkout = scratch / "service"
        credentials = gitops.Credentials("x-access-token", DEFAULT_TOKEN)

        def clone() -> None:
            gitops.clone(url, checkout, credentials=credentials).close()

        rows["clone"] = step(server, clone)
        first = laws()
        rows["open"] = step(server, lambda: runner.enforce(session(checkout, server, first)))
        rows["again"] = step(server, lambda: runner.enforce(session(checkout, server, first)))
        changed = laws(variant=" again")
        rows["update"] = step(server, lambda: runner.enforce(session(checkout, server, changed)))
        fixed = {
            f"pkg{i:02d}/module00.py": (checkout / f"pkg{i:02d}/module00.py")
            .read_text()
            .replace("DEBUG = True", "DEBUG = False")
            + "# checked again\n"
            for i in range(LAWS)
        }
        server.commit(REPO, "main", fixed, "Fix everything by hand")
        rows["close"] = step(server, lambda: runner.enforce(session(checkout, server, changed)))
        if rows["again"]["writes"] or rows["again"]["pushes"]:
            raise SystemExit(f"the no-change run wrote: {rows['again']}")

        # Baseline: the same laws with git off, on a fresh copy of the original tree.
        plain = scratch / "plain"
        shutil.copytree(checkout, plain, ignore=shutil.ignore_patterns(".git"))
        for path in list(fixed):
            (plain / path).write_text(files()[path])
        started = time.perf_counter()
        runner.enforce(session(plain, server, laws(), enabled=False))
        rows["baseline"] = {"wall": time.perf_counter() - started}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.update(GIT_ENV)
    rounds = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-workflow-") as scratch:
            rounds.append(one_round(Path(scratch)))

    def median(name: str, key: str) -> float:
        return statistics.median(r[name][key] for r in rounds)

    baseline = median("baseline", "wall")
    print(f"{LAWS} laws, {FILES + 1} files, {args.rounds} rounds (medians), pacing off")
    header = (
        f"{'step':<8} {'wall s':>7} {'git s':>7} {'rules s':>8} {'api s':>7} "
        f"{'reads':>5} {'writes':>6} {'pushes':>6} {'x base':>7} {'+pacing s':>9}  branch / PR"
    )
    print(header)
    print("-" * len(header))
    for name in ("clone", "open", "again", "update", "close"):
        row = rounds[-1][name]
        reads, writes = row["reads"], row["writes"]
        pacing = 0.25 * (reads + writes) + 1.0 * writes
        ratio = median(name, "wall") / baseline if name != "clone" else float("nan")
        print(
            f"{name:<8} {median(name, 'wall'):>7.3f} {median(name, 'git'):>7.3f} "
            f"{median(name, 'rules'):>8.3f} {median(name, 'api'):>7.3f} "
            f"{reads:>5} {writes:>6} {row['pushes']:>6} {ratio:>7.1f} {pacing:>9.2f}  "
            f"{row['branch']} / {row['pr']}"
        )
    print(f"baseline (same laws, git off): {baseline:.3f} s")
    again = rounds[-1]["again"]
    verdict = "read-only" if not again["writes"] and not again["pushes"] else "WROTE"
    print(f"no-change re-run: {again['reads']} read request(s), {verdict}")


if __name__ == "__main__":
    main()
