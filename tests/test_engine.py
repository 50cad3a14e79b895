"""The rule lifecycle, chains, laws and runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hammurabi import (
    All,
    ConfigError,
    IsDirectoryExists,
    IsDirectoryNotExists,
    IsFileExists,
    IsFileNotExists,
    IsLineExist,
    IsLineExists,
    IsLineNotExists,
    Law,
    LineExists,
    Not,
    Outcome,
    Pillar,
    Precondition,
    Rule,
)
from hammurabi import (
    Any as AnyOf,
)
from hammurabi.core.engine import enforce
from tests.helpers import make_tree, only, run_rules, snapshot

calls: list[str] = []


class Recorder(Rule):
    """Records its lifecycle and returns a value derived from its input."""

    def pre_task_hook(self) -> None:
        calls.append(f"{self.name}:pre({self.param})")

    def task(self) -> Any:
        calls.append(f"{self.name}:task")
        return f"{self.name}-out"

    def post_task_hook(self) -> None:
        calls.append(f"{self.name}:post")


class Answer(Precondition):
    def __init__(self, answer: bool, **kwargs: Any) -> None:
        super().__init__(param=answer, **kwargs)

    def task(self) -> bool:
        calls.append(f"{self.name}?")
        return self.param


class Boom(Rule):
    def task(self) -> None:
        raise ValueError("kaput")


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()


def test_lifecycle_pipe_and_children(tmp_path: Path) -> None:
    rule = Recorder(
        name="root",
        param="in",
        preconditions=[Answer(True, name="yes")],
        pipe=Recorder(name="pipe", pipe=Recorder(name="pipe2")),
        children=[Recorder(name="child1"), Recorder(name="child2")],
    )
    result = only(run_rules(tmp_path, rule))
    assert calls == [
        "yes?",
        "root:pre(in)",
        "root:task",
        "root:post",
        "pipe:pre(root-out)",
        "pipe:task",
        "pipe:post",
        "pipe2:pre(pipe-out)",
        "pipe2:task",
        "pipe2:post",
        "child1:pre(root-out)",
        "child1:task",
        "child1:post",
        "child2:pre(root-out)",
        "child2:task",
        "child2:post",
    ]
    assert [r.rule for r in result.walk()] == ["root", "pipe", "pipe2", "child1", "child2"]
    assert all(r.outcome is Outcome.UNCHANGED for r in result.walk())


def test_failing_precondition_skips_rule_and_chain(tmp_path: Path) -> None:
    rule = Recorder(
        name="root",
        preconditions=[Answer(True, name="a"), Answer(False, name="b")],
        pipe=Recorder(name="pipe"),
        children=[Recorder(name="child")],
    )
    result = only(run_rules(tmp_path, rule))
    assert calls == ["a?", "b?"]
    assert result.outcome is Outcome.SKIPPED
    assert result.reason == "precondition 'b' not met"
    assert [r.outcome for r in result.walk()] == [Outcome.SKIPPED] * 3


def test_failing_rule_skips_chain_and_other_laws_run(tmp_path: Path) -> None:
    laws = [
        Law(name="broken", description="", rules=[Boom(name="boom", pipe=Recorder(name="p"))]),
        Law(name="fine", description="", rules=[Recorder(name="ok")]),
    ]
    result = enforce(laws, tmp_path)
    assert [law.outcome for law in result.laws] == [Outcome.FAILED, Outcome.UNCHANGED]
    assert result.outcome is Outcome.FAILED
    boom = result.laws[0].rules[0]
    assert boom.error == "ValueError: kaput"
    assert boom.chain[0].outcome is Outcome.SKIPPED
    assert "ok:task" in calls


def test_law_precondition_skips_law(tmp_path: Path) -> None:
    law = Law(
        name="l",
        description="d",
        rules=[Recorder(name="r")],
        preconditions=[Answer(False, name="never")],
    )
    result = enforce([law], tmp_path)
    assert result.laws[0].outcome is Outcome.SKIPPED
    assert result.laws[0].reason == "precondition 'never' not met"
    assert calls == ["never?"]


def test_precondition_error_fails_rule(tmp_path: Path) -> None:
    make_tree(tmp_path, {"bin": b"\x00\x00"})
    rule = LineExists(
        name="r",
        path="f",
        text="x",
        create=True,
        preconditions=[IsLineExists(path="bin", criteria="x")],
    )
    result = only(run_rules(tmp_path, rule))
    assert result.outcome is Outcome.FAILED and "binary" in (result.error or "")


def test_builtin_preconditions(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": "worker_class = 'gevent'\n", "d/x": ""})
    cases = {
        "file": (IsFileExists(path="f"), True),
        "no file": (IsFileNotExists(path="f"), False),
        "dir is not a file": (IsFileExists(path="d"), False),
        "dir": (IsDirectoryExists(path="d"), True),
        "no dir": (IsDirectoryNotExists(path="nope"), True),
        "line": (IsLineExists(path="f", criteria="^worker_class"), True),
        "alias": (IsLineExist(path="f", criteria="gevent"), True),
        "not line": (IsLineNotExists(path="f", criteria="sync"), True),
        "missing file has no line": (IsLineExists(path="missing", criteria="x"), False),
        "missing file: line not exists": (IsLineNotExists(path="missing", criteria="x"), True),
        "all": (All(IsFileExists(path="f"), IsDirectoryExists(path="d")), True),
        "all short-circuits": (All(IsFileExists(path="nope"), IsDirectoryExists(path="d")), False),
        "any": (AnyOf(IsFileExists(path="nope"), IsDirectoryExists(path="d")), True),
        "any empty": (AnyOf(), False),
        "not": (Not(IsFileExists(path="nope")), True),
    }
    rules = [Recorder(name=name, preconditions=[pre]) for name, (pre, _) in cases.items()]
    result = enforce([Law(name="l", description="", rules=rules)], tmp_path)
    got = {r.rule: r.outcome is not Outcome.SKIPPED for r in result.laws[0].rules}
    assert got == {name: expected for name, (_, expected) in cases.items()}


def test_precondition_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="bad regular expression"):
        IsLineExists(path="f", criteria="[")
    with pytest.raises(ConfigError):
        IsFileExists(path=None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        Not("nope")  # type: ignore[arg-type]


def test_law_validation() -> None:
    with pytest.raises(ConfigError, match="no path and no upstream"):
        Law(name="l", description="", rules=[LineExists(name="r", text="x")])
    with pytest.raises(ConfigError, match="is not a Rule"):
        Law(name="l", description="", rules=["nope"])  # type: ignore[list-item]
    pillar = Pillar()
    pillar.register(Law(name="same", description="", rules=[]))
    with pytest.raises(ConfigError, match="registered twice"):
        pillar.register(Law(name="same", description="", rules=[]))


class SelfWriter(Rule):
    """A custom rule that writes files itself, not through the workspace."""

    def task(self) -> None:
        Path("custom.txt").write_text("written by hand\n")
        Path("existing.txt").write_text("modified\n")


def test_dry_run_changes_nothing_even_for_custom_rules(tmp_path: Path) -> None:
    make_tree(tmp_path, {"existing.txt": "original\n"})
    before = snapshot(tmp_path)
    result = run_rules(
        tmp_path,
        SelfWriter(name="self"),
        LineExists(name="l", path="x", text="y", create=True),
        dry_run=True,
    )
    assert snapshot(tmp_path) == before
    assert result.dry_run
    assert result.files == ["custom.txt", "existing.txt", "x"]
    assert "+written by hand" in result.diff and "-original" in result.diff
    custom = result.laws[0].rules[0]
    assert custom.outcome is Outcome.CHANGED and custom.files == ["custom.txt", "existing.txt"]


def test_custom_rule_diff_without_dry_run(tmp_path: Path) -> None:
    make_tree(tmp_path, {"existing.txt": "original\n"})
    result = only(run_rules(tmp_path, SelfWriter(name="self")))
    assert result.outcome is Outcome.CHANGED
    assert "-original\n+modified" in result.diff


def test_law_changes_are_net(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": "a\n"})
    result = run_rules(
        tmp_path, LineExists(name="b", path="f", text="b"), LineExists(name="c", path="f", text="c")
    )
    law = result.laws[0]
    assert law.files == ["f"]
    assert law.diff.count("\n@@ ") == 1 and "+b\n+c" in law.diff
    assert result.to_dict()["laws"][0]["rules"][1]["files"] == ["f"]


def test_pillar_enforce(tmp_path: Path) -> None:
    pillar = Pillar()
    pillar.register(
        Law(name="l", description="", rules=[LineExists(name="r", path="f", text="x", create=True)])
    )
    assert pillar.enforce(tmp_path).changed
    assert not pillar.enforce(tmp_path).changed
