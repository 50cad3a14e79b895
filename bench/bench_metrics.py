"""Metrics benchmarks against a real QuestDB and the GitHub stand-in (both started here).

1. The real job (goal: ratio <= 1.05): ``hammurabi enforce`` of one repository as a process:
   a clone of a stand-in repository, two laws, the bot branch pushed over smart HTTP and a
   pull request opened with PyGithub. Variants: metrics off (the baseline) and metrics on
   (rows spooled and sent to QuestDB as the run ends).
2. A fleet (goal: <= 1.02 per repository): ``hammurabi enforce --repos`` over 100 stand-in
   repositories (``--jobs 4``), metrics off and on.
3. The metrics part of one run end, timed inside fresh processes that loaded what the real
   job loads (PyGithub, the CLI): importing the metrics modules, spooling the run's rows,
   sending them after the output and closing the spool. On a busy machine the whole-process
   ratios above scatter widely; this figure does not depend on the rest of the job, and its
   share of the job's median (metrics off) estimates the overhead.
4. Backfill: spool N rows of realistic runs, replay them (``hammurabi metrics flush``);
   rows/s until QuestDB acknowledged them.

Every round runs each variant once, in an order that alternates between rounds, on fresh
work: a new bot branch (so a new push and a new pull request) of a fresh clone. Printed, for
the wall time and for the CPU time of the job's processes (on a machine busy with other
work, the wall time varies much more): the medians with the fastest and slowest run, their
ratio to the baseline, and the median, fastest and slowest of the rounds' own ratios (less
sensitive to the machine's speed drifting). Each variant's first run is not timed.

With two CPUs or more, the servers (QuestDB, and the stand-in in this process) run on the
last CPU and the job on the others, as GitHub and QuestDB run on machines of their own; the
real job is also timed on every CPU, shared with the servers. The spools stay on disk.

Run: ``python bench/bench_metrics.py`` (``--help`` for options). Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hammurabi.core.records import PullAction, PullRequestRecord, PullSummary  # noqa: E402
from hammurabi.core.results import FileChange, LawResult, Outcome, RuleResult, RunResult  # noqa: E402
from hammurabi.integrations import git as gitops  # noqa: E402
from hammurabi.integrations.metrics.config import MetricsConfig  # noqa: E402
from hammurabi.integrations.metrics.questdb import QuestDB  # noqa: E402
from hammurabi.integrations.metrics.rows import run_rows  # noqa: E402
from hammurabi.integrations.metrics.schema import Row, validate  # noqa: E402
from hammurabi.integrations.metrics.spool import Spool  # noqa: E402
from hammurabi.loading.settings import MetricsSettings  # noqa: E402
from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn  # noqa: E402
from tests.gitrepos import GIT_ENV, LAWS  # noqa: E402
from tests.questdb_server import QuestDBServer, install  # noqa: E402

FILES = {"app.py": "DEBUG = True\n", "README.md": "# service\n"}
OUTCOMES = [Outcome.UNCHANGED] * 6 + [Outcome.CHANGED] * 3 + [Outcome.FAILED, Outcome.SKIPPED]
#: Wall time, CPU time of the job's processes, CPU time of QuestDB (seconds).
Times = tuple[float, float, float]


class Bench:
    """The servers, an environment for the CLI, and fresh work for each run."""

    def __init__(self, hub: GitHubStandIn, server: QuestDBServer, tmp: Path, cpus: set[int]):
        self.hub, self.server, self.tmp = hub, server, tmp
        self.cpus = cpus  #: where the job runs
        self.laws = tmp / "laws.yml"
        self.laws.write_text(LAWS)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "HAMMURABI_"))}
        self.env.update(GIT_ENV)
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as an installed tool's
        self.env.update(
            PYTHONPATH=str(ROOT),  # this tree's hammurabi, wherever it is installed from
            PYTHONPYCACHEPREFIX=str(tmp / "pycache"),
            XDG_STATE_HOME=str(tmp / "state"),  # the spool, on disk
            HAMMURABI_GITHUB_TOKEN=DEFAULT_TOKEN,
            HAMMURABI_GITHUB_API_URL=hub.base_url,
            HAMMURABI_GITHUB_SECONDS_BETWEEN_REQUESTS="0",
            HAMMURABI_GITHUB_SECONDS_BETWEEN_WRITES="0",
        )
        self.count = 0

    def command(self, variant: str, *args: str) -> list[str]:
        metrics = [] if variant == "off" else ["--metrics", self.server.conf]
        args += ("--laws", str(self.laws), "-p", "python")
        return [sys.executable, "-m", "hammurabi", "enforce", *args, *metrics]

    def questdb_cpu(self) -> float:
        """CPU seconds the QuestDB server used so far."""
        assert self.server._proc is not None
        stat = Path(f"/proc/{self.server._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    def time(self, argv: list[str]) -> Times:
        """Run ``argv``; return its wall time, the CPU time of its processes (a machine busy
        with other work slows the first much more than the second), and QuestDB's."""
        os.sync()  # the preparation's writes are not the run's
        server = self.questdb_cpu()
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            started = time.perf_counter()
            proc = subprocess.Popen(
                argv,
                cwd=self.tmp,
                env=self.env,
                stdout=out,
                stderr=err,
                preexec_fn=lambda: os.sched_setaffinity(0, self.cpus),
            )
            _, status, usage = os.wait4(proc.pid, 0)  # its processes' CPU time too
            elapsed = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0), err.seek(0)
            output, errors = out.read(), err.read()
        assert proc.returncode == 0, output[-2000:] + errors[-2000:]
        assert "metrics:" not in errors, errors  # nothing refused or kept
        return elapsed, usage.ru_utime + usage.ru_stime, self.questdb_cpu() - server

    def job(self, variant: str) -> Times:
        """Enforce on a fresh clone of one stand-in repository: push, pull request."""
        self.count += 1
        clone = self.tmp / "job" / f"clone-{self.count}"
        credentials = gitops.Credentials("x-access-token", DEFAULT_TOKEN)
        gitops.clone(self.hub.clone_url("acme/job", token=None), clone, credentials=credentials)
        branch = f"bench/job-{self.count}"
        return self.time(self.command(variant, str(clone), "--branch", branch))

    def fleet(self, variant: str, listing: Path, jobs: int) -> Times:
        """Enforce over the fleet with a fresh cache and bot branch; seconds per repository."""
        self.count += 1
        cache = self.tmp / "fleet" / f"cache-{self.count}"
        args = ["--repos", str(listing), "--cache", str(cache), "--jobs", str(jobs)]
        args += ["--branch", f"bench/fleet-{self.count}", "--quiet"]
        repos = len(listing.read_text().split())
        wall, cpu, server = self.time(self.command(variant, str(self.tmp), *args))
        return wall / repos, cpu / repos, server / repos


