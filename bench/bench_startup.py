"""Start-up: ``hammurabi --help`` wall time as a ratio to ``python -c "import typer, pluggy"``.

Both commands run alternately, several times; the medians are compared (goal: <= 1.5).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 15
HEAVY = ("git", "github", "questdb", "httpx", "jinja2", "ruamel", "tomlkit", "rich")


def wall(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    baseline_cmd = [sys.executable, "-c", "import typer, pluggy"]
    help_cmd = [sys.executable, "-m", "hammurabi", "--help"]
    version_cmd = [sys.executable, "-m", "hammurabi", "--version"]
    for cmd in (baseline_cmd, help_cmd):  # warm the file cache
        wall(cmd)
    times: dict[str, list[float]] = {"baseline": [], "help": [], "version": []}
    for _ in range(RUNS):
        times["baseline"].append(wall(baseline_cmd))
        times["help"].append(wall(help_cmd))
        times["version"].append(wall(version_cmd))
    base = statistics.median(times["baseline"])
    probe = (
        "import sys\nfrom hammurabi.cli import main\nmain(['--help'])\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    loaded = out.stdout.strip().splitlines()[-1]
    print(f"start-up ({RUNS} runs each, medians)")
    print(f"  python -c 'import typer, pluggy' {base * 1000:7.1f} ms  (baseline)")
    for name in ("help", "version"):
        median = statistics.median(times[name])
        print(f"  hammurabi --{name:<22} {median * 1000:7.1f} ms  ratio {median / base:.2f}")
    print(f"  heavy libraries imported by --help: {loaded}")


if __name__ == "__main__":
    main()
