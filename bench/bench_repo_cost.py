"""Per-repository cost of ``enforce``: Hammurabi, the original 0.11.1 and a bare-Python floor.

Prints issue 14's table, side by side in one run. The workload is the original's own kind:
a repository configured the 0.11 way (``[tool.hammurabi]``, ``pillar.conf.py``) with 10 laws
of 2 rules each (``LineReplaced`` and ``LineNotExists`` on one module per law), cloned from
a local bare remote, enforced from inside it with ``enforce --no-allow-push --no-report``
(the same command line for both tools): one commit per law on the branch ``hammurabi``,
no push. The floor is a small Python script making the same edits and the same commits
(``git commit`` per law, no maintenance) with nothing else.

For each size, every run gets fresh clones made before the clock starts; the variants run
interleaved (original, floor, Hammurabi; then each one's no-change re-run on its own
clone). Medians with [min-max]; ratios are of medians measured in this run. Hammurabi's
committed tree must equal the floor's (checked on every run), with one commit per law.

    python bench/bench_repo_cost.py [--sizes 200,2000,20000] [--runs 11]
        [--original PATH] [--fleet 25,100,400] [--jobs 2]

To measure another checkout of Hammurabi (a baseline), run it from outside any checkout
with ``PYTHONPATH=/path/to/that/checkout``; the original never sees ``PYTHONPATH``.

``--fleet`` adds fleet figures: ``enforce --repos`` over N local bare remotes (first run
with empty clone cache, then the no-change re-run with the cache), against a shell loop
doing clone + the floor + push per repository.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAWS = 10
#: Where the original 0.11.1 is looked for (see the issue for how to install it).
ORIGINALS = ("/work/orig-venv/bin/hammurabi", "/tmp/orig-venv/bin/hammurabi")
BRANCH = "hammurabi"
ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}

SETTINGS = """\
[project]
name = "service"
version = "1.0.0"

[tool.hammurabi]
pillar_config = "pillar.conf.py"
git_branch_name = "hammurabi"
git_base_name = "main"
repository = "acme/service"
log_level = "ERROR"
"""

PILLAR_HEAD = """\
from pathlib import Path

from hammurabi import Law, LineNotExists, LineReplaced, Pillar

pillar = Pillar()
"""

PILLAR_LAW = """\
pillar.register(
    Law(
        name="Law {i:02d}",
        description="Module {i} is configured for production.",
        rules=(
            LineReplaced(
                name="debug off {i}",
                path=Path("pkg{i:02d}/module00.py"),
                match=r"^DEBUG = True",
                text="DEBUG = False",
            ),
            LineNotExists(
                name="no todo {i}",
                path=Path("pkg{i:02d}/module00.py"),
                text=r"^# TODO",
            ),
        ),
    )
)
"""

#: The same law as a law file, for fleets (a fleet never runs a repository's own pillar).
YAML_LAW = """\
  - name: Law {i:02d}
    description: Module {i} is configured for production.
    rules:
      - line-replaced: {{name: debug off {i}, path: pkg{i:02d}/module00.py,
                        target: '^DEBUG = True', text: DEBUG = False}}
      - line-not-exists: {{name: no todo {i}, path: pkg{i:02d}/module00.py, text: '^# TODO'}}
"""

#: The floor: the same edits and one commit per law, with nothing else (stdlib only).
FLOOR = """\
import os, re, subprocess, sys
run = lambda *a: subprocess.run(["git", "-c", "maintenance.auto=false", "-c", "gc.auto=0", *a],
                                check=True, stdout=subprocess.DEVNULL)
branch = subprocess.run(["git", "symbolic-ref", "--short", "HEAD"], capture_output=True,
                        text=True).stdout.strip()
for i in range(%(laws)d):
    path = f"pkg{i:02d}/module00.py"
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    lines = text.splitlines(keepends=True)
    new = "".join("DEBUG = False\\n" if re.match(r"^DEBUG = True", line) else line
                  for line in lines if not re.match(r"^# TODO", line))
    if new == text:
        continue
    if branch != "hammurabi":
        run("checkout", "-q", "-B", "hammurabi")
        branch = "hammurabi"
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(new)
    os.replace(path + ".tmp", path)
    run("commit", "-q", "--no-verify", "-m", f"Law {i:02d}", "--", path)
