"""Start-up: whole ``hammurabi`` processes as ratios to ``python -c "import typer, pluggy"``.

Measured side by side, interleaved, on a tiny git repository (two files, one law of one rule):
``--help`` and ``--version`` (goal: <= 1.5x the baseline) and ``enforce --dry-run`` (goal:
<= 2x). Prints medians with min and max, the heavy libraries each command imports and the git
processes the dry run starts.

    python bench/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = (
    *("git", "github", "questdb", "httpx", "jinja2", "ruamel", "tomlkit", "rich", "pydantic"),
    *("yaml", "hashlib", "tomllib"),
)
LAW = """laws:
  - name: Ignore caches
    description: Git ignores bytecode caches.
    rules:
      - line-exists: {name: pycache ignored, path: .gitignore, text: __pycache__/}
"""


#: Bytecode is cached as on any user's machine (the warm-up run writes it).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def wall(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def tiny_repository(where: Path) -> Path:
    repo = where / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("DEBUG = False\n")
    (repo / ".gitignore").write_text("*.pyc\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    (where / "laws.yml").write_text(LAW)
    return repo


def imported(args: list[str], cwd: Path) -> list[str]:
    probe = (
        "import json, sys\nfrom hammurabi.cli.main import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        f"print(json.dumps(sorted(loaded & set({HEAVY!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def git_processes(cmd: list[str], cwd: Path) -> list[str]:
    """The git commands ``cmd`` starts (from GIT_TRACE)."""
    with tempfile.NamedTemporaryFile(mode="r", suffix=".trace") as trace:
        env = {**ENV, "GIT_TRACE": trace.name}
        subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lines = trace.read().splitlines()
    marker = "trace: built-in: git "
    return [line.split(marker, 1)[1].split()[0] for line in lines if marker in line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        repo = tiny_repository(Path(tmp))
        laws = str(Path(tmp) / "laws.yml")
        hammurabi = [sys.executable, "-m", "hammurabi"]
        enforce = ["enforce", "--dry-run", "--laws", laws, "--disable-plugin", "python", "-q"]
        commands = {
            "baseline": [sys.executable, "-c", "import typer, pluggy"],
            "--help": [*hammurabi, "--help"],
            "--version": [*hammurabi, "--version"],
            "enforce --dry-run": [*hammurabi, *enforce],
        }
        for cmd in commands.values():  # warm the file cache and the bytecode
            wall(cmd, repo)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, cmd in commands.items():
                times[name].append(wall(cmd, repo))
        base = statistics.median(times["baseline"])
        print(f"start-up, whole processes ({runs} interleaved runs each; median [min-max])")
        for name, samples in times.items():
            median = statistics.median(samples)
            spread = f"[{min(samples) * 1000:.0f}-{max(samples) * 1000:.0f}]"
            label = f"hammurabi {name}"
            if name == "baseline":
                label = "python -c 'import typer, pluggy'"
            ratio = "baseline" if name == "baseline" else f"ratio {median / base:.2f}"
            print(f"  {label:<34} {median * 1000:7.1f} ms {spread:>11}  {ratio}")
        print(f"  heavy libraries imported by --help: {imported(['--help'], repo)}")
        print(f"  heavy libraries imported by enforce --dry-run: {imported(enforce, repo)}")
        started = git_processes(commands["enforce --dry-run"], repo)
        print(f"  git processes started by enforce --dry-run: {len(started)} ({' '.join(started)})")


if __name__ == "__main__":
    main()
