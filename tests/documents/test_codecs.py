"""The codecs: reading, editing and what every edit keeps (comments, order, style)."""

from __future__ import annotations

import pytest

from hammurabi.core.errors import ConfigError, DocumentError
from hammurabi.documents import format_for
from hammurabi.documents.base import MISSING
from hammurabi.documents.paths import format_path, parse_path
from tests.documents.helpers import changed_lines, edited, load

# The same data in each format, with comments where the format has them.
SAMPLES = {
    "yaml": (
        "# top comment\n"
        "name: demo   # trailing\n"
        "\n"
        "tool:\n"
        "    lint:\n"
        "        select: ['E', 'F']\n"
        "    other: 1\n"
    ),
    "json": '{\n    "name": "demo",\n    "tool": {\n        "lint": {"select": ["E", "F"]},\n'
    '        "other": 1\n    }\n}\n',
    "toml": (
        "# top comment\n"
        'name = "demo"   # trailing\n'
        "\n"
        "[tool.lint]\n"
        "select = ['E', 'F']\n"
        "\n"
        "[tool]\n"
        "other = 1\n"
    ),
}
FORMATS = sorted(SAMPLES)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unedited_round_trip_is_identical(fmt: str) -> None:
    doc = load(fmt, SAMPLES[fmt])
    assert doc.dump() is SAMPLES[fmt]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get(fmt: str) -> None:
    doc = load(fmt, SAMPLES[fmt])
    assert doc.get(parse_path("name")) == "demo"
    assert doc.get(parse_path("tool.lint.select")) == ["E", "F"]
    assert doc.get(parse_path("tool.lint.select[1]")) == "F"
    assert doc.get(parse_path("tool.lint.select[-1]")) == "F"
    assert doc.get(parse_path("tool.other")) == 1
    assert doc.get(parse_path("tool.missing")) is MISSING
    assert doc.get(parse_path("name.inner")) is MISSING
    assert doc.get(parse_path("tool.lint.select[5]")) is MISSING


@pytest.mark.parametrize("fmt", FORMATS)
def test_set_existing_scalar_changes_one_line(fmt: str) -> None:
    before = SAMPLES[fmt]
    after = edited(fmt, before, "set", "tool.other", 2)
    removed, added = changed_lines(before, after)
    assert len(removed) == len(added) == 1
    assert "1" in removed[0] and "2" in added[0]
    assert load(fmt, after).get(parse_path("tool.other")) == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_set_same_value_is_no_change(fmt: str) -> None:
    doc = load(fmt, SAMPLES[fmt])
    doc.set(parse_path("tool.lint.select"), ["E", "F"])
    doc.set(parse_path("name"), "demo")
    assert doc.dump() is SAMPLES[fmt]
    assert not doc.changed


@pytest.mark.parametrize("fmt", FORMATS)
def test_set_creates_parents(fmt: str) -> None:
    after = edited(fmt, SAMPLES[fmt], "set", "new.deep.key", True)
    doc = load(fmt, after)
    assert doc.get(parse_path("new.deep.key")) is True
    assert doc.get(parse_path("tool.lint.select")) == ["E", "F"]
    removed, _ = changed_lines(SAMPLES[fmt], after)
    assert all(line.strip() in ("}", "") for line in removed)  # JSON's comma line at most


@pytest.mark.parametrize("fmt", FORMATS)
def test_set_through_a_scalar_fails(fmt: str) -> None:
    with pytest.raises(DocumentError):
        edited(fmt, SAMPLES[fmt], "set", "name.inner", 1)


@pytest.mark.parametrize("fmt", FORMATS)
def test_set_past_the_end_of_a_list_fails(fmt: str) -> None:
    with pytest.raises(DocumentError):
        edited(fmt, SAMPLES[fmt], "set", "tool.lint.select[7]", "X")


