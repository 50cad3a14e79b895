"""The health score of one repository run: how much of what applies is already in place.

A rule result is *applicable* unless it was skipped; an applicable result is *compliant* when
the rule found nothing to change (``unchanged``). A rule that had to change something (or, in a
dry run, would have) or that failed is out of compliance. Each result weighs as much as its
law (``Law.weight``, default 1), so::

    score = sum(weight of compliant results) / sum(weight of applicable results)

in [0, 1], or ``None`` when nothing applied (every law skipped, or every weight 0). Chained
rules count like any other. An error that stopped a whole law (or the whole run, before any
law) counts as one applicable result out of compliance, with the law's weight (1 for the run),
so a crash never looks healthy. A law is compliant when it has applicable results and all of
them are compliant.

Example: law A (weight 2) with rules unchanged, changed, skipped and law B (weight 1) with one
unchanged rule give ``(2 + 1) / (2 + 2 + 1) = 0.6``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hammurabi.core.results import LawResult, Outcome, RunResult


def compliance(outcome: Outcome) -> bool | None:
    """Return whether a result with ``outcome`` complies (None: it does not apply)."""
    if outcome is Outcome.SKIPPED:
        return None
    return outcome is Outcome.UNCHANGED


@dataclass(frozen=True)
class Health:
    """The health of one repository run (see the module docstring for the formula)."""

    score: float | None
    laws_compliant: int
    laws_total: int
    rules_compliant: int
    rules_total: int
    rules_changed: int
    rules_failed: int
    rules_skipped: int
    weight_compliant: float
    weight_total: float


def law_units(law: LawResult) -> list[tuple[Outcome, float]]:
    """Return the law's results as (outcome, weight), plus a failed unit for a law error."""
    units = [(result.outcome, law.weight) for result in law.walk()]
    if law.error:
        units.append((Outcome.FAILED, law.weight))
    return units


def health(result: RunResult) -> Health:
    """Compute the health of one repository run."""
    counts = {outcome: 0 for outcome in Outcome}
    weight_compliant = weight_total = 0.0
    laws_compliant = laws_total = 0
    for law in result.laws:
        units = law_units(law)
        applicable = [ok for outcome, _ in units if (ok := compliance(outcome)) is not None]
        if applicable:
            laws_total += 1
            laws_compliant += all(applicable)
        for outcome, weight in units:
            counts[outcome] += 1
            ok = compliance(outcome)
            if ok is not None:
                weight_total += weight
                weight_compliant += weight if ok else 0.0
    if result.error and not result.laws:
        counts[Outcome.FAILED] += 1
        weight_total += 1.0
    rules_total = counts[Outcome.UNCHANGED] + counts[Outcome.CHANGED] + counts[Outcome.FAILED]
    return Health(
        score=weight_compliant / weight_total if weight_total > 0 else None,
        laws_compliant=laws_compliant,
        laws_total=laws_total,
        rules_compliant=counts[Outcome.UNCHANGED],
        rules_total=rules_total,
        rules_changed=counts[Outcome.CHANGED],
        rules_failed=counts[Outcome.FAILED],
        rules_skipped=counts[Outcome.SKIPPED],
        weight_compliant=weight_compliant,
        weight_total=weight_total,
    )
