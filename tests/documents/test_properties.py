"""Property tests over generated documents: round trips, read-back, idempotency, locality."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any
from unittest import mock

import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from hammurabi import Outcome, ValueExists
from hammurabi.core.errors import DocumentError
from hammurabi.documents.base import MISSING, same_value
from tests.documents.helpers import load
from tests.helpers import run_rules, snapshot

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.text(alphabet=st.sampled_from("abcxyz-_09 .AZ"), min_size=1, max_size=8).filter(
    lambda s: s.strip() == s
)
ini_names = st.text(alphabet=st.sampled_from("abcxyz-_09.AZ"), min_size=1, max_size=8)
text = st.one_of(
    st.sampled_from(["yes", "no", "on", "null", "~", "1.5", "0x1F", "#hash", "a: b", "- x", ""]),
    st.text(alphabet=st.sampled_from("ab 'é\"#:-[]{},*&!|>%@`"), max_size=10),
)
scalars = st.one_of(
    text,
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(names, inner, min_size=1, max_size=3)
    ),
    max_leaves=6,
)
documents = st.dictionaries(names, values, min_size=1, max_size=5)


def toml_safe(value: Any) -> bool:
    """TOML arrays of mappings mixed with scalars, and empty keys, are out of scope here."""
    if isinstance(value, list):
        return all(not isinstance(v, list | dict) for v in value)
    if isinstance(value, dict):
        return all(toml_safe(v) for v in value.values())
    return True


def render(fmt: str, data: dict[str, Any], style: int) -> str:
    if fmt == "json":
        return json.dumps(data, indent=[2, 4, "\t"][style % 3], ensure_ascii=style % 2 == 0)
    if fmt == "yaml":
        yaml = YAML()
        yaml.indent(mapping=2 + style % 3, sequence=4, offset=2)
        stream = io.StringIO()
        yaml.dump(data, stream)
        return "# generated\n" + stream.getvalue()
    return tomlkit.dumps(data)


FORMATS = ["json", "yaml", "toml"]


@SETTINGS
@given(st.sampled_from(FORMATS), documents, st.integers(0, 5))
def test_round_trip(fmt: str, data: dict[str, Any], style: int) -> None:
    if fmt == "toml" and not all(toml_safe(v) for v in data.values()):
        return
    source = render(fmt, data, style)
    doc = load(fmt, source)
    assert doc.dump() == source
    assert same_value(doc.get(()), data)


@SETTINGS
@given(st.sampled_from(FORMATS), documents, st.integers(0, 5), names, names, values)
def test_set_reads_back_is_local_and_idempotent(
    fmt: str, data: dict[str, Any], style: int, top: str, leaf: str, value: Any
) -> None:
    if fmt == "toml" and not (toml_safe(value) and all(toml_safe(v) for v in data.values())):
        return
    source = render(fmt, data, style)
    key = (top, leaf) if isinstance(data.get(top), dict) or top not in data else (top,)
    doc = load(fmt, source)
    doc.set(key, value)
    once = doc.dump()
    again = load(fmt, once)
    assert same_value(again.get(key), value)
    for other, old in data.items():  # nothing else moved
        if other != top:
            assert same_value(again.get((other,)), old)
    again.set(key, value)
    assert again.dump() is once  # the second edit is no change at all


@SETTINGS
@given(st.sampled_from(FORMATS), documents, st.integers(0, 5), st.data())
def test_delete_is_local_and_idempotent(
    fmt: str, data: dict[str, Any], style: int, pick: st.DataObject
) -> None:
    if fmt == "toml" and not all(toml_safe(v) for v in data.values()):
        return
    source = render(fmt, data, style)
    top = pick.draw(st.sampled_from(sorted(data)))
    doc = load(fmt, source)
    doc.delete((top,))
    once = doc.dump()
    again = load(fmt, once)
    assert again.get((top,)) is MISSING
    assert same_value(again.get(()), {k: v for k, v in data.items() if k != top})
    again.delete((top,))
    assert again.dump() is once


@SETTINGS
@given(documents, st.integers(0, 5), st.data(), values)
def test_yaml_edits_proven_on_one_entry_read_back_from_the_whole_file(
    data: dict[str, Any], style: int, pick: st.DataObject, value: Any
) -> None:
    """What an edit checked on its entry's text alone holds for the whole text too."""
    from hammurabi.documents.yamldoc import YamlDocument, _compose

    proven = YamlDocument._entry_proves

    def audited(doc: YamlDocument, edits: Any, new: str, check: Any) -> bool:
        ok = proven(doc, edits, new, check)
        if ok and type(doc) is YamlDocument:
            assert len(_compose(new)) == 1
            assert check(YamlDocument(new))
        return ok

    source = render("yaml", data, style)
    paths = [(k,) for k in data] + [
        (k, inner) for k, v in data.items() if isinstance(v, dict) for inner in v
    ]
    path = pick.draw(st.sampled_from(paths))
    with mock.patch.object(YamlDocument, "_entry_proves", audited):
        doc = load("yaml", source)
        with contextlib.suppress(DocumentError):  # a refused edit is fine here
            doc.set((*path, "new") if pick.draw(st.booleans()) else path, value)
        doc.delete(pick.draw(st.sampled_from(paths)))
        fresh = load("yaml", doc.dump())
        assert same_value(doc.get(()), fresh.get(()))


