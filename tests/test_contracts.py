"""Contracts every plugin-facing piece keeps: documented hooks, listed types, idempotent rules."""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path
from typing import Any

import pytest

import hammurabi
from hammurabi.core.engine import enforce
from hammurabi.core.law import Law
from hammurabi.core.results import Outcome
from hammurabi.loading import hookspecs
from hammurabi.loading.plugins import get_plugin_manager
from hammurabi.loading.registry import Registry
from tests.helpers import make_tree, snapshot

REGISTRY = Registry.from_plugins(get_plugin_manager(disabled=["python"]))

#: For every built-in rule id: the files it starts from and the arguments of one rule.
IDEMPOTENCY: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "line-exists": ({"f": "a\n"}, {"path": "f", "text": "b", "after": "a"}),
    "line-not-exists": ({"f": "a\nb\n"}, {"path": "f", "text": "b"}),
    "line-replaced": ({"f": "a = 1\n"}, {"path": "f", "target": "^a =", "text": "a = 2"}),
    "block-exists": ({"f": "a\n"}, {"path": "f", "block": "x\ny"}),
    "block-not-exists": (
        {"f": "# BEGIN HAMMURABI MANAGED BLOCK\nx\n# END HAMMURABI MANAGED BLOCK\n"},
        {"path": "f"},
    ),
    "file-exists": ({}, {"path": "d/f", "content": "x\n"}),
    "files-exist": ({}, {"paths": ["a", "b"]}),
    "file-not-exists": ({"f": "x"}, {"path": "f"}),
    "files-not-exist": ({"a": "", "b": ""}, {"paths": ["a", "b"]}),
    "file-emptied": ({"f": "x"}, {"path": "f"}),
    "directory-exists": ({}, {"path": "d/e"}),
    "directory-not-exists": ({"d/f": "x"}, {"path": "d"}),
    "directory-emptied": ({"d/f": "x", "d/e/g": "y"}, {"path": "d"}),
    "copied": ({"s/f": "x"}, {"path": "s", "destination": "t"}),
    "moved": ({"s/f": "x"}, {"path": "s", "destination": "t/u"}),
    "renamed": ({"f": "x"}, {"path": "f", "new_name": "g"}),
    "mode-changed": ({"f": "x"}, {"path": "f", "mode": "0755"}),
    "owner-changed": ({"f": "x"}, {"path": "f", "owner": 0, "group": 0}),
    "template-rendered": (
        {"t/x.j2": "hi {{ who }}\n"},
        {"path": "out", "template": "x.j2", "template_dir": "t", "context": {"who": "you"}},
    ),
    # structured documents
    "key-exists": ({"f.yaml": "a: 1\n"}, {"path": "f.yaml", "key": "b.c", "value": [1]}),
    "key-not-exists": ({"f.json": '{"a": 1, "b": 2}\n'}, {"path": "f.json", "key": "a"}),
    "key-renamed": ({"f.toml": "a = 1\n"}, {"path": "f.toml", "key": "a", "new_name": "b"}),
    "value-exists": ({"f.yaml": "l: [x]\n"}, {"path": "f.yaml", "key": "l", "value": ["x", "y"]}),
    "value-not-exists": (
        {"f.json": '{"l": ["x", "y"]}'},
        {"path": "f.json", "key": "l", "value": "x"},
    ),
    "section-exists": ({"f.cfg": "[a]\n"}, {"path": "f.cfg", "section": "b", "options": {"k": 1}}),
    "section-not-exists": ({"f.cfg": "[a]\nk = 1\n[b]\n"}, {"path": "f.cfg", "section": "a"}),
    "section-renamed": ({"f.cfg": "[a]\n"}, {"path": "f.cfg", "section": "a", "new_name": "b"}),
    "options-exist": ({"f.ini": "[a]\n"}, {"path": "f.ini", "section": "a", "options": {"k": "v"}}),
    "options-not-exist": (
        {"f.ini": "[a]\nk = v\n"},
        {"path": "f.ini", "section": "a", "options": ["k"]},
    ),
    "option-renamed": (
        {"f.ini": "[a]\nk = v\n"},
        {"path": "f.ini", "section": "a", "option": "k", "new_name": "n"},
    ),
}
#: Rules that cannot be checked generically here, with the test that covers them.
COVERED_ELSEWHERE = {
    "command-run": "tests/rules/test_commands.py (opt-in, runs a real command)",
}


def test_every_hook_is_documented_and_prefixed() -> None:
    hooks = [name for name, fn in vars(hookspecs).items() if hasattr(fn, "hammurabi_spec")]
    assert hooks
    for name in hooks:
        assert name.startswith("hammurabi_"), name
        assert inspect.getdoc(getattr(hookspecs, name)), f"{name} has no docstring"


@pytest.mark.parametrize("kind", ["rules", "preconditions"])
def test_every_type_is_listed_with_summary(kind: str) -> None:
    types = getattr(REGISTRY, kind)
    for type_id, cls in types.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", type_id), type_id
        assert cls.summary(), f"{type_id} has no docstring summary"
        assert cls.arguments()[0]["name"] in {"name", "path", "preconditions"} or kind


def test_public_api() -> None:
    for name in hammurabi.__all__:
        assert getattr(hammurabi, name) is not None
    from hammurabi import IsLineNotExists, Law, LineReplaced, Pillar  # noqa: F401
    from hammurabi.preconditions.base import Precondition  # noqa: F401


def test_every_rule_has_an_idempotency_case() -> None:
    missing = set(REGISTRY.rules) - set(IDEMPOTENCY) - set(COVERED_ELSEWHERE)
    assert not missing, f"add idempotency cases for: {sorted(missing)}"


@pytest.mark.parametrize("rule_id", sorted(IDEMPOTENCY))
def test_rule_is_idempotent(tmp_path: Path, rule_id: str) -> None:
    if rule_id not in REGISTRY.rules:
        pytest.skip(f"{rule_id} is not registered")
    files, args = IDEMPOTENCY[rule_id]
    make_tree(tmp_path, files)
    if rule_id == "mode-changed":
        os.chmod(tmp_path / "f", 0o644)
    law = Law(name="l", description="", rules=[REGISTRY.rules[rule_id](name=rule_id, **args)])
    first = enforce([law], tmp_path)
    assert first.outcome is not Outcome.FAILED, first.failures()
    before = snapshot(tmp_path)
    second = enforce([law], tmp_path)
    assert snapshot(tmp_path) == before
    assert [r.outcome for r in second.walk()] == [Outcome.UNCHANGED], second.to_json()