@pytest.mark.parametrize("fmt", FORMATS)
def test_set_list_item_by_index(fmt: str) -> None:
    after = edited(fmt, SAMPLES[fmt], "set", "tool.lint.select[0]", "W")
    assert load(fmt, after).get(parse_path("tool.lint.select")) == ["W", "F"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_delete(fmt: str) -> None:
    before = SAMPLES[fmt]
    after = edited(fmt, before, "delete", "tool.other")
    doc = load(fmt, after)
    assert doc.get(parse_path("tool.other")) is MISSING
    assert doc.get(parse_path("tool.lint.select")) == ["E", "F"]
    assert edited(fmt, before, "delete", "tool.absent") == before
    assert edited(fmt, before, "delete", "absent.deeper") == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_delete_list_item(fmt: str) -> None:
    after = edited(fmt, SAMPLES[fmt], "delete", "tool.lint.select[0]")
    assert load(fmt, after).get(parse_path("tool.lint.select")) == ["F"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_rename_keeps_value_and_position(fmt: str) -> None:
    before = SAMPLES[fmt]
    after = edited(fmt, before, "rename", "name", "title")
    doc = load(fmt, after)
    assert doc.get(parse_path("title")) == "demo"
    assert doc.get(parse_path("name")) is MISSING
    assert list(doc.get(())) == ["title", "tool"]
    removed, added = changed_lines(before, after)
    assert len(removed) == len(added) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_rename_onto_a_different_value_fails(fmt: str) -> None:
    with pytest.raises(DocumentError, match="exists with another value"):
        edited(fmt, SAMPLES[fmt], "rename", "name", "tool")


@pytest.mark.parametrize("fmt", FORMATS)
def test_append_items(fmt: str) -> None:
    after = edited(fmt, SAMPLES[fmt], "append_items", "tool.lint.select", ["I", "UP"])
    assert load(fmt, after).get(parse_path("tool.lint.select")) == ["E", "F", "I", "UP"]
    with pytest.raises(DocumentError):
        edited(fmt, SAMPLES[fmt], "append_items", "name", ["x"])
    with pytest.raises(DocumentError):
        edited(fmt, SAMPLES[fmt], "append_items", "absent", ["x"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_remove_items(fmt: str) -> None:
    doc = load(fmt, SAMPLES[fmt])
    doc.remove_items(parse_path("tool.lint.select"), ["E", "nope"])
    assert load(fmt, doc.dump()).get(parse_path("tool.lint.select")) == ["F"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_values_keep_their_types(fmt: str) -> None:
    value = {"s": "x y", "i": 3, "f": 1.5, "b": False, "l": [1, "2"], "m": {"k": "v"}}
    after = edited(fmt, SAMPLES[fmt], "set", "typed", value)
    assert load(fmt, after).get(parse_path("typed")) == value


@pytest.mark.parametrize("fmt", FORMATS)
def test_tricky_strings_read_back(fmt: str) -> None:
    for text in ["yes", "on", "1.0", "null", "#x", "a: b", "- x", "'q'", '"dq"', "é ☃", "[x]"]:
        after = edited(fmt, SAMPLES[fmt], "set", "name", text)
        assert load(fmt, after).get(parse_path("name")) == text, (fmt, text, after)


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("yaml", "a: [1\n"),
        ("yaml", "a: 1\n a: 2\n  - x\n"),
        ("json", '{"a": 1,,}'),
        ("json", '{"a": 1} extra'),
        ("toml", "a = = 1\n"),
        ("toml", "[a]\n[a]\n"),
        ("ini", "no header = 1\n[s]\n[s]\n"),
        ("ini", "[s]\nk = 1\nk = 2\n"),
    ],
)
def test_invalid_documents_are_refused(fmt: str, text: str) -> None:
    with pytest.raises(DocumentError, match="invalid"):
        load(fmt, text)


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml", "ini"])
def test_binary_is_refused(fmt: str) -> None:
    with pytest.raises(DocumentError, match="binary"):
        load(fmt, "a\x00b")


def test_only_yaml_selects_documents() -> None:
    with pytest.raises(ConfigError):
        load("json", "{}", document=1)
    with pytest.raises(DocumentError, match="no document 3"):
        load("yaml", "a: 1\n---\nb: 2\n", document=3)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a/b.yml", "yaml"),
        ("x.YAML", "yaml"),
        ("package.json", "json"),
        ("tsconfig.jsonc", "json"),
        ("pyproject.toml", "toml"),
        ("setup.cfg", "ini"),
        ("tox.ini", "ini"),
        (".editorconfig", "ini"),
        (".flake8", "ini"),
        ("Pipfile", "toml"),
    ],
)
def test_format_from_file_name(name: str, fmt: str) -> None:
    assert format_for(name, "test") == fmt


def test_unknown_format_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="format="):
        format_for("Makefile", "rule 'x'")


# -- key paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("tool.ruff.lint.select", ("tool", "ruff", "lint", "select")),
        ("jobs.build.steps[0].uses", ("jobs", "build", "steps", 0, "uses")),
        ('"a.b".c', ("a.b", "c")),
        ("a\\.b.c", ("a.b", "c")),
        ("m[-1][2]", ("m", -1, 2)),
        ("'x[y]'", ("x[y]",)),
        ("", ()),
    ],
)
def test_paths(text: str, parts: tuple[object, ...]) -> None:
    assert parse_path(text) == parts
    assert parse_path(format_path(parts)) == parts