ini_values = st.text(alphabet=st.sampled_from("abc 09._-/*é"), max_size=8).map(str.strip)
ini_documents = st.dictionaries(
    ini_names, st.dictionaries(ini_names, ini_values, max_size=4), min_size=1, max_size=4
)


def render_ini(data: dict[str, dict[str, str]], style: int) -> str:
    delim = ["=", " = ", ": "][style % 3]
    parts = []
    for section, options in data.items():
        lines = [f"[{section}]", *(f"{k}{delim}{v}".rstrip() for k, v in options.items())]
        parts.append("\n".join(lines) + "\n")
    return ("\n" if style % 2 else "").join(parts)


@SETTINGS
@given(ini_documents, st.integers(0, 5), ini_names, ini_names, ini_values)
def test_ini_set_delete_round_trip(
    data: dict[str, dict[str, str]], style: int, section: str, option: str, value: str
) -> None:
    source = render_ini(data, style)
    doc = load("ini", source)
    assert doc.dump() == source
    assert doc.get(()) == data
    doc.set((section, option), value)
    once = doc.dump()
    again = load("ini", once)
    assert again.get((section, option)) == value
    assert {k: v for k, v in again.get(()).items() if k != section} == {
        k: v for k, v in data.items() if k != section
    }
    again.set((section, option), value)
    assert again.dump() is once
    again.delete((section, option))
    assert again.get((section, option)) is MISSING


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(["json", "yaml", "toml"]),
    st.lists(st.sampled_from(["a", "b", "c", "yes", "1"]), max_size=4),
    st.lists(st.sampled_from(["a", "b", "c", "yes", "1"]), min_size=1, max_size=4),
)
def test_value_exists_rule_is_idempotent(
    tmp_path_factory: Any, fmt: str, items: list[str], wanted: list[str]
) -> None:
    root: Path = tmp_path_factory.mktemp("repo")
    target = root / f"f.{fmt}"
    target.write_text(render(fmt, {"list": items, "other": 1}, 0))
    rule = ValueExists(name="v", path=target.name, key="list", value=wanted)
    first = run_rules(root, rule)
    assert first.outcome is not Outcome.FAILED, first.failures()
    after = load(fmt, target.read_text()).get(("list",))
    assert after[: len(items)] == items and all(w in after for w in wanted)
    before = snapshot(root)
    second = run_rules(root, rule)
    assert second.outcome is Outcome.UNCHANGED and snapshot(root) == before
