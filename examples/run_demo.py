"""The README's main job: enforce the example laws on a fresh copy of the demo service.

Copies ``examples/demo-service`` to ``demo-output/demo-service``, runs ``hammurabi
enforce`` with the article's law and the YAML law file, writes JSON and Markdown reports
next to it, then runs ``hammurabi check`` to show a second run has nothing left to change.
No network, GitHub account or database is needed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "demo-output"


def main() -> int:
    target = OUT / "demo-service"
    if OUT.exists():
        shutil.rmtree(OUT)
    shutil.copytree(HERE / "demo-service", target)
    laws = [
        "--laws",
        str(HERE / "laws" / "article_gunicorn.py"),
        "--laws",
        str(HERE / "laws" / "python-service.yml"),
    ]
    reports = [
        "--report",
        f"json={OUT / 'report.json'}",
        "--report",
        f"markdown={OUT / 'summary.md'}",
    ]
    hammurabi = [sys.executable, "-m", "hammurabi"]
    print(f"$ hammurabi enforce {target.relative_to(HERE.parent)} ...", flush=True)
    first = subprocess.run([*hammurabi, "enforce", str(target), *laws, *reports])
    if first.returncode != 0:
        return first.returncode
    print(
        f"\n$ hammurabi check {target.relative_to(HERE.parent)} ...  (nothing left to do)",
        flush=True,
    )
    second = subprocess.run([*hammurabi, "check", str(target), *laws, "--quiet"])
    print(f"\nChanged files are in {target}; reports: {OUT / 'report.json'}, {OUT / 'summary.md'}")
    return second.returncode


if __name__ == "__main__":
    sys.exit(main())