@pytest.mark.parametrize("bad", ["a.", "a..b", "a[x]", "a[0", '"a', "a]b", "a.[0]", "a\\"])
def test_bad_paths(bad: str) -> None:
    with pytest.raises(ConfigError, match="invalid key path"):
        parse_path(bad)


# -- YAML -------------------------------------------------------------------------------------


def test_yaml_keeps_comments_quotes_and_indentation() -> None:
    before = (
        "# head\na:   'single'  # why\nb:\n    -   one\n    -   two   # second\n\nc: \"double\"\n"
    )
    after = edited("yaml", before, "set", "a", "changed")
    assert after == before.replace("'single'", "'changed'")
    after = edited("yaml", before, "append_items", "b", ["three"])
    assert after == before.replace("# second\n", "# second\n    -   three\n")
    after = edited("yaml", before, "set", "c", "new")
    assert after == before.replace('"double"', '"new"')


def test_yaml_multi_document_edits_one_document() -> None:
    before = "kind: A\nspec: {replicas: 1}\n---\n# second\nkind: B\nspec:\n  replicas: 1\n"
    after = edited("yaml", before, "set", "spec.replicas", 3, document=1)
    assert after == before.replace("  replicas: 1\n", "  replicas: 3\n")
    after = edited("yaml", before, "set", "spec.replicas", 3, document=0)
    assert after == before.replace("{replicas: 1}", "{replicas: 3}")
    assert load("yaml", before, document=-1).get(parse_path("kind")) == "B"


def test_yaml_anchors_and_aliases_stay() -> None:
    before = "base: &base\n  image: x\n  port: 1\nweb:\n  <<: *base\n  port: 2\nother: *base\n"
    doc = load("yaml", before)
    assert doc.get(parse_path("web.image")) == "x"
    assert doc.get(parse_path("other.port")) == 1
    after = edited("yaml", before, "set", "web.port", 3)
    assert after == before.replace("port: 2", "port: 3")
    after = edited("yaml", before, "set", "base.image", "y")
    assert "&base" in after and "*base" in after
    assert load("yaml", after).get(parse_path("other.image")) == "y"
    after = edited("yaml", before, "set", "web.image", "z")  # overrides the merged key locally
    assert after.count("*base") == 2 and load("yaml", after).get(parse_path("base.image")) == "x"


def test_yaml_merged_keys_read_the_same_every_time() -> None:
    doc = load("yaml", "base: &b\n  x: 1\nsvc:\n  <<: *b\n  z: 3\n")
    first = doc.get(parse_path("svc"))
    assert first == {"z": 3, "x": 1}
    assert doc.get(parse_path("svc")) == first
    doc.set(parse_path("svc.z"), 4)
    assert doc.get(parse_path("svc")) == {"z": 4, "x": 1}


def test_yaml_edit_checked_on_its_entry_then_more_edits() -> None:
    before = "top:\n  a:\n    x: 1  # one\n    y: [1, 2]\n  b:\n    z: 2\nlast: 3\n"
    doc = load("yaml", before)
    doc.set(parse_path("top.a.x"), 5)
    assert doc._stream is None  # type: ignore[attr-defined]  # checked on its entry alone
    doc.append_items(parse_path("top.a.y"), [3])
    doc.set(parse_path("top.b.w"), "new")
    doc.delete(parse_path("last"))
    assert doc.get(()) == {"top": {"a": {"x": 5, "y": [1, 2, 3]}, "b": {"z": 2, "w": "new"}}}
    assert doc.dump() == (
        "top:\n  a:\n    x: 5  # one\n    y: [1, 2, 3]\n  b:\n    z: 2\n    w: new\n"
    )