def rounds(title: str, count: int, variants: list[str], once: Callable[[str], Times]) -> float:
    """Time ``once(variant)`` for every variant in ``count`` rounds, alternating the order;
    print the wall and CPU times' medians and ratios to the first variant's, and how much CPU
    QuestDB used (on the servers' CPU, which the stand-in shares)."""
    for variant in variants:
        once(variant)
    times: dict[str, list[Times]] = {variant: [] for variant in variants}
    for i in range(count):
        for variant in variants if i % 2 == 0 else variants[::-1]:
            times[variant].append(once(variant))
    print(f"{title}; medians of {count} rounds [fastest, slowest]")
    for kind, index in (("wall", 0), ("CPU", 1)):
        base = [pair[index] for pair in times[variants[0]]]
        low = statistics.median(base)
        for variant in variants:
            mine = [pair[index] for pair in times[variant]]
            median = statistics.median(mine)
            paired = [b / a for a, b in zip(base, mine, strict=True)]
            print(
                f"  {kind:<4} {variant:<4} {median * 1000:8.1f} ms"
                f" [{min(mine) * 1000:.1f}, {max(mine) * 1000:.1f}]"
                f"   ratio {median / low:.3f} ({(median - low) * 1000:+.1f} ms)"
                f"   paired ratio {statistics.median(paired):.3f}"
                f" [{min(paired):.3f}, {max(paired):.3f}]"
            )
    server = (f"{v} {statistics.median(t[2] for t in times[v]) * 1000:.1f} ms" for v in variants)
    print(f"  QuestDB's CPU time meanwhile: {', '.join(server)}")
    paired = [b[0] / a[0] for a, b in zip(times[variants[0]], times[variants[-1]], strict=True)]
    print(
        f"  => {variants[-1]}/{variants[0]} wall, median of paired ratios:"
        f" {statistics.median(paired):.3f}"
    )
    return statistics.median(t[0] for t in times[variants[0]])


