"""Engine overhead: a 20-rule law set over a generated repository of 2,000 files.

Compares ``hammurabi.core.engine.enforce`` with a plain Python script making the same edits
(read, edit lines, write), each on a fresh copy of the same tree, in the same run.
The ratio is the per-rule overhead beyond the file I/O (goal: <= 1.5).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from hammurabi import (
    BlockExists,
    FileExists,
    Law,
    LineExists,
    LineNotExists,
    LineReplaced,
)
from hammurabi.core.engine import enforce

FILES = 2000
ROUNDS = 15
STEADY = 101
TARGETS = [f"pkg{i:02d}/module{i:02d}.py" for i in range(20)]


def generate(root: Path) -> None:
    for i in range(FILES):
        path = root / f"pkg{i % 100:02d}" / f"module{i // 100:02d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(f"value_{n} = {n}\n" for n in range(40))
        path.write_text(f'"""Module {i}."""\nimport os\nDEBUG = True\nworkers = 2\n{body}')


def laws() -> list[Law]:
    rules = []
    for i, target in enumerate(TARGETS):
        kind = i % 5
        if kind == 0:
            rules.append(
                LineExists(name=f"r{i}", path=target, text="import sys", after="^import os")
            )
        elif kind == 1:
            rules.append(
                LineReplaced(name=f"r{i}", path=target, target=r"^DEBUG = ", text="DEBUG = False")
            )
        elif kind == 2:
            rules.append(LineNotExists(name=f"r{i}", path=target, criteria=r"^workers = "))
        elif kind == 3:
            rules.append(BlockExists(name=f"r{i}", path=target, block="x = 1\ny = 2"))
        else:
            rules.append(
                FileExists(
                    name=f"r{i}", path=target.replace(".py", "_new.txt"), content="generated\n"
                )
            )
    return [Law(name="bench", description="20 rules", rules=rules)]


def plain(root: Path) -> None:
    """The same edits, written by hand."""
    for i, target in enumerate(TARGETS):
        path = root / target
        kind = i % 5
        if kind == 4:
            new = path.with_name(path.name.replace(".py", "_new.txt"))
            if not new.exists() or new.read_text() != "generated\n":
                new.write_text("generated\n")
            continue
        lines = path.read_text().split("\n")
        if kind == 0:
            if "import sys" not in lines:
                at = next(n for n, line in enumerate(lines) if line.startswith("import os"))
                lines.insert(at + 1, "import sys")
        elif kind == 1:
            lines = ["DEBUG = False" if re.match(r"^DEBUG = ", ln) else ln for ln in lines]
        elif kind == 2:
            lines = [ln for ln in lines if not re.search(r"^workers = ", ln)]
        elif kind == 3:
            block = [
                "# BEGIN HAMMURABI MANAGED BLOCK",
                "x = 1",
                "y = 2",
                "# END HAMMURABI MANAGED BLOCK",
            ]
            if block[0] not in lines:
                lines[-1:-1] = block
        text = "\n".join(lines)
        if text != path.read_text():
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text)
            os.replace(tmp, path)


def timed(fn, template: Path, scratch: Path) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Time a first (changing) and a second (no-change) application on a fresh copy."""
    tree = scratch / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(template, tree)
    os.sync()  # the copy's write-back would otherwise land in the timed run
    started = time.perf_counter()
    fn(tree)
    first = time.perf_counter() - started
    started = time.perf_counter()
    fn(tree)
    return first, time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template"
        generate(template)
        law_set = laws()
        results: dict[str, list[tuple[float, float]]] = {"plain": [], "hammurabi": []}
        runners = {"plain": plain, "hammurabi": lambda root: enforce(law_set, root)}
        for i in range(ROUNDS):  # alternating which goes first
            for name in sorted(runners, reverse=bool(i % 2)):
                results[name].append(timed(runners[name], template, Path(tmp)))
        med = {k: [statistics.median(x[i] for x in v) for i in (0, 1)] for k, v in results.items()}
        # A no-change run again and again on one warm tree: no copy's cold caches in the way.
        tree = Path(tmp) / "tree"
        steady: dict[str, list[float]] = {"plain": [], "hammurabi": []}
        for i in range(STEADY):
            for name in sorted(runners, reverse=bool(i % 2)):
                started = time.perf_counter()
                runners[name](tree)
                steady[name].append(time.perf_counter() - started)
    print(f"engine: 20 rules over {FILES} files, median of {ROUNDS} rounds")
    for label, i in (("first run (changes)", 0), ("second run (no change)", 1)):
        base, ours = med["plain"][i], med["hammurabi"][i]
        print(
            f"  {label:<24} plain {base * 1000:7.2f} ms   hammurabi {ours * 1000:7.2f} ms"
            f"   ratio {ours / base:.2f}   per rule {ours / 20 * 1e6:6.0f} µs"
        )
    base, ours = (statistics.median(steady[k]) for k in ("plain", "hammurabi"))
    print(
        f"  {'no change, warm tree':<24} plain {base * 1000:7.2f} ms"
        f"   hammurabi {ours * 1000:7.2f} ms"
        f"   ratio {ours / base:.2f}   per rule {ours / 20 * 1e6:6.0f} µs   ({STEADY} runs each)"
    )


if __name__ == "__main__":
    main()
