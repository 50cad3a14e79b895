"""Metrics benchmarks against a real QuestDB (started here via tests/questdb_server.py).

1. Overhead of metrics on an enforce of 20 rules (goal: <= 1.05), with metrics on and off,
   alternating; medians, their ratio, and the median of each round's ratio:
   - ``runner.enforce`` in this process on fresh copies of a generated repository, as a fleet
     runs its repositories: without git (10 runs, then the rows drained; or waiting after
     every run until QuestDB acknowledged its rows, the worst case), and with git (5 runs,
     each a bot branch committed and pushed to its own bare remote, then the drain);
   - whole ``hammurabi enforce`` processes (start-up and the exit drain included): without
     git, with git on one CPU, and with git on every CPU (how CI runs the job).
2. Backfill throughput: spool N rows (default 200,000) of realistic runs, then replay the spool
   into QuestDB (``Spool.ship``, what ``hammurabi metrics flush`` does); rows/s until QuestDB
   acknowledged them (goal: >= 100,000 rows/s), and until every row is visible to queries.
   QuestDB runs with its JIT compiler in full (as a server does; the test suite stops at C1 to
   start faster), and the figure is the median of replays after a first one: that one also
   times the JVM compiling its ingestion code, which a running server has done long ago.

The repositories the runs change (and the CLI's temporary worktrees) live in memory
(``/dev/shm``) where there is such a folder (``--disk`` to keep them on disk): on a virtual
machine with a slow, erratic disk, file creation made identical runs take 1 to 3 seconds,
which hid the effect being measured; in memory the runs are faster, so the same overhead is
a larger share of them. The spool, whose writes are part of the overhead, stays on disk.
The CLI's processes cache their bytecode (in a temporary folder) as an installed tool does,
even where ``PYTHONDONTWRITEBYTECODE`` is set.

With two CPUs or more, QuestDB runs pinned to the last CPU and the benchmark to the others
(``--shared-cpus`` to turn this off): a QuestDB server normally has a machine of its own, and
on a small machine its ingestion work would otherwise be timed as the client's overhead.

Run: ``python bench/bench_metrics.py`` (``--help`` for options). Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench_engine import generate, laws  # noqa: E402

from hammurabi.metrics.config import MetricsConfig  # noqa: E402
from hammurabi.metrics.plugin import plugin as metrics_plugin  # noqa: E402
from hammurabi.metrics.questdb import QuestDBWriter  # noqa: E402
from hammurabi.metrics.read import QuestDBHttp  # noqa: E402
from hammurabi.metrics.rows import Row, run_rows, validate  # noqa: E402
from hammurabi.metrics.spool import Spool  # noqa: E402
from hammurabi.results import FileChange, LawResult, Outcome, RuleResult, RunResult  # noqa: E402
from hammurabi.runner import Session, enforce, prepare  # noqa: E402
from hammurabi.settings import MetricsSettings  # noqa: E402
from tests.gitrepos import git  # noqa: E402
from tests.questdb_server import QuestDBServer, install  # noqa: E402

#: Runs with git (branch, commit, push to a local bare remote) per timed batch, in process.
GIT_RUNS = 5
OUTCOMES = [Outcome.UNCHANGED] * 6 + [Outcome.CHANGED] * 3 + [Outcome.FAILED, Outcome.SKIPPED]


# ----------------------------------------------------------------------------- overhead


def _session(root: Path, overrides: dict[str, object] | None) -> Session:
    session = prepare(root, overrides=overrides, env={}, load=False)
    session.laws = laws()
    return session


def _time_run(session: Session, template: Path, tree: Path, drain: bool) -> float:
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(template, tree)
    started = time.perf_counter()
    result = enforce(session, git=False)
    if drain:
        metrics_plugin.drain()
    elapsed = time.perf_counter() - started
    assert len(result.laws[0].rules) == 20 and not result.error, result.error
    return elapsed


def _time_runs(session: Session, template: Path, trees: list[Path]) -> float:
    """Enforce on each tree in turn, then wait for the metrics: mean seconds per run."""
    for tree in trees:
        if tree.exists():
            shutil.rmtree(tree)
        shutil.copytree(template, tree)
    started = time.perf_counter()
    for tree in trees:
        session.root = tree
        result = enforce(session, git=False)
        assert len(result.laws[0].rules) == 20 and not result.error, result.error
    metrics_plugin.drain()
    return (time.perf_counter() - started) / len(trees)


Pair = tuple[Path, Path]  # a bare remote and a clone of it


def _git_pairs(template: Path, scratch: Path, count: int) -> tuple[list[Pair], list[Pair]]:
    """Return ``count`` pairs for runs with git, and the pristine copies they start from."""
    remote, clone = _git_template(template, scratch)
    used = [(scratch / f"git-remote-{i}.git", scratch / f"git-clone-{i}") for i in range(count)]
    kept = [(scratch / f"git-kept-{i}.git", scratch / f"git-kept-{i}") for i in range(count)]
    for (used_remote, _), (kept_remote, kept_clone) in zip(used, kept, strict=True):
        shutil.copytree(remote, kept_remote, symlinks=True)
        shutil.copytree(clone, kept_clone, symlinks=True)
        git("remote", "set-url", "origin", str(used_remote), cwd=kept_clone)
    return used, kept


def _restore(used: list[Pair], kept: list[Pair]) -> None:
    """Make each used pair a fresh copy of its pristine one."""
    for pair, pristine in zip(used, kept, strict=True):
        for copy, source in zip(pair, pristine, strict=True):
            if copy.exists():
                shutil.rmtree(copy)
            shutil.copytree(source, copy, symlinks=True)


def _time_git_runs(session: Session, used: list[Pair], kept: list[Pair]) -> float:
    """Enforce with git (bot branch, commit, push) on fresh copies of each pair, then wait for
    the metrics: mean seconds per run."""
    _restore(used, kept)
    started = time.perf_counter()
    for _, clone in used:
        session.root = clone
        result = enforce(session)
        assert len(result.laws[0].rules) == 20 and not result.error, result.error
        assert result.extra["git"]["action"] == "created", result.extra["git"]
    metrics_plugin.drain()
    return (time.perf_counter() - started) / len(used)


def _ratio(label: str, times: dict[str, list[float]]) -> None:
    """Print the medians and their ratio, and the median ratio of the rounds' pairs.

    Each round times both, one right after the other: the pairs' ratios are less sensitive
    to the machine's speed drifting over the rounds.
    """
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    paired = statistics.median(b / a for a, b in zip(times["off"], times["on"], strict=True))
    print(
        f"  {label:<52} without {off * 1000:8.2f} ms   with {on * 1000:8.2f} ms"
        f"   ratio {on / off:.3f}   (+{(on - off) * 1000:.2f} ms)   paired ratio {paired:.3f}"
    )


def overhead(server: QuestDBServer, rounds: int, tmp: Path, scratch: Path) -> None:
    """Time enforce with and without metrics, alternating; print medians and ratios.

    Per run: the run returns (metrics are sent by a background thread), as a fleet of runs
    in one process sees it, with the wait for the last rows at the end spread over the runs;
    and, the worst case, waiting after every run until QuestDB acknowledged its rows.
    """
    template = scratch / "template"
    if not template.exists():
        generate(template)
    spool = tmp / "overhead-spool.sqlite3"
    on = {"metrics": {"conf": server.conf, "spool": str(spool)}}
    tree = scratch / "tree"
    sessions = {"off": _session(template, None), "on": _session(template, on)}
    for _ in range(3):  # imports, table creation, first connection
        for name in ("off", "on"):
            sessions[name].root = tree
            _time_run(sessions[name], template, tree, drain=True)
    fleet = [scratch / f"fleet-{i}" for i in range(10)]
    steady: dict[str, list[float]] = {"off": [], "on": []}
    waited: dict[str, list[float]] = {"off": [], "on": []}
    for i in range(rounds):
        for name in ("off", "on") if i % 2 == 0 else ("on", "off"):
            steady[name].append(_time_runs(sessions[name], template, fleet))
            sessions[name].root = tree
            waited[name].append(_time_run(sessions[name], template, tree, drain=True))
    used, kept = _git_pairs(template, scratch / "in-process", GIT_RUNS)
    with_git: dict[str, list[float]] = {"off": [], "on": []}
    tempdir, tempfile.tempdir = tempfile.tempdir, str(scratch)  # the runs' worktrees
    try:
        for name in ("off", "on"):
            _time_git_runs(sessions[name], used, kept)
        for i in range(rounds):
            for name in ("off", "on") if i % 2 == 0 else ("on", "off"):
                with_git[name].append(_time_git_runs(sessions[name], used, kept))
    finally:
        tempfile.tempdir = tempdir
    with Spool(spool) as check:
        state = check.state()
    assert state.pending == 0 and state.rejected == 0, state
    print(f"overhead: enforce of 20 rules (runner.enforce, in process), medians of {rounds} rounds")
    _ratio(f"no git, per run, {len(fleet)} runs then the metrics drained", steady)
    _ratio("no git, per run, waiting until QuestDB has the rows", waited)
    _ratio(f"with git, per run, {GIT_RUNS} runs then the metrics drained", with_git)


def _git_template(template: Path, tmp: Path) -> tuple[Path, Path]:
    """Return a bare remote holding ``template`` and a clone of it (copied for every run)."""
    seed, remote, clone = tmp / "git-seed", tmp / "git-remote.git", tmp / "git-clone"
    shutil.copytree(template, seed)
    git("init", "--quiet", "--initial-branch=main", cwd=seed)
    git("add", "--all", cwd=seed)
    git("commit", "--quiet", "--message=seed", cwd=seed)
    git("clone", "--quiet", "--bare", str(seed), str(remote), cwd=tmp)
    git("clone", "--quiet", str(remote), str(clone), cwd=tmp)
    return remote, clone


def cli_overhead(
    server: QuestDBServer,
    rounds: int,
    tmp: Path,
    scratch: Path,
    *,
    git: bool = False,
    cpus: set[int] | None = None,
) -> None:
    """The same, as whole ``hammurabi enforce`` processes (start-up and exit drain included).

    With ``git``: the real job, on a clone of a local bare remote: the bot branch with one
    commit, pushed (every round starts from fresh copies of the remote and the clone).
    ``cpus``: run the processes on these CPUs (default: this benchmark's).
    """
    template = scratch / "template"
    if not template.exists():
        generate(template)
    work = Path(tempfile.mkdtemp(prefix="cli-", dir=scratch))
    laws_file = work / "laws.yml"
    rules = []
    for i in range(20):
        target = f"pkg{i:02d}/module{i:02d}.py"
        rules.append(
            f"      - line-replaced: {{name: r{i}, path: {target}, target: '^DEBUG = ',"
            f" text: DEBUG = False}}"
        )
    laws_file.write_text(
        "laws:\n  - name: bench\n    description: 20 rules\n    rules:\n" + "\n".join(rules) + "\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMMURABI_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    env["TMPDIR"] = str(scratch)  # the CLI's worktrees
    env["HAMMURABI_METRICS_SPOOL"] = str(Path(tempfile.mkdtemp(dir=tmp)) / "spool.sqlite3")
    tree = work / "tree"
    pairs: tuple[list[Pair], list[Pair]] | None = None
    if git:
        pairs = _git_pairs(template, work, 1)
        tree = pairs[0][0][1]
    base = [sys.executable, "-m", "hammurabi.cli", "enforce", str(tree)]
    base += ["--laws", str(laws_file)] + ([] if git else ["--no-git"])
    commands = {"off": base, "on": [*base, "--metrics", server.conf]}

    def once(name: str) -> float:
        if pairs is not None:
            _restore(*pairs)
        else:
            if tree.exists():
                shutil.rmtree(tree)
            shutil.copytree(template, tree)
        os.sync()  # the copies' writes are not the run's
        started = time.perf_counter()
        proc = subprocess.run(
            commands[name],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            preexec_fn=None if cpus is None else lambda: os.sched_setaffinity(0, cpus),
        )
        elapsed = time.perf_counter() - started
        assert proc.returncode == 0, proc.stderr
        return elapsed

    once("off"), once("on")
    times: dict[str, list[float]] = {"off": [], "on": []}
    for i in range(rounds):
        for name in ("off", "on") if i % 2 == 0 else ("on", "off"):
            times[name].append(once(name))
    what = "with git: branch, commit, push" if git else "--no-git"
    where = f", on CPUs {','.join(map(str, sorted(cpus)))}" if cpus else ""
    print(
        f"overhead: `hammurabi enforce` processes, 20 rules, {what}{where};"
        f" medians of {rounds} rounds"
    )
    _ratio("whole process (start, run, wait for the rows)", times)


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
        result.extra["pull_request"] = {
            "number": 1000 + n % 500,
            "state": "open",
            "action": "updated",
            "url": f"https://github.example/org/repo-{n % 500:03d}/pull/{1000 + n % 500}",
            "created_at": (at - timedelta(days=3)).isoformat(),
        }
        rows.extend(validate(row) for row in run_rows(result))
        n += 1
    return rows[:count]


def pin(server: QuestDBServer) -> str:
    """Pin every QuestDB thread to the last CPU and this process to the others; say so."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or server._proc is None:
        return "QuestDB and the benchmark share the CPUs"
    pid = server._proc.pid
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            os.sched_setaffinity(int(task.name), {cpus[-1]})
    os.sched_setaffinity(0, set(cpus[:-1]))
    return f"QuestDB pinned to CPU {cpus[-1]}, the benchmark to CPU {','.join(map(str, cpus[:-1]))}"


def _server_cpu(server: QuestDBServer) -> float:
    """CPU seconds the QuestDB process used so far (Linux /proc), 0.0 if unknown."""
    proc = server._proc
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (AttributeError, OSError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_visible(http: QuestDBHttp, expected: dict[str, int], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    for table, want in expected.items():
        while True:
            http.wait_applied(table, timeout=max(deadline - time.monotonic(), 0.1))
            (got,) = http.exec(f"SELECT count() FROM {table}")["dataset"][0]
            if got >= want:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{table}: {got} rows visible, {want} expected")
            time.sleep(0.05)


def _replay(
    server: QuestDBServer, http: QuestDBHttp, config: MetricsConfig, rows: list[Row], batch: int
) -> dict[str, float]:
    """Into freshly made tables: spool ``rows``, replay them; return the figures."""
    expected: dict[str, int] = {}
    for row in rows:
        expected[row.table] = expected.get(row.table, 0) + 1
    for table in expected:
        http.exec(f"DROP TABLE IF EXISTS {table}")
    http.ensure_tables(0)
    path = Path(config.spool)
    with Spool(path) as spool:
        started = time.perf_counter()
        for i in range(0, len(rows), 1000):  # as runs would: many small appends
            spool.append(rows[i : i + 1000])
        spooled = time.perf_counter() - started
        size = spool.state().size_bytes
        writer = QuestDBWriter(config.conf)
        server_cpu = _server_cpu(server)
        started, cpu = time.perf_counter(), time.process_time()
        report = spool.ship(writer, batch=batch)
        shipped, cpu = time.perf_counter() - started, time.process_time() - cpu
        writer.close()
    assert report.ok and report.sent == len(rows), report
    _wait_visible(http, expected)
    return {
        "spooled": spooled,
        "size": size,
        "shipped": shipped,
        "visible": time.perf_counter() - started,
        "cpu": cpu,
        "server_cpu": _server_cpu(server) - server_cpu,
    }


def backfill(server: QuestDBServer, count: int, tmp: Path, batch: int, replays: int) -> None:
    """Spool ``count`` rows, replay them into QuestDB; print rows/s.

    The first replay meets a JVM that has not compiled its ingestion code yet (a server that
    just started); the next ``replays``, each into tables made afresh, are the figures for a
    server that has been running, as a real one has: their median is the result.
    """
    rows = synthetic_rows(count)
    tables: dict[str, int] = {}
    for row in rows:
        tables[row.table] = tables.get(row.table, 0) + 1
    config = MetricsConfig.from_settings(
        MetricsSettings(conf=server.conf, spool=str(tmp / "backfill-spool.sqlite3"))
    )
    with QuestDBHttp.from_config(config) as http:
        cold = _replay(server, http, config, rows, batch)
        warm = [_replay(server, http, config, rows, batch) for _ in range(max(replays, 1))]
    print(f"backfill: {count:,} rows ({', '.join(f'{t} {n:,}' for t, n in tables.items())})")
    spooled, size = warm[0]["spooled"], warm[0]["size"]
    print(f"  spool append {count / spooled:10,.0f} rows/s ({spooled:.2f} s, {size / 1e6:.1f} MB)")
    print(
        f"  replay, QuestDB just started {count / cold['shipped']:10,.0f} rows/s acknowledged"
        f" ({cold['server_cpu'] / count * 1e6:.1f} µs CPU per row in QuestDB)"
    )
    for n, figures in enumerate(warm, 1):
        print(
            f"  replay {n}, QuestDB warm     {count / figures['shipped']:10,.0f} rows/s"
            f" acknowledged, {count / figures['visible']:,.0f} rows/s until visible to queries;"
            f" CPU per row {figures['cpu'] / count * 1e6:.1f} µs here,"
            f" {figures['server_cpu'] / count * 1e6:.1f} µs in QuestDB"
        )
    median = statistics.median(count / figures["shipped"] for figures in warm)
    print(f"  median of {len(warm)} warm replays, batches of {batch:,}: {median:,.0f} rows/s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="overhead rounds (odd)")
    parser.add_argument("--cli-rounds", type=int, default=9, help="CLI overhead rounds (0: skip)")
    parser.add_argument("--rows", type=int, default=200_000, help="rows to backfill")
    parser.add_argument("--batch", type=int, default=50_000, help="rows per replay request")
    parser.add_argument("--replays", type=int, default=3, help="timed backfill replays")
    parser.add_argument("--only", choices=("overhead", "cli", "backfill"), help="run one part")
    parser.add_argument(
        "--shared-cpus", action="store_true", help="do not pin QuestDB to a CPU of its own"
    )
    parser.add_argument(
        "--disk", action="store_true", help="keep the runs' repositories on disk, not in memory"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    install()
    every_cpu = os.sched_getaffinity(0)
    memory = None if args.disk or not os.access("/dev/shm", os.W_OK) else "/dev/shm"
    with (
        tempfile.TemporaryDirectory() as tmp,
        tempfile.TemporaryDirectory(dir=memory) as scratch,
        QuestDBServer(full_jit=True) as server,
    ):
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"QuestDB {server.version} at {server.http_url}; {os.cpu_count()} CPUs, load {load}")
        print("shared CPUs" if args.shared_cpus else pin(server))
        print(f"repositories in {'memory' if memory else 'the temporary folder'}, spools on disk")
        work = (Path(tmp), Path(scratch))
        if args.only in (None, "overhead"):
            overhead(server, args.rounds, *work)
        if args.only in (None, "overhead", "cli") and args.cli_rounds:
            cli_overhead(server, args.cli_rounds, *work)
            cli_overhead(server, args.cli_rounds, *work, git=True)
            if os.sched_getaffinity(0) != every_cpu:
                # The CLI as CI runs it: QuestDB elsewhere, every CPU for the job.
                cli_overhead(server, args.cli_rounds, *work, git=True, cpus=every_cpu)
        if args.only in (None, "backfill"):
            backfill(server, args.rows, Path(tmp), args.batch, args.replays)
        metrics_plugin.close()


if __name__ == "__main__":
    main()
