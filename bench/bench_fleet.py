"""A fleet run over 200 generated repositories with 10 laws, against the GitHub stand-in.

Prints figures (it is not a test). Every measured run is the real command line,
``python -m hammurabi enforce --repos FILE ...`` in a child process, against the stand-in
of the test suite running in this process (real git over smart HTTP on loopback, real
PyGithub, request pacing off). Each repository violates all 10 laws, so a cold run clones it,
builds 10 commits, pushes the branch and opens a pull request: the worst case. Every cold run
uses a new bot branch name and an empty clone cache, so each one does the same work.

1. ``--jobs 1, 2, 4`` over 200 repositories: repositories per minute and peak memory (PSS
   of the command and all its processes, sampled every 0.1 s).
2. The same command again with the clones cached and nothing left to change (the daily
   steady state): fetch, rebuild, compare, no push, read-only API.
3. Time per repository at 50, 100 and 200 repositories (best ``--jobs``): it should be flat.
4. ``--remotes path``: the same with local bare repositories as remotes (no pull requests).

The stand-in shares the machine's cores with the run (on GitHub it would not).

    python bench/bench_fleet.py [--repos 200] [--jobs 1,2,4] [--sizes 50,100,200]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn
from tests.gitrepos import GIT_ENV

ROOT = Path(__file__).resolve().parents[1]
LAWS = 10
OWNER = "fleet"


def files(index: int) -> dict[str, str]:
    body = "".join(f"value_{n} = {n}\n" for n in range(20))
    tree = {
        f"pkg/module{i:02d}.py": f'"""Module {i}."""\nDEBUG = True\n{body}' for i in range(LAWS)
    }
    tree["README.md"] = f"# service {index}\n"
    tree[f"src/service_{index % 7}/__init__.py"] = ""
    return tree


def law_file(path: Path) -> Path:
    lines = ["laws:"]
    for i in range(LAWS):
        module = f"pkg/module{i:02d}.py"
        lines += [
            f"  - name: Law {i:02d}",
            f"    description: Module {i} is configured for production.",
            "    rules:",
            f"      - line-replaced: {{name: debug off {i}, path: {module}, "
            "target: '^DEBUG = .*', text: DEBUG = False}",
            f"      - line-exists: {{name: marker {i}, path: {module}, text: '# checked'}}",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


class MemorySampler(threading.Thread):
    """Sample the memory of a process and all its descendants (PSS: shared pages are split
    between the processes sharing them, so forked workers are not counted twice)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.1):
            self.peak_kb = max(self.peak_kb, sum(pss_kb(pid) for pid in tree(self.pid)))

    def stop(self) -> None:
        self._done.set()
        self.join()


def tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    queue += [int(child) for child in handle.read().split()]
        except OSError:
            continue
    return found


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def enforce(
    scratch: Path, listing: Path, laws: Path, *, jobs: int, branch: str, cache: Path, env: dict
) -> dict[str, Any]:
    report = scratch / f"report-{branch.replace('/', '-')}-{jobs}.json"
    argv = [sys.executable, "-m", "hammurabi", "enforce", str(scratch), "--repos", str(listing)]
    argv += ["--laws", str(laws), "-p", "python", "--jobs", str(jobs), "--branch", branch]
    argv += ["--cache", str(cache), "--quiet", "--report", f"json={report}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    sampler = MemorySampler(child.pid)
    sampler.start()
    _, stderr = child.communicate()
    wall = time.perf_counter() - started
    sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after = resource.getrusage(resource.RUSAGE_SELF)
    if child.returncode != 0:
        raise SystemExit(f"hammurabi exited {child.returncode}:\n{stderr[-3000:]}")
    data = json.loads(report.read_text())
    repos = len(data["repos"])
    return {
        "repos": repos,
        "wall": wall,
        "per_minute": repos / wall * 60,
        "per_repo_ms": wall / repos * 1000,
        "peak_mb": sampler.peak_kb / 1024,
        # CPU seconds of the run and every process it started, and of the stand-in's git;
        # and of the stand-in itself (its Python threads, in this process).
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "server_cpu": (server_after.ru_utime - server_before.ru_utime)
        + (server_after.ru_stime - server_before.ru_stime),
        "counts": data["counts"],
    }


def show(label: str, row: dict[str, Any]) -> None:
    counts = row["counts"]
    prs = f"{counts['pr_opened']} opened" if counts.get("pr_opened") else "none opened"
    print(
        f"{label:<32} {row['repos']:>5} {row['wall']:>8.1f} {row['per_minute']:>8.0f} "
        f"{row['per_repo_ms']:>8.0f} {row['cpu']:>7.1f} {row['server_cpu']:>7.1f} "
        f"{row['peak_mb']:>8.0f}  "
        f"changed {counts['changed']}, unchanged {counts['unchanged']}, "
        f"failed {counts['failed']}; PRs {prs}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--jobs", default="1,2,4")
    parser.add_argument("--sizes", default="50,100,200")
    parser.add_argument("--no-path", action="store_true", help="skip the local-remotes run")
    args = parser.parse_args()
    jobs = [int(j) for j in args.jobs.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    os.environ.update(GIT_ENV)
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        scratch = Path(tmp)
        with GitHubStandIn(scratch / "github") as hub:
            hub.add_token(DEFAULT_TOKEN)
            started = time.perf_counter()
            names = [f"{OWNER}/svc-{i:03d}" for i in range(args.repos)]
            for index, name in enumerate(names):
                hub.create_repo(name, files(index))
            print(f"{len(names)} repositories created in {time.perf_counter() - started:.1f} s")
            laws = law_file(scratch / "laws.yml")
            env = {
                **os.environ,
                "HAMMURABI_GITHUB_TOKEN": DEFAULT_TOKEN,
                "HAMMURABI_GITHUB_API_URL": hub.base_url,
                "HAMMURABI_GITHUB_SECONDS_BETWEEN_REQUESTS": "0",
                "HAMMURABI_GITHUB_SECONDS_BETWEEN_WRITES": "0",
                "XDG_STATE_HOME": str(scratch / "state"),
            }

            def listing(count: int, *, paths: bool = False) -> Path:
                path = scratch / f"repos-{count}{'-paths' if paths else ''}.txt"
                chosen = names[:count]
                lines = [str(hub.bare_path(n)) if paths else n for n in chosen]
                path.write_text("\n".join(lines) + "\n")
                return path

            print(f"{os.cpu_count()} CPUs; {LAWS} laws, each repository violates all of them")
            header = (
                f"{'run':<32} {'repos':>5} {'wall s':>8} {'repos/min':>8} {'ms/repo':>8} "
                f"{'cpu s':>7} {'srv cpu':>7} {'peak MB':>8}"
            )
            print(header)
            print("-" * len(header))
            best: tuple[float, int] = (0.0, jobs[0])
            full = listing(args.repos)
            for count in jobs:
                cache = scratch / f"cache-jobs-{count}"
                row = enforce(
                    scratch, full, laws, jobs=count, branch=f"bench/j{count}", cache=cache, env=env
                )
                show(f"cold, --jobs {count}", row)
                best = max(best, (row["per_minute"], count))
            count = best[1]
            row = enforce(
                scratch,
                full,
                laws,
                jobs=count,
                branch=f"bench/j{count}",
                cache=scratch / f"cache-jobs-{count}",
                env=env,
            )
            show(f"warm, nothing to do, --jobs {count}", row)
            for size in sizes:
                row = enforce(
                    scratch,
                    listing(size),
                    laws,
                    jobs=count,
                    branch=f"bench/size{size}",
                    cache=scratch / f"cache-size-{size}",
                    env=env,
                )
                show(f"cold, {size} repos, --jobs {count}", row)
            if not args.no_path:
                row = enforce(
                    scratch,
                    listing(args.repos, paths=True),
                    laws,
                    jobs=count,
                    branch="bench/paths",
                    cache=scratch / "cache-paths",
                    env=env,
                )
                show(f"cold, local remotes, --jobs {count}", row)


if __name__ == "__main__":
    main()
