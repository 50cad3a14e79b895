"""The law-file reference: every registered rule and precondition id has an example, and
every example loads from a law file and does on a real repository what the docs show."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from hammurabi.core.engine import enforce
from hammurabi.core.results import Outcome
from hammurabi.loading.lawfile import load_law_file
from hammurabi.loading.plugins import get_plugin_manager
from hammurabi.loading.registry import Registry
from hammurabi.rules.commands import commands_allowed
from tests.docs.helpers import pages, reference
from tests.helpers import make_tree, snapshot

REGISTRY = Registry.from_plugins(get_plugin_manager())
EXAMPLES = reference.load_examples()


def kind_of(type_id: str) -> str:
    return "rule" if type_id in REGISTRY.rules else "precondition"


def test_every_registered_id_has_an_example_and_no_example_is_stale() -> None:
    ids = set(REGISTRY.rules) | set(REGISTRY.preconditions)
    assert sorted(ids - set(EXAMPLES)) == [], "ids without an example in docs/_gen/examples.yml"
    assert sorted(set(EXAMPLES) - ids) == [], "examples of ids nobody registers"


@pytest.mark.parametrize("kind", ["rule", "precondition"])
def test_reference_pages_cover_every_id(kind: str) -> None:
    text = reference.types_reference(kind)
    ids = REGISTRY.rules if kind == "rule" else REGISTRY.preconditions
    for type_id in ids:
        assert f"### `{type_id}` {{ #{type_id} }}" in text
        assert text.count(f"#{type_id} }}") == 1
    assert "*No example yet.*" not in text
    index = reference.type_index(kind)
    assert all(f"[`{type_id}`]" in index for type_id in ids)


def _repository(root: Path, example: Any) -> Path:
    root.mkdir(parents=True)
    make_tree(root, dict(example.files))
    for path, mode in example.modes.items():
        os.chmod(root / path, int(mode, 8))
    return root


def _run(example: Any, repo: Path, law_file: Path) -> Any:
    laws = load_law_file(law_file, REGISTRY)
    with commands_allowed(example.allow_commands):
        return enforce(laws, repo)


@pytest.mark.parametrize("example", list(EXAMPLES.values()), ids=list(EXAMPLES))
def test_example_does_what_the_reference_shows(
    example: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if example.needs_root and os.geteuid() != 0:
        pytest.skip("this example changes or checks an owner, which needs root")
    kind = kind_of(example.id)
    repo = _repository(tmp_path / "repo", example)
    law_file = tmp_path / "laws.yml"
    law_file.write_text(example.law_file(kind))
    monkeypatch.chdir(repo)  # the article's HasStack reads service.yml from the current folder
    before = snapshot(repo)
    result = _run(example, repo, law_file)
    assert result.failures() == []
    if kind == "precondition":
        assert (repo / ".precondition-met").exists() is example.met
        return
    assert result.outcome is Outcome.CHANGED
    after = snapshot(repo)
    expected = {path: content for path, (content, _) in before.items()}
    for path, content in example.after.items():
        if content is None:
            expected.pop(path, None)
        else:
            expected[path] = content.encode()
    files = {path: content for path, (content, _) in after.items() if content != "<dir>"}
    assert files == {p: c for p, c in expected.items() if c != "<dir>"}
    for path, mode in example.after_modes.items():
        assert oct(after[path][1] & 0o7777) == oct(int(mode, 8))
    again = _run(example, repo, law_file)
    assert again.outcome is Outcome.UNCHANGED, "a second run must change nothing"
    assert snapshot(repo) == after


@pytest.mark.parametrize("name", ["exit-codes", "outcomes", "statuses", "settings"])
def test_generated_tables_explain_every_value(name: str) -> None:
    """Every exit code, outcome, status and setting has a ``#:`` comment to show."""
    table = reference.GENERATORS[name]()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert rows
    for row in rows:
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip()[1:-1])]
        assert cells[-1], f"{name}: no meaning in {row!r}"


def test_every_marker_in_the_pages_generates() -> None:
    """What the MkDocs hook does to each page, without MkDocs: no marker is left or unknown."""
    used = set()
    for page in pages():
        text = page.read_text(encoding="utf-8")
        used |= set(reference.MARKER.findall(text))
        assert "<!-- hammurabi:" not in reference.expand(text)
    assert used == set(reference.GENERATORS), "generators no page uses, or markers unknown"


def test_the_command_line_reference_has_every_command() -> None:
    text = reference.cli_reference()
    for command in ("enforce", "check", "laws", "rules", "preconditions", "plugins", "health"):
        assert f"## `hammurabi {command}`" in text
    for command in ("init", "flush", "status"):
        assert f"## `hammurabi metrics {command}`" in text


@pytest.mark.parametrize("kind", ["rule", "precondition"])
def test_every_type_has_a_summary(kind: str) -> None:
    index = reference.type_index(kind)
    for row in index.splitlines()[2:]:
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip()[1:-1])]
        assert cells[-1], f"no summary: {row}"
