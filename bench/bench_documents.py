"""Per-edit cost of the document codecs against a plain parse-edit-dump with the same library.

For each format a 1,000-line document is generated; one key's value is changed, through
our codec (load, set, dump) and through the library alone (ruamel.yaml round trip,
``json``, tomlkit, configupdater).  Printed per format: the median time of each, their
ratio (goal <= 1.3), and the lines each diff touches for that one-key change (goal: only
the changed lines).  Not a test; run ``python bench/bench_documents.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tomlkit
from configupdater import ConfigUpdater
from ruamel.yaml import YAML

from hammurabi.documents import codec

LINES = 1000


def make_yaml() -> str:
    out = ["# generated compose file", "services:"]
    i = 0
    while len(out) < LINES - 8:
        out += [
            f"  svc{i}:   # service {i}",
            f"    image: 'registry/app{i}:1.{i}'",
            "    restart: always",
            '    ports: ["80:80", "443:443"]',
            "    environment:",
            f"      NAME: app{i}",
            "      DEBUG: 'false'",
            "",
        ]
        i += 1
    return "\n".join(out[:LINES]) + "\n"


def make_json() -> str:
    data = {
        f"pkg{i}": {"version": f"1.{i}.0", "deps": ["a", "b"], "private": i % 2 == 0}
        for i in range(LINES // 8)
    }
    text = json.dumps(data, indent=2) + "\n"
    return text


def make_toml() -> str:
    out = ["# generated"]
    i = 0
    while len(out) < LINES - 5:
        out += [
            f"[tool.section{i}]  # table {i}",
            f"name = 'demo{i}'",
            'select = ["E", "F"]',
            f"line-length = {80 + i}",
            "",
        ]
        i += 1
    return "\n".join(out) + "\n"


def make_ini() -> str:
    out: list[str] = []
    i = 0
    while len(out) < LINES - 6:
        out += [f"[testenv:py{i}]", "deps =", "    pytest", "    coverage", f"setenv = X={i}", ""]
        i += 1
    return "\n".join(out) + "\n"


def yaml_plain(text: str) -> str:
    yaml = YAML()
    data = yaml.load(text)
    data["services"]["svc50"]["image"] = "registry/app:2"
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def json_plain(text: str) -> str:
    data = json.loads(text)
    data["pkg50"]["version"] = "2.0.0"
    return json.dumps(data, indent=2) + "\n"


def toml_plain(text: str) -> str:
    doc = tomlkit.parse(text)
    doc["tool"]["section50"]["line-length"] = 100  # type: ignore[index]
    return tomlkit.dumps(doc)


def ini_plain(text: str) -> str:
    updater = ConfigUpdater()
    updater.read_string(text)
    updater["testenv:py50"]["setenv"].value = "X=changed"
    return str(updater)


CASES: list[tuple[str, Callable[[], str], tuple[object, ...], object, Callable[[str], str]]] = [
    ("yaml", make_yaml, ("services", "svc50", "image"), "registry/app:2", yaml_plain),
    ("json", make_json, ("pkg50", "version"), "2.0.0", json_plain),
    ("toml", make_toml, ("tool", "section50", "line-length"), 100, toml_plain),
    ("ini", make_ini, ("testenv:py50", "setenv"), "X=changed", ini_plain),
]


def ours(fmt: str, text: str, key: tuple[object, ...], value: object) -> str:
    doc = codec(fmt).load(text)
    doc.set(key, value)  # type: ignore[arg-type]
    return doc.dump()


def timed(fn: Callable[[], str], repeat: int) -> float:
    fn()  # warm up (imports, caches)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def diff_size(before: str, after: str) -> int:
    return sum(
        1
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per measurement")
    args = parser.parse_args()
    print(
        f"{'format':6} {'lines':>5} {'ours ms':>8} {'plain ms':>9} {'ratio':>6} "
        f"{'diff ours':>9} {'diff plain':>10}"
    )
    for fmt, make, key, value, plain in CASES:
        text = make()
        mine = timed(lambda: ours(fmt, text, key, value), args.repeat)  # noqa: B023
        theirs = timed(lambda: plain(text), args.repeat)  # noqa: B023
        print(
            f"{fmt:6} {text.count(chr(10)):>5} {mine * 1000:>8.2f} {theirs * 1000:>9.2f} "
            f"{mine / theirs:>6.2f} {diff_size(text, ours(fmt, text, key, value)):>9} "
            f"{diff_size(text, plain(text)):>10}"
        )
    print("diff = lines removed + added for the one-key change (2 = one line replaced)")


if __name__ == "__main__":
    main()