# ----------------------------------------------------------------------------- run end

RUN_END = """
import json, sys, time
import github, hammurabi.cli.main, hammurabi.orchestration.repository  # what the real job
import hammurabi.orchestration.branch, hammurabi.integrations.forges.github  # has loaded
from hammurabi.core.results import LawResult, Outcome, RuleResult, RunResult
from hammurabi.loading.settings import MetricsSettings
from datetime import datetime, UTC
now = datetime.now(UTC)
rules = [RuleResult(law="l", rule=f"r{i}", rule_id="line-exists", outcome=Outcome.CHANGED,
                    started_at=now, duration=0.001) for i in range(2)]
result = RunResult(root="/x/job", run_id=sys.argv[2], version="1", repo="acme/job",
                   laws=[LawResult("l", "d", rules, started_at=now)], started_at=now, duration=0.5)
times = {}
t0 = time.perf_counter()
from hammurabi.integrations.metrics.config import MetricsConfig
from hammurabi.integrations.metrics.plugin import MetricsPlugin
config = MetricsConfig.from_settings(MetricsSettings(conf=sys.argv[1], spool=sys.argv[3]))
plugin = MetricsPlugin()
plugin.send_later = True  # as the CLI: rows spooled as the run ends, sent after the output
t1 = time.perf_counter()
plugin.record(result, config)
t2 = time.perf_counter()
report = plugin.flush()
t3 = time.perf_counter()
plugin._close()
t4 = time.perf_counter()
assert report is not None and report.ok, report
print(json.dumps({"import": t1 - t0, "spool": t2 - t1, "send": t3 - t2, "close": t4 - t3}))
"""


