"""Every built-in rule, applied twice, changes nothing the second time: a property test
over generated repositories (the reference examples' files, mutated, with lists)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import tomlkit
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hammurabi.core.engine import enforce
from hammurabi.core.errors import ConfigError
from hammurabi.core.results import Outcome
from hammurabi.loading.lawfile import load_law_file
from hammurabi.loading.plugins import get_plugin_manager
from hammurabi.loading.registry import Registry
from hammurabi.rules.commands import commands_allowed
from hammurabi.rules.documents import KeyExists, KeyNotExists, ValueExists, ValueNotExists
from tests.docs.helpers import reference
from tests.helpers import make_tree, snapshot

REGISTRY = Registry.from_plugins(get_plugin_manager())
EXAMPLES = reference.load_examples()
RULES = sorted(
    type_id
    for type_id in REGISTRY.rules
    if type_id in EXAMPLES and (not EXAMPLES[type_id].needs_root or os.geteuid() == 0)
)
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

names = st.sampled_from(["a", "b", "items", "x-y", "tool", "name"])
scalars = st.one_of(
    st.sampled_from(["x", "yes", "", "a b", "1.5"]), st.integers(-5, 5), st.booleans()
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(names, inner, min_size=1, max_size=2)
    ),
    max_leaves=5,
)
extra_lines = st.sampled_from(
    ["", "# a comment", "- item", "key: [a, b]", "x = 1", "[section]", "  indented", "DEBUG = True"]
)


def _with_lines(content: str, draw: Any) -> str:
    lines = content.splitlines()
    for _ in range(draw(st.integers(0, 3))):
        pool = st.one_of(extra_lines, st.sampled_from(lines)) if lines else extra_lines
        lines.insert(draw(st.integers(0, len(lines))), draw(pool))
    end = "\n" if draw(st.booleans()) or not lines else ""
    return "\n".join(lines) + end


def _with_keys(path: str, content: str, draw: Any) -> str | None:
    """The document with generated keys (lists among the values) added at the top."""
    suffix = Path(path).suffix
    extra = draw(st.dictionaries(st.sampled_from(["zz", "more", "list"]), values, max_size=2))
    try:
        if suffix == ".json":
            data = json.loads(content)
            return json.dumps({**data, **extra}, indent=draw(st.sampled_from([2, 4])))
        if suffix in (".yml", ".yaml"):
            data = yaml.safe_load(content)
            flow = draw(st.booleans())
            return yaml.safe_dump({**data, **extra}, default_flow_style=flow, sort_keys=False)
        if suffix == ".toml":
            doc = tomlkit.parse(content)
            for key, value in extra.items():
                if isinstance(value, list) and all(not isinstance(v, list | dict) for v in value):
                    doc[key] = value
            return tomlkit.dumps(doc)
    except (ValueError, TypeError, yaml.YAMLError, AttributeError):
        return None
    return None


@st.composite
def repositories(draw: Any, files: dict[str, str]) -> dict[str, str]:
    """The example's files, each kept, dropped, given more lines or more keys."""
    out: dict[str, str] = {}
    for path, content in files.items():
        how = draw(st.sampled_from(["same", "lines", "keys", "absent"]))
        if how == "same":
            out[path] = content
        elif how == "lines":
            out[path] = _with_lines(content, draw)
        elif how == "keys":
            out[path] = _with_keys(path, content, draw) or content
    return out


def twice(laws: list[Any], root: Path, allow: bool) -> None:
    with commands_allowed(allow):
        enforce(laws, root)
        before = snapshot(root)
        second = enforce(laws, root)
    assert snapshot(root) == before, "the second run changed the tree"
    changed = [r.rule for r in second.walk() if r.outcome is Outcome.CHANGED]
    assert changed == [], second.to_json()


@pytest.mark.parametrize("type_id", RULES)
@SETTINGS
@given(data=st.data())
def test_every_built_in_rule_is_idempotent(type_id: str, data: st.DataObject) -> None:
    example = EXAMPLES[type_id]
    files = data.draw(repositories(dict(example.files)))
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "repo"
        root.mkdir()
        make_tree(root, files)
        for path, mode in example.modes.items():
            if (root / path).exists():
                os.chmod(root / path, int(mode, 8))
        law_file = Path(scratch) / "laws.yml"
        law_file.write_text(example.law_file("rule"))
        twice(load_law_file(law_file, REGISTRY), root, example.allow_commands)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in ``value``, through list items too."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


#: Documents with at least one list of several items, and more keys.
documents = st.builds(
    lambda items, rest: {**rest, "items": items},
    st.lists(values, min_size=2, max_size=3),
    st.dictionaries(names, values, max_size=3),
)


@settings(SETTINGS, max_examples=80)
@given(
    data=st.data(),
    document=documents,
    fmt=st.sampled_from(["json", "yaml"]),
    kind=st.sampled_from([KeyExists, KeyNotExists, ValueExists, ValueNotExists]),
)
def test_document_rules_through_lists_are_idempotent(
    data: st.DataObject, document: dict[str, Any], fmt: str, kind: type
) -> None:
    paths = _paths(document)
    by_position = [path for path in paths if isinstance(path[-1], int)]  # ("items", 0) at least
    key = data.draw(
        st.one_of(st.sampled_from(by_position), st.sampled_from(paths), st.tuples(names))
    )
    text = json.dumps(document, indent=2) if fmt == "json" else yaml.safe_dump(document)
    arguments: dict[str, Any] = {}
    if kind in (KeyExists, ValueExists, ValueNotExists):
        arguments["value"] = data.draw(
            values if kind is KeyExists else st.lists(scalars, min_size=1, max_size=2)
        )
    try:
        rule = kind(name="r", path=f"doc.{fmt}", key=list(key), **arguments)
    except ConfigError:
        assert kind is KeyNotExists and isinstance(key[-1], int)  # refused: by position
        return
    from hammurabi.core.law import Law

    with tempfile.TemporaryDirectory() as scratch:
        root = make_tree(Path(scratch) / "repo", {f"doc.{fmt}": text})
        twice([Law(name="law", description="d", rules=(rule,))], root, False)


def test_deleting_a_list_item_by_position_is_refused_when_the_law_loads(tmp_path: Path) -> None:
    law_file = tmp_path / "laws.yml"
    law_file.write_text(
        "laws:\n  - name: L\n    description: d\n    rules:\n"
        "      - key-not-exists: {name: first item gone, path: c.yml, key: 'l[0]'}\n"
    )
    with pytest.raises(ConfigError, match=r"'l\[0\]' deletes a list item by its position"):
        load_law_file(law_file, REGISTRY)
