"""The CI examples, the composite action and the pre-commit manifest use real CLI options.

Every ``hammurabi ...`` command line in them is parsed and each option checked against the
command's own parameters, so renaming an option cannot silently break them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from hammurabi.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "examples" / "ci").glob("*.yml"))


def commands() -> dict[str, Any]:
    """The CLI's commands (click commands, as vendored by Typer) by name."""
    group: Any = typer.main.get_command(app)
    return dict(group.commands)


def options(command: Any) -> set[str]:
    return {name for param in command.params for name in (*param.opts, *param.secondary_opts)}


def runs(node: Any) -> Iterator[str]:
    """Every ``run:`` script in a workflow or action."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "run" and isinstance(value, str):
                yield value
            else:
                yield from runs(value)
    elif isinstance(node, list):
        for item in node:
            yield from runs(item)


def invocations(script: str) -> list[list[str]]:
    """The argument lists of the ``hammurabi`` commands in a shell script."""
    script = re.sub(r"\$\{\{.*?\}\}", "EXPR", script)
    script = re.sub(r"\\\n", " ", script)
    found = []
    for line in script.splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "hammurabi":
            found.append(words[1:])
    return found


def check_invocation(words: list[str], known: dict[str, Any]) -> str:
    """Assert the command and every option exist; return the command's name."""
    name = words[0]
    assert name in known, f"unknown command {name!r}"
    command, rest = known[name], words[1:]
    while hasattr(command, "commands"):  # a group (``report merge``): its subcommand
        assert rest and rest[0] in command.commands, f"{name} has no command {rest[:1]}"
        name = f"{name} {rest[0]}"
        command, rest = command.commands[rest[0]], rest[1:]
    accepted = options(command)
    for word in rest:
        if word.startswith("-") and not word.startswith("$"):
            assert word.split("=", 1)[0] in accepted, f"{name} has no option {word}"
    return name


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_use_real_options(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    assert workflow["jobs"] and workflow[True]  # YAML 1.1 reads the key `on` as True
    known = commands()
    used = [check_invocation(words, known) for s in runs(workflow) for words in invocations(s)]
    assert used, f"{path.name} runs no hammurabi command"


def test_single_repository_workflow_checks_pull_requests_and_enforces_on_schedule() -> None:
    workflow = yaml.safe_load((ROOT / "examples/ci/single-repository.yml").read_text())
    triggers = workflow[True]
    assert "pull_request" in triggers and "schedule" in triggers
    check = [w[0] for s in runs(workflow["jobs"]["check"]) for w in invocations(s)]
    enforce = [w[0] for s in runs(workflow["jobs"]["enforce"]) for w in invocations(s)]
    assert check == ["check"] and enforce == ["enforce"]


def test_fleet_workflow_shards_with_a_matrix() -> None:
    workflow = yaml.safe_load((ROOT / "examples/ci/fleet.yml").read_text())
    job = workflow["jobs"]["enforce"]
    shards = job["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1))
    (words,) = [w for s in runs(job) for w in invocations(s)]
    assert words[0] == "enforce" and "--shard" in words and "--org" in words
    # The last job joins the shards' JSON reports, whatever became of the shards.
    merge = workflow["jobs"]["report"]
    assert list(workflow["jobs"]) == ["enforce", "report"]  # it ends with the merge
    assert merge["needs"] == "enforce" and "always()" in merge["if"]
    (words,) = [w for s in runs(merge) for w in invocations(s)]
    assert words[:2] == ["report", "merge"] and "--report" in words
    uploaded = next(
        s["with"]["name"] for s in job["steps"] if "upload-artifact" in s.get("uses", "")
    )
    downloaded = next(s for s in merge["steps"] if "download-artifact" in s.get("uses", ""))
    assert downloaded["with"]["pattern"].rstrip("*") == uploaded.split("$")[0]


def test_composite_action() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert action["inputs"]["command"]["default"] in ("check", "enforce")
    (script,) = [s for s in runs(action) if "hammurabi " in s]
    # The command is a variable there; the options the script adds must exist on both.
    known = commands()
    for name in ("check", "enforce"):
        assert {"--laws"} <= options(known[name])
    for step in action["runs"]["steps"]:
        for value in (step.get("env") or {}).values():
            for ref in re.findall(r"inputs\.([\w-]+)", str(value)):
                assert ref in action["inputs"], ref
        assert "${{ inputs." not in str(step.get("run", "")), "inputs go through env only"
    assert "--laws" in script
    # Safe default: the repository's own settings never run its code (SECURITY.md).
    assert action["inputs"]["trust-repository"]["default"] == "false"
    assert "--no-trust-repository" in script


def test_pre_commit_hooks() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "hammurabi-check" and hook["pass_filenames"] is False
    words = shlex.split(hook["entry"])
    assert words[0] == "hammurabi" and check_invocation(words[1:], commands()) == "check"
    assert "--no-trust-repository" in words  # the safe default (SECURITY.md)
