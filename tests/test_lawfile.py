"""YAML law files: building laws by id, and one-line errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hammurabi import LawFileError, Outcome
from hammurabi.core.engine import enforce
from hammurabi.loading.lawfile import load_law_file
from hammurabi.loading.plugins import get_plugin_manager
from hammurabi.loading.registry import Registry
from tests.helpers import make_tree


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_plugins(get_plugin_manager())


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "laws.yml"
    path.write_text(text)
    return path


GOOD = r"""
laws:
  - name: Gunicorn
    description: Gunicorn settings
    weight: 2
    preconditions:
      - all:
          - is-file-exists: {path: gunicorn.conf.py}
          - not: {is-file-exists: {path: disabled}}
    rules:
      - line-replaced:
          name: gevent
          path: gunicorn.conf.py
          target: '^(\s+)?worker_class\ =\ .*'
          text: 'worker_class = "gevent"'
          pipe:
            line-exists: {name: timeout, text: "timeout = 30"}
          children:
            - id: line-exists
              name: keepalive
              text: "keepalive = 5"
      - id: file-exists
        path: CODEOWNERS
        preconditions:
          - any: [{is-file-exists: {path: nope}}, {is-directory-exists: {path: .}}]
"""


def test_good_law_file(tmp_path: Path, registry: Registry) -> None:
    laws = load_law_file(write(tmp_path, GOOD), registry)
    assert [law.name for law in laws] == ["Gunicorn"]
    assert laws[0].weight == 2
    repo = make_tree(tmp_path / "repo", {"gunicorn.conf.py": "worker_class = 'sync'\n"})
    result = enforce(laws, repo)
    assert result.outcome is Outcome.CHANGED
    assert (repo / "gunicorn.conf.py").read_text() == (
        'worker_class = "gevent"\ntimeout = 30\nkeepalive = 5\n'
    )
    assert (repo / "CODEOWNERS").exists()
    assert [r.rule for r in result.walk()] == [
        "gevent",
        "timeout",
        "keepalive",
        "file-exists CODEOWNERS",
    ]
    assert not enforce(laws, repo).changed


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "laws:\n  - name: x\n    rules:\n      - line-exits: {path: f, text: x}\n",
            4,
            "unknown rule id 'line-exits' (did you mean 'line-exists'?)",
        ),
        (
            "laws:\n  - name: x\n    rules:\n      - line-exists:\n          path: f\n",
            4,
            "missing a required argument: text",
        ),
        (
            "laws:\n  - name: x\n    rules:\n"
            "      - line-replaced: {name: r, path: f, target: '(', text: x}\n",
            4,
            "bad regular expression for target '('",
        ),
        (
            "laws:\n  - name: x\n    rules:\n"
            "      - line-exists: {name: r, path: f, text: x, colour: red}\n",
            4,
            "unknown argument(s): colour",
        ),
        (
            "laws:\n  - name: x\n    rules: []\n"
            "    preconditions:\n      - is-fiel-exists: {path: f}\n",
            5,
            "unknown precondition id 'is-fiel-exists'",
        ),
        (
            "laws:\n  - name: x\n    rules:\n      - line-exists: {text: x}\n",
            2,
            "has no path and no upstream rule",
        ),
        ("laws:\n  - name: x\n    rules: [\n", 4, "invalid YAML"),
        ("laws:\n  - name: x\n    name: y\n    rules: []\n", 3, "duplicate key 'name'"),
        ("laws:\n  - name: x\n    rule: []\n", 2, "unknown law key(s): rule"),
        ("laws:\n  - description: x\n    rules: []\n", 2, "law is missing 'name'"),
        ("laws:\n  - {name: a, rules: []}\n  - {name: a, rules: []}\n", 1, "defined twice"),
    ],
)
def test_broken_law_files(
    tmp_path: Path, registry: Registry, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(LawFileError) as info:
        load_law_file(path, registry)
    error = str(info.value)
    assert error.startswith(f"{path}:{line}: "), error
    assert message in error
    assert "\n" not in error


def test_empty_law_file(tmp_path: Path, registry: Registry) -> None:
    assert load_law_file(write(tmp_path, "# nothing yet\n"), registry) == []
