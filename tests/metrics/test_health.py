"""The health score on hand-computed cases (see hammurabi/integrations/metrics/rows.py)."""

from __future__ import annotations

import pytest

from hammurabi.integrations.metrics.rows import health
from tests.metrics.helpers import C, F, S, U, law, rule, run


def test_docstring_example() -> None:
    # A (weight 2): unchanged, changed, skipped; B (weight 1): unchanged -> (2 + 1) / (2 + 2 + 1)
    result = run("r", [law("A", [U, C, S], weight=2), law("B", [U])])
    h = health(result)
    assert h.score == pytest.approx(3 / 5)
    assert (h.rules_compliant, h.rules_total, h.rules_changed, h.rules_skipped) == (2, 3, 1, 1)
    assert (h.laws_compliant, h.laws_total) == (1, 2)
    assert (h.weight_compliant, h.weight_total) == (3.0, 5.0)


def test_all_compliant_is_one_and_nothing_applicable_is_none() -> None:
    assert health(run("r", [law("A", [U] * 4)])).score == 1.0
    skipped = health(run("r", [law("A", [S, S]), law("B", [])]))
    assert skipped.score is None
    assert (skipped.laws_total, skipped.rules_total, skipped.rules_skipped) == (0, 0, 2)


def test_failed_and_changed_are_both_out_of_compliance() -> None:
    h = health(run("r", [law("A", [F, C, U, U])]))
    assert h.score == pytest.approx(2 / 4)
    assert (h.rules_failed, h.rules_changed, h.laws_compliant) == (1, 1, 0)


def test_weights_are_per_law() -> None:
    # A weight 3: 1 of 2 compliant; B weight 1: 2 of 2; C weight 0: 0 of 3 (ignored)
    result = run(
        "r",
        [
            law("A", [U, C], weight=3),
            law("B", [U, U], weight=1),
            law("C", [C] * 3, weight=0),
        ],
    )
    h = health(result)
    assert h.score == pytest.approx((3 + 1 + 1) / (3 + 3 + 1 + 1))
    assert (h.rules_total, h.laws_total, h.laws_compliant) == (7, 3, 1)
    assert health(run("r", [law("C", [C], weight=0)])).score is None


def test_chained_rules_count_like_any_other() -> None:
    chained = rule("parent", U, chain=[rule("child", C), rule("c2", S)])
    a = law("A", [])
    a.rules = [chained]
    h = health(run("r", [a]))
    assert h.score == pytest.approx(1 / 2)
    assert (h.rules_total, h.rules_skipped) == (2, 1)


def test_errors_count_as_one_failed_unit() -> None:
    # Law A (weight 3) stopped by an error before any rule: one failed unit of weight 3.
    broken = law("A", [], weight=3, error="law 'A': cannot parse")
    h = health(run("r", [broken, law("B", [U])]))
    assert h.score == pytest.approx(1 / 4)
    assert (h.rules_failed, h.laws_total, h.laws_compliant) == (1, 2, 1)
    # A run that failed before any law is unhealthy, not unknown.
    assert health(run("r", [], error="clone failed")).score == 0.0
