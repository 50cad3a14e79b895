"""Resource limits: a hostile file or template makes its rule fail, naming the file and the
limit, in bounded time and memory; the run goes on."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hammurabi.core.engine import enforce
from hammurabi.core.errors import RuleError
from hammurabi.core.law import Law
from hammurabi.core.limits import Limits, applied
from hammurabi.core.results import Outcome
from hammurabi.rules.base import Rule
from hammurabi.rules.files import FileExists
from hammurabi.rules.templates import TemplateRendered
from tests.helpers import hammurabi, make_tree, only, run_rules


def alias_bomb() -> str:
    """Nine levels of ten aliases: some 350 bytes that expand to a billion values."""
    lines = ["a: &a [x,x,x,x,x,x,x,x,x,x]"]
    for level in range(1, 9):
        prev, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 10)}]")
    return "\n".join(lines) + "\n"


BOMB_LAWS = """
laws:
  - name: Bomb read
    description: reads the bomb
    rules:
      - value-exists: {name: reads, path: bomb.yml, key: i, value: [y]}
  - name: Bomb asked
    description: asks the bomb
    preconditions:
      - has-value: {path: bomb.yml, key: i, contains: x}
    rules:
      - file-exists: {name: asked, path: asked.txt}
  - name: Others
    description: still run
    rules:
      - file-exists: {name: other, path: other.txt}
"""


def test_a_yaml_alias_bomb_fails_its_rules_quickly(tmp_path: Path) -> None:
    bomb = alias_bomb()
    assert len(bomb.encode()) < 400
    repo = make_tree(tmp_path / "repo", {"bomb.yml": bomb})
    laws = make_tree(tmp_path, {"laws.yml": BOMB_LAWS}) / "laws.yml"
    started = time.perf_counter()
    done = hammurabi("enforce", str(repo), "--laws", str(laws), "-p", "python", "--format", "json")
    assert time.perf_counter() - started < 60  # a bound (no hang), not a benchmark
    assert done.returncode == 1, done.stderr
    assert "bomb.yml" in done.stderr and "limits.yaml_nodes" in done.stderr
    assert (repo / "bomb.yml").read_text() == bomb and (repo / "other.txt").exists()


def test_aliases_within_the_limit_still_read(tmp_path: Path) -> None:
    repo = make_tree(tmp_path / "repo", {"ci.yml": "base: &b {image: py}\njob: *b\n"})
    from hammurabi.rules.documents import KeyExists

    rule = KeyExists(name="v", path="ci.yml", key="job.image", value="py")
    assert only(run_rules(repo, rule)).outcome is Outcome.UNCHANGED


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'a' * 10**9 }}",
        "{{ 2 ** (10 ** 10) }}",
        "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
    ],
)
def test_template_output_is_limited(tmp_path: Path, source: str) -> None:
    repo = make_tree(tmp_path / "repo", {"t.j2": source})
    started = time.perf_counter()
    rule = only(run_rules(repo, TemplateRendered(name="t", path="out.txt", template="t.j2")))
    assert time.perf_counter() - started < 60
    assert rule.outcome is Outcome.FAILED and "limits.template_bytes" in (rule.error or "")
    assert "out.txt" in (rule.error or "") and not (repo / "out.txt").exists()


def test_files_over_the_size_limit_fail_naming_file_and_limit(tmp_path: Path) -> None:
    big = "key: value\n" + "# filler line\n" * 100_000
    repo = make_tree(tmp_path / "repo", {"big.yml": big, "big.txt": big})
    laws = tmp_path / "laws.yml"
    laws.write_text(
        "laws:\n  - name: Big\n    description: d\n    rules:\n"
        "      - key-exists: {name: k, path: big.yml, key: other, value: 1}\n"
        "      - line-exists: {name: l, path: big.txt, text: more}\n"
    )
    env = {"HAMMURABI_LIMITS_FILE_BYTES": "1000000"}
    done = hammurabi("enforce", str(repo), "--laws", str(laws), "-p", "python", env=env)
    assert done.returncode == 1
    assert "big.yml" in done.stderr and "limits.file_bytes" in done.stderr
    assert (repo / "big.yml").read_text() == big and (repo / "big.txt").read_text() == big


class Stuck(Rule):
    """Writes a file, then never ends (and swallows every exception)."""

    tracked = True

    def task(self) -> None:
        self.workspace.write_bytes("half.txt", b"half done\n")
        while True:
            try:  # noqa: SIM105 - a hostile rule swallowing every error
                time.sleep(10)
            except Exception:
                pass


def test_a_rule_past_its_time_limit_fails_rolled_back_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    repo = make_tree(tmp_path / "repo", {"a.txt": "a\n"})
    laws = [
        Law(name="Stuck", description="d", rules=(Stuck(name="stuck"),)),
        Law(name="Next", description="d", rules=(FileExists(name="n", path="next.txt"),)),
    ]
    started = time.perf_counter()
    with applied(Limits(rule_seconds=0.5)):
        result = enforce(laws, repo)
    assert time.perf_counter() - started < 30
    stuck, after = result.laws
    (rule,) = stuck.rules
    assert rule.outcome is Outcome.FAILED and "limits.rule_seconds" in (rule.error or "")
    assert not (repo / "half.txt").exists()
    assert after.outcome is Outcome.CHANGED and (repo / "next.txt").exists()


def test_limit_errors_are_rule_errors() -> None:
    from hammurabi.core.limits import LimitError

    assert issubclass(LimitError, RuleError)


def test_a_yaml_file_with_too_many_nodes_fails_before_it_is_all_read(tmp_path: Path) -> None:
    from hammurabi.rules.documents import KeyExists

    dense = "".join(f"k{i}: [a, b, c]\n" for i in range(3000))  # 15 000 nodes
    repo = make_tree(tmp_path / "repo", {"dense.yml": dense})
    rule = KeyExists(name="k", path="dense.yml", key="new", value=1)
    with applied(Limits(yaml_nodes=10_000)):
        result = only(run_rules(repo, rule))
    assert result.outcome is Outcome.FAILED and "dense.yml" in (result.error or "")
    assert "limits.yaml_nodes" in (result.error or "")
    assert only(run_rules(repo, rule)).outcome is Outcome.CHANGED  # the default allows it


def test_a_law_precondition_past_the_time_limit_fails_its_law_only(tmp_path: Path) -> None:
    from hammurabi.preconditions.base import Precondition

    class Forever(Precondition):
        def task(self) -> bool:
            while True:
                time.sleep(10)

    repo = make_tree(tmp_path / "repo", {"a.txt": "a\n"})
    laws = [
        Law(
            name="Waits",
            description="d",
            rules=(FileExists(name="w", path="w.txt"),),
            preconditions=[Forever(name="forever")],
        ),
        Law(name="Next", description="d", rules=(FileExists(name="n", path="next.txt"),)),
    ]
    with applied(Limits(rule_seconds=0.5)):
        waits, after = enforce(laws, repo).laws
    assert waits.outcome is Outcome.FAILED and "limits.rule_seconds" in (waits.error or "")
    assert "a precondition of the law" in (waits.error or "") and not (repo / "w.txt").exists()
    assert after.outcome is Outcome.CHANGED