"""


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **ENV}, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"git {' '.join(args)} failed in {cwd}: {done.stderr}")
    return done.stdout.strip()


def module(i: int) -> str:
    body = "".join(f"value_{n} = {n}\n" for n in range(30))
    return f'"""Module {i}."""\nDEBUG = True\n# TODO remove before release\n{body}'


def make_remote(where: Path, files: int, *, legacy: bool = True) -> Path:
    """A bare remote holding ``files`` files and (``legacy``) the 0.11 settings and pillar."""
    work = where / "template"
    for i in range(files):
        path = work / f"pkg{i % 25:02d}" / f"module{i // 25:02d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(module(i))
    if legacy:
        (work / "pyproject.toml").write_text(SETTINGS)
        (work / ".gitignore").write_text("hammurabi.log\nhammurabi_report.json\n")
        (work / "pillar.conf.py").write_text(
            PILLAR_HEAD + "".join(PILLAR_LAW.format(i=i) for i in range(LAWS))
        )
    git("init", "-q", "-b", "main", cwd=work)
    git("add", "-A", cwd=work)
    git("-c", "gc.auto=0", "commit", "-q", "-m", "init", cwd=work)  # no gc left running
    remote = where / "remote.git"
    git("clone", "-q", "--bare", str(work), str(remote), cwd=where)
    shutil.rmtree(work)
    return remote


def fresh(remote: Path, dest: Path) -> Path:
    git("clone", "-q", str(remote), str(dest), cwd=remote.parent)
    return dest


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    # Bytecode is cached as on any user's machine (a warm-up round writes it).
    env = {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}
    if cmd[0] not in (sys.executable, "env"):  # the original, in its own venv
        env = {key: value for key, value in env.items() if key != "PYTHONPATH"}
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode not in (0,):
        raise SystemExit(f"{cmd} exited {done.returncode} in {cwd}:\n{done.stderr[-3000:]}")
    return wall


def hammurabi(before: str | None = None) -> list[str]:
    """``python -m hammurabi``, from the checkout ``before`` names when given."""
    prefix = ["env", f"PYTHONPATH={before}"] if before else []
    return [*prefix, sys.executable, "-m", "hammurabi"]


def commands(original: str | None, before: str | None) -> dict[str, list[str]]:
    legacy = ["enforce", "--no-allow-push", "--no-report", "-q"]
    found = {"floor": [sys.executable, "-c", FLOOR % {"laws": LAWS}]}
    if original:
        found["original"] = [original, *legacy[:-1]]
    if before:
        found["before"] = [*hammurabi(before), *legacy]
    found["hammurabi"] = [*hammurabi(), *legacy]
    return found


def restart(clone: Path) -> None:
    """Put a clone back on its base branch, bot branch deleted (its runs' leftovers kept)."""
    git("checkout", "-q", "-f", "main", cwd=clone)
    git("branch", "-q", "-D", BRANCH, cwd=clone)


def check_same(hammurabi: Path, floor: Path) -> None:
    """Hammurabi's branch holds the floor's tree, with one commit per law."""
    ours = git("rev-parse", f"{BRANCH}^{{tree}}", cwd=hammurabi)
    theirs = git("rev-parse", f"{BRANCH}^{{tree}}", cwd=floor)
    if ours != theirs:
        diff = git("diff", "--stat", f"origin/main..{BRANCH}", cwd=hammurabi)
        raise SystemExit(f"Hammurabi committed another tree than the floor:\n{diff}")
    count = git("rev-list", "--count", f"origin/main..{BRANCH}", cwd=hammurabi)
    if int(count) != LAWS:
        raise SystemExit(f"Hammurabi made {count} commits, not one per law ({LAWS})")


def stats(samples: list[float]) -> str:
    return f"{statistics.median(samples):6.3f} [{min(samples):.3f}-{max(samples):.3f}]"


def measure_size(
    files: int, runs: int, original: str | None, before: str | None, scratch: Path
) -> dict:
    """Per variant: the first run on a fresh clone, the no-change re-run, and a repeat run
    (the bot branch deleted in between: the same work again, on a repository already used)."""
    where = scratch / f"size-{files}"
    where.mkdir()
    remote = make_remote(where, files)
    env = {**os.environ, **ENV, "HAMMURABI_SETTINGS_PATH": "pyproject.toml"}
    cmds = commands(original, before)
    found: dict[str, dict[str, list[float]]] = {
        key: {name: [] for name in cmds} for key in ("first", "again", "repeat")
    }
    for run in range(runs + 1):  # the first round warms the caches and is not counted
        clones = {name: fresh(remote, where / f"{name}-{run}") for name in cmds}
        for key in ("first", "again", "repeat"):
            for name, cmd in cmds.items():
                if key == "repeat":
                    restart(clones[name])
                seconds = timed(cmd, clones[name], env)
                if run:
                    found[key][name].append(seconds)
            check_same(clones["hammurabi"], clones["floor"])
        for path in clones.values():
            shutil.rmtree(path)
    shutil.rmtree(where)
    return found


def fleet_floor(listing: list[Path], scratch: Path, env: dict[str, str]) -> float:
    """A shell loop: clone, the floor's edits and commits, push the branch; per repository."""
    scratch.mkdir(parents=True)
    script = scratch / "floor.py"
    script.write_text(FLOOR % {"laws": LAWS})
    work = scratch / "loop"
    work.mkdir()
    loop = (
        'for url in "$@"; do d=$(basename "$url" .git); git clone -q "$url" "$d" && '
        f'(cd "$d" && {sys.executable} {script} && '
        f"git push -q -f origin {BRANCH}:floor-{len(listing)}); done"
    )
    started = time.perf_counter()
    subprocess.run(["bash", "-c", loop, "loop", *map(str, listing)], cwd=work, env=env, check=True)
    return time.perf_counter() - started


def measure_fleet(
    sizes: list[int], jobs: int, before: str | None, scratch: Path
) -> dict[tuple[int, str], float]:
    """Print the fleet figures as they come; return Hammurabi's repositories per minute by
    (size, run)."""
    env = {**os.environ, **ENV, "XDG_STATE_HOME": str(scratch / "state")}
    where = scratch / "fleet"
    where.mkdir()
    template = make_remote(where, 60, legacy=False)
    remotes: list[Path] = []
    for i in range(max(sizes)):
        target = where / "remotes" / f"svc-{i:03d}.git"
        target.parent.mkdir(exist_ok=True)
        shutil.copytree(template, target)
        remotes.append(target)
    laws = where / "laws.yml"
    laws.write_text("laws:\n" + "".join(YAML_LAW.format(i=i) for i in range(LAWS)))
    header = f"{'fleet (local bare remotes)':<44} {'repos':>5} {'wall s':>7} {'repos/min':>9}"
    print(header)
    print("-" * len(header), flush=True)
    rates: dict[tuple[int, str], float] = {}
    for size in sizes:
        chosen = remotes[:size]
        floor_wall = fleet_floor(chosen, where / f"floor-{size}", env) if size <= 100 else None
        listing = where / f"repos-{size}.txt"
        listing.write_text("".join(f"{path}\n" for path in chosen))
        if floor_wall is not None:
            print(
                f"{'shell loop floor (clone, edit, commit, push)':<44} {size:>5} "
                f"{floor_wall:>7.1f} {size / floor_wall * 60:>9.0f}"
            )
        variants = {"before": before, "hammurabi": None} if before else {"hammurabi": None}
        for name, source in variants.items():
            argv = [*hammurabi(source), "enforce", str(where), "--repos", str(listing)]
            argv += ["--laws", str(laws), "--jobs", str(jobs), "--branch", f"{name}/n{size}"]
            argv += ["--cache", str(where / f"cache-{name}-{size}"), "--quiet"]
            for label in ("first run", "no-change re-run"):
                wall = timed(argv, where, env)
                print(
                    f"{f'{name} --jobs {jobs}, {label}':<44} {size:>5} {wall:>7.1f} "
                    f"{size / wall * 60:>9.0f}",
                    flush=True,
                )
                if name == "hammurabi":
                    rates[size, label] = size / wall * 60
    return rates


def table(results: dict[int, dict], names: list[str]) -> list[str]:
    """The side-by-side table: medians [min-max], then Hammurabi's ratios to the others."""
    others = [name for name in names if name != "hammurabi"]
    header = f"{'workload':<36}" + "".join(f" {name:>22}" for name in names)
    header += "".join(f" {'ham/' + name:>10}" for name in others)
    lines = [header, "-" * len(header)]
    labels = {"first": "enforce", "again": "no-change re-run", "repeat": "repeat run"}
    for size, result in results.items():
        for key, label in labels.items():
            row = result[key]
            line = f"{f'{label}, {size} files':<36}"
            line += "".join(f" {stats(row[name]):>22}" for name in names)
            ham = statistics.median(row["hammurabi"])
            line += "".join(f" {ham / statistics.median(row[name]):10.2f}" for name in others)
            lines.append(line)
    if len(results) > 1:
        low, high = min(results), max(results)
        for key in ("first", "repeat"):
            fixed = {
                size: statistics.median(results[size][key]["hammurabi"])
                - statistics.median(results[size][key]["floor"])
                for size in (low, high)
            }
            lines.append(
                f"fixed cost (hammurabi - floor), {labels[key]}, {low} -> {high} files: "
                f"{fixed[low]:.3f} s -> {fixed[high]:.3f} s ({fixed[high] / fixed[low]:.2f}x)"
            )
    return lines


def goals(results: dict[int, dict], fleet: dict[tuple[int, str], float], jobs: int) -> list[str]:
    """Issue 14's goals, each with the figure measured in this run: met or not met."""
    rows: list[tuple[str, str, str, bool]] = []

    def ratio(size: int, key: str, other: str) -> float:
        row = results[size][key]
        return statistics.median(row["hammurabi"]) / statistics.median(row[other])

    for size, result in results.items():
        if "original" in result["first"]:
            value = ratio(size, "first", "original")
            rows.append(
                (
                    f"enforce, {size} files",
                    "<= 0.25x the original (4x faster)",
                    f"{value:.2f}x",
                    value <= 0.25,
                )
            )
        value = ratio(size, "first", "floor")
        rows.append((f"enforce, {size} files", "<= 1.5x the floor", f"{value:.2f}x", value <= 1.5))
        value = ratio(size, "again", "floor")
        rows.append(
            (
                f"no-change re-run, {size} files",
                "<= 3x the floor's re-run",
                f"{value:.2f}x",
                value <= 3,
            )
        )
    if len(results) > 1:
        low, high = min(results), max(results)
        # Hammurabi's own time: its cost above the floor's (the fixed cost) turns negative
        # where the floor, committing in a full checkout, grows faster than Hammurabi.
        ham = {size: statistics.median(results[size]["first"]["hammurabi"]) for size in (low, high)}
        value = ham[high] / ham[low]
        rows.append(
            (
                f"growth of a run, {low} -> {high} files",
                "<= 1.3x (Hammurabi's time)",
                f"{value:.2f}x",
                value <= 1.3,
            )
        )
    for (size, label), rate in sorted(fleet.items()):
        wanted = 600 if label == "first run" else 1200
        rows.append(
            (
                f"fleet {size} repos --jobs {jobs}, {label}",
                f">= {wanted} repos/min",
                f"{rate:.0f}/min",
                rate >= wanted,
            )
        )
    header = f"{'goal (issue 14)':<42} {'wanted':<36} {'measured':>10}  result"
    lines = [header, "-" * len(header)]
    for label, wanted, measured, met in rows:
        lines.append(f"{label:<42} {wanted:<36} {measured:>10}  {'met' if met else 'NOT MET'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,2000,20000")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument(
        "--original",
        default=next((p for p in ORIGINALS if Path(p).exists()), ORIGINALS[0]),
        help="the original 0.11.1's command (skipped when missing)",
    )
    parser.add_argument("--before", help="another checkout of Hammurabi, measured beside")
    parser.add_argument("--fleet", default="", help="fleet sizes, e.g. 25,100,400")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    original = args.original if args.original and Path(args.original).exists() else None
    sizes = [int(size) for size in args.sizes.split(",") if size]
    with tempfile.TemporaryDirectory(prefix="bench-repo-cost-") as tmp:
        scratch = Path(tmp)
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"{os.cpu_count()} CPUs, load average {load} at the start")
        print(f"{LAWS} laws, {2 * LAWS} rules; {args.runs} interleaved")
        print("runs per variant, median [min-max] seconds of whole processes", flush=True)
        names = [name for name in commands(original, args.before) if name != "hammurabi"]
        results: dict[int, dict] = {}
        shown = 0
        for size in sizes:
            results[size] = measure_size(size, args.runs, original, args.before, scratch)
            lines = table(results, [*names, "hammurabi"])
            rows = [line for line in lines if not line.startswith("fixed cost")]
            for line in rows[shown:]:
                print(line, flush=True)
            shown = len(rows)
        for line in table(results, [*names, "hammurabi"]) if len(results) > 1 else []:
            if line.startswith("fixed cost"):
                print(line)
        if results:
            print("committed trees: Hammurabi's equal the floor's on every run, one per law")
        fleet: dict[tuple[int, str], float] = {}
        if args.fleet:
            sizes = [int(n) for n in args.fleet.split(",")]
            fleet = measure_fleet(sizes, args.jobs, args.before, scratch)  # prints as it goes
        print()
        for line in goals(results, fleet, args.jobs):
            print(line)
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"load average {load} at the end (figures are only comparable at a low load)")


if __name__ == "__main__":
    main()
