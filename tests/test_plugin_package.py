"""The first-party hammurabi-python plugin, installed and used through entry points."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

from hammurabi.loading.plugins import get_plugin_manager
from hammurabi.loading.registry import Registry
from tests.helpers import hammurabi, make_tree


def test_installed_through_entry_points() -> None:
    eps = {ep.name: ep for ep in metadata.entry_points(group="hammurabi")}
    assert eps["python"].value == "hammurabi_python"
    assert eps["python"].dist is not None and eps["python"].dist.name == "hammurabi-python"
    registry = Registry.from_plugins(get_plugin_manager())
    assert registry.preconditions["has-stack"].__module__ == "hammurabi_python.preconditions"


def test_plugin_laws_run_by_default(tmp_path: Path) -> None:
    repo = make_tree(
        tmp_path, {"gunicorn.conf.py": 'worker_class = "sync"\n', "service.yml": "stack: python\n"}
    )
    result = hammurabi("enforce", str(repo), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [law["name"] for law in data["laws"]] == [
        "Gunicorn uses gevent workers",
        "Python build artifacts are ignored",
    ]
    assert (repo / "gunicorn.conf.py").read_text() == 'worker_class = "gevent"\n'
    assert (repo / ".gitignore").read_text() == "__pycache__/\n*.pyc\n"
    assert hammurabi("check", str(repo)).returncode == 0


def test_plugin_laws_skip_other_stacks(tmp_path: Path) -> None:
    repo = make_tree(
        tmp_path, {"gunicorn.conf.py": 'worker_class = "sync"\n', "service.yml": "stack: scala\n"}
    )
    result = hammurabi("enforce", str(repo), "--format", "json")
    assert [law["outcome"] for law in json.loads(result.stdout)["laws"]] == ["skipped", "skipped"]
    assert not (repo / ".gitignore").exists()


def test_has_stack_in_a_law_file(tmp_path: Path) -> None:
    repo = make_tree(tmp_path / "repo", {"service.yml": "stack: python\n"})
    laws = tmp_path / "laws.yml"
    laws.write_text(
        "laws:\n  - name: owners\n    description: d\n"
        "    preconditions:\n      - has-stack: {stacks: [python, go]}\n"
        '    rules:\n      - file-exists: {name: owners, path: CODEOWNERS, content: "* @a\\n"}\n'
    )
    assert hammurabi("enforce", str(repo), "--laws", str(laws)).returncode == 0
    assert (repo / "CODEOWNERS").read_text() == "* @a\n"
    broken = tmp_path / "broken.yml"
    broken.write_text(laws.read_text().replace("{stacks: [python, go]}", "{}"))
    result = hammurabi("enforce", str(repo), "--laws", str(broken))
    assert result.returncode == 2
    assert "required argument is missing" in result.stderr


def test_disabled_plugin_types_are_unknown(tmp_path: Path) -> None:
    laws = tmp_path / "laws.yml"
    laws.write_text(
        "laws:\n  - name: x\n    preconditions: [{has-stack: {stacks: [a]}}]\n    rules: []\n"
    )
    result = hammurabi("enforce", str(tmp_path), "--laws", str(laws), "-p", "python")
    assert result.returncode == 2
    assert "unknown precondition id 'has-stack'" in result.stderr
