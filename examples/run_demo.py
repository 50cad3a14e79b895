"""The README's main job: enforce the example laws on a copy of the demo service, with git.

1. Puts ``examples/demo-service`` into a new git repository whose remote is a local bare
   repository (``demo-output/remote.git``) and clones it to ``demo-output/demo-service``.
2. Runs ``hammurabi enforce`` there with the article's law and the YAML law file: the bot
   branch ``hammurabi/demo`` gets one commit per law that changed something and is pushed
   to the remote (there is no forge for a file remote, so no pull request), with JSON and
   Markdown reports written next to it.
3. Shows the branch's commits, then runs ``hammurabi enforce`` again, which says in one
   line that the branch is up to date, and pushes nothing.

No network, GitHub account or database is needed. Without git on the machine, the laws
are applied to a plain copy of the folder instead. Usage: ``run_demo.py [OUTPUT_FOLDER]``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else HERE.parent / "demo-output"
BRANCH = "hammurabi/demo"
LAWS = [
    "--laws",
    str(HERE / "laws" / "article_gunicorn.py"),
    "--laws",
    str(HERE / "laws" / "python-service.yml"),
]
IDENTITY = {
    "GIT_AUTHOR_NAME": "Demo Developer",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Demo Developer",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, **IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def make_repositories(target: Path) -> None:
    """A seeded bare remote and a clone of it, as a service's CI would have."""
    seed = OUT / "seed"
    shutil.copytree(HERE / "demo-service", seed)
    git("init", "--quiet", "--initial-branch=main", cwd=seed)
    git("add", "--all", cwd=seed)
    git("commit", "--quiet", "--message=Demo service", cwd=seed)
    git("clone", "--quiet", "--bare", str(seed), str(OUT / "remote.git"), cwd=OUT)
    git("clone", "--quiet", str(OUT / "remote.git"), str(target), cwd=OUT)
    shutil.rmtree(seed)


def _short(arg: str) -> str:
    """An argument as printed: absolute paths made relative to the current folder."""
    name, sep, value = arg.rpartition("=")
    return f"{name}{sep}{os.path.relpath(value)}" if value.startswith("/") else arg


def hammurabi(*args: str) -> int:
    shown = " ".join(_short(a) for a in args)
    print(f"\n$ hammurabi {shown}", flush=True)
    return subprocess.run([sys.executable, "-m", "hammurabi", *args]).returncode


def main() -> int:
    target = OUT / "demo-service"
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    reports = [
        "--report",
        f"json={OUT / 'report.json'}",
        "--report",
        f"markdown={OUT / 'summary.md'}",
    ]
    if shutil.which("git") is None:
        print("git is not installed: applying the laws to a plain copy of the folder")
        shutil.copytree(HERE / "demo-service", target)
        code = hammurabi("enforce", str(target), *LAWS, *reports)
        return code or hammurabi("check", str(target), *LAWS, "--quiet")

    make_repositories(target)
    code = hammurabi("enforce", str(target), *LAWS, "--branch", BRANCH, *reports)
    if code != 0:
        return code
    print(f"\n$ git log --format='%h %s' main..{BRANCH}   (in demo-output/remote.git)")
    print(git("log", "--format=%h %s", f"main..{BRANCH}", cwd=OUT / "remote.git"), end="")
    code = hammurabi("enforce", str(target), *LAWS, "--branch", BRANCH)
    print(
        f"\nThe branch {BRANCH} is in {OUT / 'remote.git'}; "
        f"reports: {OUT / 'report.json'}, {OUT / 'summary.md'}"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
