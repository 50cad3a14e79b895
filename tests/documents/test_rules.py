"""The document rules and preconditions, run by the engine on real files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hammurabi import (
    HasValue,
    IsKeyExists,
    IsKeyNotExists,
    JsonValueExists,
    KeyExists,
    KeyNotExists,
    KeyRenamed,
    OptionRenamed,
    OptionsExist,
    OptionsNotExist,
    Outcome,
    SectionExists,
    SectionNotExists,
    SectionRenamed,
    TomlKeyExists,
    ValueExists,
    ValueNotExists,
    YamlKeyExists,
)
from hammurabi.core.engine import enforce
from hammurabi.core.errors import ConfigError
from hammurabi.loading.lawfile import load_law_file
from hammurabi.loading.plugins import get_plugin_manager
from hammurabi.loading.registry import Registry
from hammurabi.rules.base import Rule
from tests.helpers import apply_twice, make_tree, only, run_rules, snapshot


def run_one(root: Path, rule: Rule) -> Any:
    return only(run_rules(root, rule))


WORKFLOW = """\
name: tests
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest   # the runner
    steps:
      - uses: actions/checkout@v3
      - uses: actions/setup-python@v4
        with:
          python-version: '3.11'
"""


def test_key_exists_changes_only_that_line(tmp_path: Path) -> None:
    make_tree(tmp_path, {".github/workflows/ci.yml": WORKFLOW})
    rule = KeyExists(
        name="checkout v4",
        path=".github/workflows/ci.yml",
        key="jobs.test.steps[0].uses",
        value="actions/checkout@v4",
    )
    first, _ = apply_twice(tmp_path, rule)
    result = only(first)
    assert result.outcome is Outcome.CHANGED
    text = (tmp_path / ".github/workflows/ci.yml").read_text()
    assert text == WORKFLOW.replace("checkout@v3", "checkout@v4")
    (change,) = result.changes
    assert change.path == ".github/workflows/ci.yml"


def test_key_exists_creates_parents_and_keeps_crlf_and_bom(tmp_path: Path) -> None:
    data = '\ufeff{\r\n  "a": 1\r\n}\r\n'.encode()
    make_tree(tmp_path, {"x.json": data})
    apply_twice(tmp_path, KeyExists(name="n", path="x.json", key="b.c", value="d"))
    assert (tmp_path / "x.json").read_bytes() == (
        '\ufeff{\r\n  "a": 1,\r\n  "b": {\r\n    "c": "d"\r\n  }\r\n}\r\n'.encode()
    )


def test_key_not_exists_and_renamed(tmp_path: Path) -> None:
    make_tree(tmp_path, {"p.toml": "[tool.a]\nold = 1  # keep\nx = 2\n"})
    apply_twice(
        tmp_path,
        KeyRenamed(name="r", path="p.toml", key="tool.a.old", new_name="new"),
        KeyNotExists(name="d", path="p.toml", key="tool.a.x"),
        KeyNotExists(name="absent", path="p.toml", key="tool.nothing.here"),
    )
    assert (tmp_path / "p.toml").read_text() == "[tool.a]\nnew = 1  # keep\n"


def test_value_exists_list_and_mapping(tmp_path: Path) -> None:
    make_tree(tmp_path, {"c.yaml": "repos:\n  - a\nenv: {A: 1}\n"})
    apply_twice(
        tmp_path,
        ValueExists(name="l", path="c.yaml", key="repos", value=["a", "b", "b"]),
        ValueExists(name="m", path="c.yaml", key="env", value={"B": 2}),
        ValueExists(name="new", path="c.yaml", key="extra", value="x"),
    )
    assert (tmp_path / "c.yaml").read_text() == (
        "repos:\n  - a\n  - b\nenv: {A: 1, B: 2}\nextra:\n  - x\n"
    )


def test_value_exists_merges_nested_mappings(tmp_path: Path) -> None:
    make_tree(tmp_path, {"p.json": '{"a": {"b": {"c": 1}, "d": 2}}\n'})
    apply_twice(tmp_path, ValueExists(name="m", path="p.json", key="a", value={"b": {"e": 3}}))
    assert (tmp_path / "p.json").read_text() == '{"a": {"b": {"c": 1, "e": 3}, "d": 2}}\n'


def test_value_not_exists(tmp_path: Path) -> None:
    make_tree(tmp_path, {"c.json": '{"l": [1, 2, 1, 3], "m": {"a": 1, "b": 2, "c": 3}}\n'})
    apply_twice(
        tmp_path,
        ValueNotExists(name="l", path="c.json", key="l", value=1),
        ValueNotExists(name="m", path="c.json", key="m", value=["a", "zz"]),
        ValueNotExists(name="mv", path="c.json", key="m", value={"b": 2, "c": 4}),
        ValueNotExists(name="gone", path="c.json", key="nothing", value=1),
    )
    assert (tmp_path / "c.json").read_text() == '{"l": [2, 3], "m": {"c": 3}}\n'


def test_value_rules_refuse_scalars(tmp_path: Path) -> None:
    make_tree(tmp_path, {"c.json": '{"s": "x"}'})
    result = run_one(tmp_path, ValueExists(name="v", path="c.json", key="s", value="y"))
    assert result.outcome is Outcome.FAILED and "single value" in result.error
    assert (tmp_path / "c.json").read_text() == '{"s": "x"}'


def test_yaml_document_selection(tmp_path: Path) -> None:
    text = "kind: Service\n---\nkind: Deployment\nspec:\n  replicas: 1\n"
    make_tree(tmp_path, {"k.yaml": text})
    apply_twice(
        tmp_path, YamlKeyExists(name="r", path="k.yaml", key="spec.replicas", value=2, document=1)
    )
    assert (tmp_path / "k.yaml").read_text() == text.replace("replicas: 1", "replicas: 2")


def test_format_parameter_for_unknown_names(tmp_path: Path) -> None:
    make_tree(tmp_path, {".prettierrc.yml.tmpl": "a: 1\n"})
    apply_twice(
        tmp_path,
        KeyExists(name="f", path=".prettierrc.yml.tmpl", key="b", value=2, format="yaml"),
    )
    assert (tmp_path / ".prettierrc.yml.tmpl").read_text() == "a: 1\nb: 2\n"
    with pytest.raises(ConfigError, match="format="):
        KeyExists(name="f", path="Makefile", key="a", value=1)
    with pytest.raises(ConfigError, match="edits toml files only"):
        TomlKeyExists(name="t", path="x.toml", key="a", value=1, format="yaml")
    with pytest.raises(ConfigError, match="several documents"):
        KeyExists(name="t", path="x.toml", key="a", value=1, document=2)
    with pytest.raises(ConfigError, match="null"):
        TomlKeyExists(name="t", path="x.toml", key="a", value=None)
    with pytest.raises(ConfigError, match="invalid key path"):
        KeyExists(name="t", path="x.toml", key="a..b", value=1)


def test_aliases_fix_the_format(tmp_path: Path) -> None:
    make_tree(tmp_path, {"settings": '{"plugins": ["a"]}'})
    apply_twice(tmp_path, JsonValueExists(name="j", path="settings", key="plugins", value="b"))
    assert (tmp_path / "settings").read_text() == '{"plugins": ["a", "b"]}'
    assert JsonValueExists.id == "json-value-exists"
    assert "format" not in [a["name"] for a in JsonValueExists.arguments()]


def test_pipe_receives_the_path(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a.toml": "x = 1\n"})
    rule = KeyExists(
        name="a",
        path="a.toml",
        key="x",
        value=2,
        pipe=KeyExists(name="b", key="y", value=3),
    )
    apply_twice(tmp_path, rule)
    assert (tmp_path / "a.toml").read_text() == "x = 2\ny = 3\n"


# -- INI rules ------------------------------------------------------------------------------

SETUP_CFG = """\
[metadata]
name = demo

