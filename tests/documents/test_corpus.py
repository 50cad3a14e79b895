"""Real-world files (tests/documents/corpus, sources in MANIFEST.tsv): nothing else moves.

Every file round-trips byte for byte; a one-key edit through a rule changes exactly the
lines of that key, checked as the diff's removed and added lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hammurabi import KeyExists, KeyNotExists, KeyRenamed, Outcome, ValueExists
from hammurabi.documents.paths import parse_path
from hammurabi.rules.base import Rule
from tests.documents.helpers import CORPUS, changed_lines, corpus, load
from tests.helpers import apply_twice, only

FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*") if p.is_file())


def test_corpus_is_there() -> None:
    assert len(FILES) >= 50
    manifest = (CORPUS / "MANIFEST.tsv").read_text().splitlines()
    listed = {line.split("\t")[0] for line in manifest[1:]}
    assert set(FILES) <= listed


@pytest.mark.parametrize("name", FILES)
def test_round_trip_is_identical(name: str) -> None:
    fmt = name.split("/")[0]
    text = corpus(name)
    for index in (0, -1):  # the first and the last document of a YAML stream
        assert load(fmt, text, index).dump() == text
    doc = load(fmt, text)
    root = doc.get(())
    if isinstance(root, dict) and root:  # writing back an existing value changes nothing
        first = next(iter(root))
        doc.set((first,), root[first])
        assert doc.dump() == text


def edit(tmp_path: Path, name: str, rule: Rule) -> tuple[str, str]:
    """Run ``rule`` (twice, to check idempotency) on a copy of a corpus file."""
    text = corpus(name)
    target = tmp_path / Path(name).name
    target.write_bytes(text.encode())
    first, _ = apply_twice(tmp_path, rule)
    assert only(first).outcome is Outcome.CHANGED, only(first).error
    return text, target.read_bytes().decode()


def path_of(name: str) -> str:
    return Path(name).name


CASES: list[tuple[str, Any, list[str], list[str]]] = [
    (  # GitHub Actions workflow: pin an action
        "yaml/pallets__flask__.github__workflows__tests.yaml",
        lambda p: KeyExists(
            name="pin", path=p, key="jobs.tests.steps[0].uses", value="actions/checkout@v4"
        ),
        ["      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11"],
        ["      - uses: actions/checkout@v4"],
    ),
    (  # GitHub Actions workflow: a branch added to a block list
        "yaml/pallets__flask__.github__workflows__tests.yaml",
        lambda p: ValueExists(name="b", path=p, key="on.push.branches", value="release"),
        [],
        ["      - 'release'"],  # quoted like the item before it
    ),
    (  # docker-compose with anchors and merge keys
        "yaml/apache__airflow__docs__apache-airflow__howto__docker-compose__docker-compose.yaml",
        lambda p: KeyExists(name="pg", path=p, key="services.postgres.image", value="postgres:16"),
        ["    image: postgres:13"],
        ["    image: postgres:16"],
    ),
    (  # Kubernetes manifest with several documents: the third one only
        "yaml/kubernetes__examples__guestbook__all-in-one__guestbook-all-in-one.yaml",
        lambda p: KeyExists(name="r", path=p, key="spec.replicas", value=5, document=3),
        ["  replicas: 2"],
        ["  replicas: 5"],
    ),
    (  # pyproject.toml with comments
        "toml/psf__black__pyproject.toml",
        lambda p: KeyExists(name="ll", path=p, key="tool.black.line-length", value=100),
        ["line-length = 88"],
        ["line-length = 100"],
    ),
    (
        "toml/psf__black__pyproject.toml",
        lambda p: ValueExists(name="tv", path=p, key="tool.black.target-version", value="py39"),
        ["target-version = ['py37', 'py38']"],
        ["target-version = ['py37', 'py38', 'py39']"],
    ),
    (  # package.json
        "json/expressjs__express__package.json",
        lambda p: KeyExists(name="v", path=p, key="version", value="5.0.0"),
        ['  "version": "4.16.2",'],
        ['  "version": "5.0.0",'],
    ),
    (
        "json/expressjs__express__package.json",
        lambda p: KeyExists(name="n", path=p, key="engines.node", value=">= 18"),
        ['    "node": ">= 0.10.0"'],
        ['    "node": ">= 18"'],
    ),
    (  # setup.cfg
        "ini/pypa__pip__setup.cfg",
        lambda p: KeyExists(name="m", path=p, key="isort.multi_line_output", value=5),
        ["multi_line_output = 3"],
        ["multi_line_output = 5"],
    ),
    (
        "ini/pypa__pip__setup.cfg",
        lambda p: ValueExists(name="s", path=p, key="isort.skip", value="build"),
        [],
        ["    build"],
    ),
    (  # tox.ini
        "ini/pytest-dev__pytest__tox.ini",
        lambda p: KeyRenamed(name="r", path=p, key="tox.requires", new_name="min_version"),
        ["requires ="],
        ["min_version ="],
    ),
    (
        "ini/pytest-dev__pytest__tox.ini",
        lambda p: KeyNotExists(name="d", path=p, key="tox.requires"),
        ["requires =", "    tox >= 4"],
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "removed", "added"),
    CASES,
    ids=[f"{c[0].split('__')[-1]}-{i}" for i, c in enumerate(CASES)],
)
def test_one_key_edit_changes_only_its_lines(
    tmp_path: Path, name: str, make: Any, removed: list[str], added: list[str]
) -> None:
    before, after = edit(tmp_path, name, make(path_of(name)))
    assert changed_lines(before, after) == (removed, added)


@pytest.mark.parametrize("name", FILES)
def test_adding_a_key_to_the_root_only_adds_lines(name: str) -> None:
    fmt = name.split("/")[0]
    text = corpus(name)
    doc = load(fmt, text)
    root = doc.get(())
    if not isinstance(root, dict):
        pytest.skip("the document is not a mapping")
    key = ("hammurabi-added", "k") if fmt == "ini" else ("hammurabi-added",)
    doc.set(key, "v")
    after = doc.dump()
    removed, added = changed_lines(text, after)
    assert load(fmt, after).get(key) == "v"
    if fmt == "json":  # the last member gains a comma
        assert len(removed) <= 1 and removed[0].rstrip() + "," == added[0].rstrip()
        added = added[1:]
    else:
        assert removed == []
    assert 1 <= len([line for line in added if line.strip()]) <= 2
    assert load(fmt, after).get(parse_path("")) == {**root, **_nested(key)} or fmt == "toml"


def _nested(key: tuple[str, ...]) -> dict[str, Any]:
    value: Any = "v"
    for part in reversed(key[1:]):
        value = {part: value}
    return {key[0]: value}