@pytest.mark.parametrize(
    "broken",
    [
        "1\nescaped: 1",  # a new key at column 0 inside a nested entry
        "1\n...",  # a document end marker
        "[1,",  # an unclosed flow sequence
        "*nowhere",  # an alias without anchor
    ],
)
def test_yaml_refuses_an_edit_that_breaks_the_file_around_it(
    monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    from hammurabi.documents.yamldoc import YamlDocument

    before = "top:\n  a:\n    x: 1\n    y: 2\n  b: 3\nlast: 4\n"
    doc = load("yaml", before)
    entry = doc._walk(parse_path("top.a.x")).chain[-1]  # type: ignore[attr-defined]
    start = entry.value.start_mark.index
    monkeypatch.setattr(YamlDocument, "_replace", lambda *args: [(start, start + 1, broken)])
    with pytest.raises(DocumentError):
        doc.set(parse_path("top.a.x"), 2)
    assert doc.dump() is before
    assert doc.get(()) == {"top": {"a": {"x": 1, "y": 2}, "b": 3}, "last": 4}


def test_yaml_keeps_crlf_free_text_and_missing_final_newline() -> None:
    before = "a: 1\nb: 2"
    after = edited("yaml", before, "set", "c", 3)
    assert after == "a: 1\nb: 2\nc: 3"


def test_yaml_block_scalars_and_empty_documents() -> None:
    before = "run: |\n  echo one\n  echo two\nnext: 1\n"
    after = edited("yaml", before, "set", "next", 2)
    assert after == before.replace("next: 1", "next: 2")
    after = edited("yaml", before, "set", "run", "echo three\n")
    assert load("yaml", after).get(parse_path("run")) == "echo three\n"
    assert edited("yaml", "", "set", "a.b", 1) == "a:\n  b: 1\n"


# -- JSON -------------------------------------------------------------------------------------


def test_json_keeps_tabs_spacing_and_inline_arrays() -> None:
    before = '{\n\t"a":1,\n\t"list":["x","y"],\n\t"o":{"k":"v"}\n}'
    after = edited("json", before, "set", "b", {"c": [1]})
    assert after == before[:-2] + ',\n\t"b":{\n\t\t"c":[\n\t\t\t1\n\t\t]\n\t}\n}'
    after = edited("json", before, "append_items", "list", ["z"])
    assert after == before.replace('"y"]', '"y","z"]')
    after = edited("json", before, "delete", "o")
    assert after == '{\n\t"a":1,\n\t"list":["x","y"]\n}'


def test_json_with_comments_and_trailing_commas() -> None:
    before = '{\n  // compiler\n  "strict": true, /* c */\n  "paths": ["a",],\n}\n'
    doc = load("json", before)
    assert doc.get(parse_path("paths")) == ["a"]
    after = edited("json", before, "set", "strict", False)
    assert after == before.replace("true", "false")
    after = edited("json", before, "set", "target", "es2022")
    assert "// compiler" in after and load("json", after).get(parse_path("target")) == "es2022"


def test_json_non_ascii_is_written_raw() -> None:
    after = edited("json", '{"a": 1}\n', "set", "b", "Łukasz ☃")
    assert after == '{"a": 1, "b": "Łukasz ☃"}\n'


def test_json_empty_file_gets_an_object() -> None:
    assert edited("json", "", "set", "a.b", 1) == '{\n  "a": {\n    "b": 1\n  }\n}\n'


def test_json_refuses_a_replaced_value_that_is_not_json(monkeypatch: pytest.MonkeyPatch) -> None:
    from hammurabi.documents.jsondoc import JsonDocument

    before = '{\n  "a": 1,\n  "b": [1, 2]\n}\n'
    doc = load("json", before)
    monkeypatch.setattr(JsonDocument, "_render", lambda *args: "[1,")
    with pytest.raises(DocumentError, match="would corrupt"):
        doc.set(parse_path("a"), 2)
    assert doc.dump() is before
    monkeypatch.undo()
    doc.set(parse_path("a"), 2)  # the refused edit left the document usable
    assert doc.dump() == before.replace('"a": 1', '"a": 2')


# -- TOML -------------------------------------------------------------------------------------


def test_toml_keeps_comments_literal_strings_and_tables() -> None:
    before = (
        "# project\n"
        "[project]\n"
        "name = 'demo'  # the name\n"
        "deps = [\n"
        "    'a',  # first\n"
        "]\n"
        "\n"
        "# tools\n"
        "[tool.x]\n"
        "y = 1\n"
    )
    after = edited("toml", before, "set", "project.name", "other")
    assert after == before.replace("'demo'", "'other'")
    after = edited("toml", before, "append_items", "project.deps", ["b"])
    assert "'a',  # first\n" in after and load("toml", after).get(parse_path("project.deps")) == [
        "a",
        "b",
    ]
    after = edited("toml", before, "set", "project.version", "1.0")
    removed, added = changed_lines(before, after)
    assert removed == [] and added == ['version = "1.0"']
    after = edited("toml", before, "set", "tool.z.w", True)
    assert after.startswith(before) and "[tool.z]\nw = true\n" in after


def test_toml_dump_is_the_text_the_last_edit_verified() -> None:
    before = "[a]\nx = 1  # one\n\n[b]\ny = 'z'\n"
    doc = load("toml", before)
    doc.set(parse_path("a.x"), 2)
    doc.set(parse_path("b.y"), "w")
    doc.delete(parse_path("b.missing"))
    assert doc.dump() == "[a]\nx = 2  # one\n\n[b]\ny = 'w'\n"


def test_toml_refuses_null() -> None:
    with pytest.raises(ConfigError, match="null"):
        edited("toml", "a = 1\n", "set", "a", None)


def test_toml_out_of_order_tables() -> None:
    before = "[build.environment]\nX = '1'\n\n[build]\ncommand = 'make'\n"
    after = edited("toml", before, "set", "build.publish", "dist")
    assert load("toml", after).get(parse_path("build")) == {
        "environment": {"X": "1"},
        "command": "make",
        "publish": "dist",
    }
    assert after.startswith(before.rstrip("\n"))


# -- INI --------------------------------------------------------------------------------------

INI = (
    "# top\n"
    "root=true\n"
    "\n"
    "[metadata]\n"
    "name = demo\n"
    "; comment\n"
    "classifiers =\n"
    "    A\n"
    "    B\n"
    "\n"
    "[mypy-pkg.*]\n"
    "strict:True\n"
)


def test_ini_get() -> None:
    doc = load("ini", INI)
    assert doc.get(parse_path("root")) == "true"
    assert doc.get(parse_path("metadata.name")) == "demo"
    assert doc.get(parse_path("metadata.classifiers")) == "A\nB"
    assert doc.get_items(parse_path("metadata.classifiers")) == ["A", "B"]
    assert doc.get(parse_path('"mypy-pkg.*".strict')) == "True"
    assert doc.get(parse_path("metadata.nope")) is MISSING
    assert doc.get(()) == {
        "root": "true",
        "metadata": {"name": "demo", "classifiers": "A\nB"},
        "mypy-pkg.*": {"strict": "True"},
    }


def test_ini_edits_keep_delimiters_and_comments() -> None:
    assert edited("ini", INI, "set", '"mypy-pkg.*".strict', False) == INI.replace(
        "strict:True", "strict:false"
    )
    assert edited("ini", INI, "set", "root", "false") == INI.replace("root=true", "root=false")
    assert edited("ini", INI, "set", "metadata.version", 1) == INI.replace(
        "    B\n", "    B\nversion = 1\n"
    )
    assert edited("ini", INI, "append_items", "metadata.classifiers", ["C"]) == INI.replace(
        "    B\n", "    B\n    C\n"
    )
    assert edited("ini", INI, "delete", "metadata.name") == INI.replace("name = demo\n", "")
    assert edited("ini", INI, "rename", "metadata", "meta") == INI.replace("[metadata]", "[meta]")
    assert edited("ini", INI, "rename", "metadata.name", "title") == INI.replace(
        "name = demo", "title = demo"
    )


def test_ini_new_options_follow_the_file_style_after_other_edits() -> None:
    before = "[a]\nx=1\ndeps=\n\tpytest\n\n[b]\ny=2\n"
    doc = load("ini", before)
    doc.set(parse_path("a.x"), 3)
    doc.set(parse_path("b.z"), ["one", "two"])
    doc.set(parse_path("a.w"), "v")
    assert doc.dump() == "[a]\nx=3\ndeps=\n\tpytest\nw=v\n\n[b]\ny=2\nz=\n\tone\n\ttwo\n"


def test_ini_sections() -> None:
    after = edited("ini", INI, "set", "new.key", "v")
    assert after == INI + "\n[new]\nkey = v\n"
    after = edited("ini", INI, "delete", "metadata")
    assert after == "# top\nroot=true\n\n[mypy-pkg.*]\nstrict:True\n"
    after = edited("ini", INI, "delete", '"mypy-pkg.*"')
    assert after == INI.split("\n[mypy")[0]
    doc = load("ini", INI)
    doc.set(parse_path("metadata"), {"name": "demo"})
    assert doc.dump() == INI.replace("; comment\nclassifiers =\n    A\n    B\n", "; comment\n")


def test_ini_values_compare_as_text() -> None:
    doc = load("ini", "[s]\nn = 1\nb = true\n")
    doc.set(parse_path("s.n"), 1)
    doc.set(parse_path("s.b"), True)
    assert not doc.changed
    with pytest.raises(DocumentError, match="sections and options"):
        doc.set(parse_path("s.n.deeper"), 1)