[flake8]
max-line-length = 88
ignore = E203
"""


def test_ini_rules(tmp_path: Path) -> None:
    make_tree(tmp_path, {"setup.cfg": SETUP_CFG})
    apply_twice(
        tmp_path,
        OptionRenamed(
            name="r", path="setup.cfg", section="flake8", option="ignore", new_name="extend-ignore"
        ),
        OptionsExist(
            name="o",
            path="setup.cfg",
            section="flake8",
            options={"max-line-length": 100, "select": "E,W"},
        ),
        OptionsExist(
            name="f",
            path="setup.cfg",
            section="metadata",
            options=[("name", "x")],
        ),
        SectionExists(
            name="s",
            path="setup.cfg",
            section="options",
            target="metadata",
            options={"zip_safe": False},
        ),
        SectionExists(
            name="b", path="setup.cfg", section="first", target="metadata", add_after=False
        ),
    )
    assert (tmp_path / "setup.cfg").read_text() == (
        "[first]\n\n[metadata]\nname = demo\n\n[options]\nzip_safe = false\n\n"
        "[flake8]\nmax-line-length = 88\nextend-ignore = E203\nselect = E,W\n"
    )
    apply_twice(
        tmp_path,
        OptionsExist(
            name="force",
            path="setup.cfg",
            section="flake8",
            options={"max-line-length": 100},
            force_value=True,
        ),
        OptionsNotExist(name="n", path="setup.cfg", section="flake8", options=["select"]),
        SectionNotExists(name="d", path="setup.cfg", section="first"),
        SectionRenamed(name="sr", path="setup.cfg", section="options", new_name="opts"),
    )
    assert (tmp_path / "setup.cfg").read_text() == (
        "[metadata]\nname = demo\n\n[opts]\nzip_safe = false\n\n"
        "[flake8]\nmax-line-length = 100\nextend-ignore = E203\n"
    )


def test_ini_list_values(tmp_path: Path) -> None:
    make_tree(tmp_path, {"tox.ini": "[testenv]\ndeps =\n  pytest\n  coverage\n"})
    apply_twice(
        tmp_path,
        ValueExists(name="a", path="tox.ini", key="testenv.deps", value=["pytest", "mock"]),
        ValueNotExists(name="r", path="tox.ini", key="testenv.deps", value="coverage"),
    )
    assert (tmp_path / "tox.ini").read_text() == "[testenv]\ndeps =\n  pytest\n  mock\n"


# -- bad input ------------------------------------------------------------------------------

BAD = {
    "bad.yaml": b"a: [1\n",
    "bad.json": b'{"a": }',
    "bad.toml": b"a = = 1\n",
    "bad.ini": b"[s]\nk = 1\nk = 2\n",
    "bin.json": b'{"a": "\x00\x01"}',
    "latin.yaml": "a: caf\u00e9\n".encode("latin-1"),
}


@pytest.mark.parametrize("name", [*sorted(BAD), "missing.toml"])
@pytest.mark.parametrize(
    "make",
    [
        lambda p: KeyExists(name="the rule", path=p, key="a", value=2),
        lambda p: KeyNotExists(name="the rule", path=p, key="a"),
        lambda p: KeyRenamed(name="the rule", path=p, key="a", new_name="b"),
        lambda p: ValueExists(name="the rule", path=p, key="a", value=[1]),
        lambda p: ValueNotExists(name="the rule", path=p, key="a", value=1),
    ],
)
def test_malformed_targets_fail_and_stay_untouched(tmp_path: Path, name: str, make: Any) -> None:
    make_tree(tmp_path, BAD)
    before = snapshot(tmp_path)
    result = enforce([_law(make(name))], tmp_path)
    (law,) = result.laws
    (rule,) = law.rules
    assert rule.outcome is Outcome.FAILED
    assert rule.rule == "the rule" and rule.error.startswith(f"{name}: ")
    assert snapshot(tmp_path) == before


def test_error_names_file_and_rule(tmp_path: Path) -> None:
    from hammurabi.core.errors import DocumentError
    from hammurabi.core.workspace import Workspace, activated
    from hammurabi.documents import open_document

    make_tree(tmp_path, BAD)
    with activated(Workspace(tmp_path)) as ws, pytest.raises(DocumentError) as info:
        open_document(ws, "bin.json", "json")
    message = str(info.value.located(law="L", rule="the rule"))
    assert message.startswith("law 'L', rule 'the rule', file bin.json: ")
    assert "binary" in message


def _law(*rules: Rule) -> Any:
    from hammurabi.core.law import Law

    return Law(name="law", description="test", rules=rules)


# -- preconditions --------------------------------------------------------------------------


def test_preconditions(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            "ci.yml": WORKFLOW,
            "setup.cfg": SETUP_CFG,
            "p.toml": "[tool.ruff]\nselect = ['E']\n",
            "p.json": '{"n": 1}',
        },
    )

    def ran(*preconditions: Any) -> bool:
        rule = KeyExists(
            name="r", path="p.json", key="hit", value=True, preconditions=preconditions
        )
        (tmp_path / "p.json").write_text('{"n": 1}')
        return run_one(tmp_path, rule).outcome is Outcome.CHANGED

    assert ran(IsKeyExists(path="ci.yml", key="jobs.test.steps[1].with.python-version"))
    assert not ran(IsKeyExists(path="ci.yml", key="jobs.build"))
    assert ran(IsKeyNotExists(path="ci.yml", key="jobs.build"))
    assert ran(IsKeyNotExists(path="nothere.yml", key="a"))
    assert not ran(IsKeyExists(path="nothere.yml", key="a"))
    assert ran(HasValue(path="ci.yml", key="on.push.branches", contains="main"))
    assert ran(HasValue(path="ci.yml", key="on", contains="push"))
    assert ran(HasValue(path="ci.yml", key="jobs.test.runs-on", equals="ubuntu-latest"))
    assert not ran(HasValue(path="ci.yml", key="jobs.test.runs-on", equals="macos"))
    assert ran(HasValue(path="setup.cfg", key="flake8.max-line-length", equals=88))
    assert ran(HasValue(path="p.toml", key="tool.ruff.select", equals=["E"]))
    assert ran(HasValue(path="p.toml", key="tool.ruff", contains={"select": ["E"]}))
    assert not ran(HasValue(path="p.json", key="n", equals=True))
    with pytest.raises(ConfigError, match="exactly one"):
        HasValue(path="p.json", key="n")


def test_precondition_on_a_broken_file_fails_the_rule(tmp_path: Path) -> None:
    make_tree(tmp_path, {"bad.json": "{", "p.json": "{}"})
    rule = KeyExists(
        name="r",
        path="p.json",
        key="a",
        value=1,
        preconditions=[IsKeyExists(path="bad.json", key="a")],
    )
    result = run_one(tmp_path, rule)
    assert result.outcome is Outcome.FAILED and "bad.json" in result.error
    assert (tmp_path / "p.json").read_text() == "{}"


# -- law files ------------------------------------------------------------------------------

LAW_FILE = """
laws:
  - name: Python tooling
    description: ruff and flake8 settings
    preconditions:
      - is-key-exists: {path: pyproject.toml, key: project.name}
    rules:
      - key-exists:
          name: ruff line length
          path: pyproject.toml
          key: tool.ruff.line-length
          value: 100
      - value-exists:
          name: ruff rules
          path: pyproject.toml
          key: tool.ruff.lint.select
          value: [E, F, I]
          preconditions:
            - has-value: {path: pyproject.toml, key: project.name, equals: demo}
      - key-renamed:
          name: compose
          path: compose.yaml
          key: services.web.links
          new_name: depends_on
      - key-not-exists: {name: no private, path: package.json, key: private}
      - value-not-exists: {name: no lint, path: package.json, key: scripts, value: lint}
      - options-exist:
          name: flake8
          path: setup.cfg
          section: flake8
          options: {max-line-length: 100}
      - section-not-exists: {name: no wheel, path: setup.cfg, section: bdist_wheel}