def run_end(server: QuestDBServer, tmp: Path, env: dict[str, str], count: int, job: float) -> None:
    """Time the metrics part of a run end in ``count`` fresh processes; print the medians and
    the total's share of ``job`` seconds (the real job's median with metrics off)."""
    spool = tmp / "run-end.sqlite3"
    argv = [sys.executable, "-c", RUN_END, server.conf]
    parts: dict[str, list[float]] = {}
    for i in range(count + 1):  # the first one writes the bytecode and makes the tables
        out = subprocess.run(
            [*argv, f"run-end-{i}", str(spool)], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr[-2000:]
        if i:
            for name, seconds in json.loads(out.stdout).items():
                parts.setdefault(name, []).append(seconds)
            parts.setdefault("total", []).append(sum(json.loads(out.stdout).values()))
    shown = ", ".join(f"{k} {statistics.median(v) * 1000:.1f} ms" for k, v in parts.items())
    total = statistics.median(parts["total"])
    print(f"the metrics part of a run end, medians of {count} processes: {shown}")
    if job:
        print(
            f"  {total * 1000:.1f} ms of the real job's {job * 1000:.0f} ms (metrics off):"
            f" overhead {total / job:.1%} (goal: at most 5%)"
        )


# ----------------------------------------------------------------------------- backfill


def synthetic_rows(count: int, seed: int = 5) -> list[Row]:
    """Return about ``count`` validated rows of runs of 20 rules over 500 repositories."""
    rnd = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[Row] = []
    n = 0
    while len(rows) < count:
        at = start + timedelta(seconds=37 * n)
        rules = []
        for i in range(20):
            outcome = rnd.choice(OUTCOMES)
            rules.append(
                RuleResult(
                    law="bench",
                    rule=f"rule {i:02d}",
                    rule_id="line-replaced",
                    outcome=outcome,
                    changes=[FileChange(f"f{i}.py", "modified", "")]
                    if outcome is Outcome.CHANGED
                    else [],
                    started_at=at + timedelta(milliseconds=3 * i),
                    duration=rnd.uniform(0.0005, 0.02),
                    error="boom: the file could not be parsed"
                    if outcome is Outcome.FAILED
                    else None,
                    reason="precondition not met" if outcome is Outcome.SKIPPED else None,
                )
            )
        result = RunResult(
            root=f"/work/repo-{n % 500}",
            run_id=f"run-{n:08d}",
            version="1.0.0",
            repo=f"org/repo-{n % 500:03d}",
            laws=[LawResult("bench", "20 rules", rules, weight=1.0, started_at=at)],
            started_at=at,
            duration=0.08,
        )
        number, repo = 1000 + n % 500, f"org/repo-{n % 500:03d}"
        url = f"https://github.example/{repo}/pull/{number}"
        pull = PullSummary(number, url, "open", at - timedelta(days=3))
        result.pull_request = PullRequestRecord("github", repo, PullAction.UPDATED, pull=pull)
        rows.extend(validate(row) for row in run_rows(result))
        n += 1
    return rows[:count]


def backfill(server: QuestDBServer, count: int, tmp: Path, replays: int) -> None:
    """Spool ``count`` rows and replay them into fresh tables, ``replays`` times; print rows/s
    (the first replay also times the server's JVM compiling its ingestion code)."""
    rows = synthetic_rows(count)
    config = MetricsConfig.from_settings(
        MetricsSettings(conf=server.conf, spool=str(tmp / "backfill.sqlite3"))
    )
    figures = []
    questdb = QuestDB(config)
    for _ in range(replays + 1):
        for table in {row.table for row in rows}:
            questdb.exec(f"DROP TABLE IF EXISTS {table}")
        questdb.ensure_tables(0)
        with Spool(config.spool) as spool:
            for i in range(0, len(rows), 1000):  # as runs would: many small appends
                spool.append(rows[i : i + 1000])
            started = time.perf_counter()
            report = spool.ship(questdb)
            figures.append(count / (time.perf_counter() - started))
        assert report.ok and report.sent == count, report
    print(f"backfill: {count:,} rows spooled, then replayed into QuestDB (`metrics flush`)")
    print(f"  first replay {figures[0]:10,.0f} rows/s acknowledged")
    print(f"  next {replays}       {statistics.median(figures[1:]):10,.0f} rows/s (median)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds of the real job")
    parser.add_argument("--fleet-rounds", type=int, default=5, help="rounds of the fleet")
    parser.add_argument("--fleet", type=int, default=100, help="repositories in the fleet")
    parser.add_argument("--jobs", type=int, default=4, help="the fleet's --jobs")
    parser.add_argument("--rows", type=int, default=200_000, help="rows to backfill (0: skip)")
    parser.add_argument("--run-ends", type=int, default=30, help="timed run ends (0: skip)")
    parser.add_argument("--replays", type=int, default=3, help="timed backfill replays")
    args = parser.parse_args(argv)
    install()
    every = sorted(os.sched_getaffinity(0))
    servers, job = {every[-1]}, set(every[:-1] or every)
    with (
        tempfile.TemporaryDirectory(prefix="bench-metrics-") as tmp,
        QuestDBServer(full_jit=True) as server,
        GitHubStandIn(Path(tmp) / "github", rate_limit=10**9) as hub,
    ):
        assert server._proc is not None
        for task in Path(f"/proc/{server._proc.pid}/task").iterdir():
            with contextlib.suppress(OSError):  # a thread that ended meanwhile
                os.sched_setaffinity(int(task.name), servers)
        os.sched_setaffinity(0, servers)  # this process runs the stand-in
        hub.add_token(DEFAULT_TOKEN)
        bench = Bench(hub, server, Path(tmp), job)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"QuestDB {server.version}; {len(every)} CPUs (load {load});"
            f" servers on CPU {sorted(servers)}, the job on CPU {sorted(job)}"
        )
        job_off = 0.0
        if args.rounds:
            hub.create_repo("acme/job", FILES)
            for cpus in (job, set(every)) if job != set(every) else (job,):
                bench.cpus = cpus
                median = rounds(
                    "the real job: enforce one repository, push, open a pull request,"
                    f" on CPU {sorted(cpus)}",
                    args.rounds,
                    ["off", "on"],
                    bench.job,
                )
                job_off = job_off or median  # on the job's own CPU first
            bench.cpus = job
        if args.fleet_rounds:
            names = [f"acme/svc-{i:03d}" for i in range(args.fleet)]
            for name in names:
                hub.create_repo(name, FILES)
            listing = Path(tmp) / "repos.txt"
            listing.write_text("".join(f"{name}\n" for name in names))
            rounds(
                f"a fleet of {args.fleet} repositories (--jobs {args.jobs}), per repository",
                args.fleet_rounds,
                ["off", "on"],
                lambda variant: bench.fleet(variant, listing, args.jobs),
            )
        if args.run_ends:
            os.sched_setaffinity(0, job)
            run_end(server, Path(tmp), bench.env, args.run_ends, job_off)
        if args.rows:
            os.sched_setaffinity(0, job)
            backfill(server, args.rows, Path(tmp), args.replays)


if __name__ == "__main__":
    main()