"""


def test_law_file_uses_document_rules_by_id(tmp_path: Path) -> None:
    registry = Registry.from_plugins(get_plugin_manager())
    laws_path = tmp_path / "laws.yml"
    laws_path.write_text(LAW_FILE)
    laws = load_law_file(laws_path, registry)
    repo = make_tree(
        tmp_path / "repo",
        {
            "pyproject.toml": "[project]\nname = 'demo'  # the name\n",
            "compose.yaml": "services:\n  web:\n    links: [db]\n",
            "package.json": '{\n  "private": true,\n  "scripts": {"lint": "x", "t": "y"}\n}\n',
            "setup.cfg": "[bdist_wheel]\nuniversal = 1\n\n[flake8]\nignore = E203\n",
        },
    )
    first = enforce(laws, repo)
    assert first.outcome is Outcome.CHANGED, first.failures()
    assert (repo / "pyproject.toml").read_text() == (
        "[project]\nname = 'demo'  # the name\n\n[tool.ruff]\nline-length = 100\n\n"
        '[tool.ruff.lint]\nselect = ["E", "F", "I"]\n'
    )
    assert (repo / "compose.yaml").read_text() == "services:\n  web:\n    depends_on: [db]\n"
    assert (repo / "package.json").read_text() == '{\n  "scripts": {"t": "y"}\n}\n'
    assert (repo / "setup.cfg").read_text() == "[flake8]\nignore = E203\nmax-line-length = 100\n"
    before = snapshot(repo)
    second = enforce(laws, repo)
    assert second.outcome is Outcome.UNCHANGED
    assert snapshot(repo) == before


def test_rules_are_listed_with_arguments() -> None:
    registry = Registry.from_plugins(get_plugin_manager())
    for rule_id in ("key-exists", "value-not-exists", "section-exists", "option-renamed"):
        cls = registry.rules[rule_id]
        assert cls.summary() and "Example::" in (cls.__doc__ or "")
    names = [a["name"] for a in registry.rules["key-exists"].arguments()]
    assert names[:4] == ["name", "path", "key", "value"] and "format" in names
    assert "key" not in [a["name"] for a in registry.rules["options-exist"].arguments()]
    for pre in ("is-key-exists", "is-key-not-exists", "has-value"):
        assert registry.preconditions[pre].summary()
