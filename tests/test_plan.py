"""What a run decides to do with the bot branch, from plain facts (no git, no forge)."""

from __future__ import annotations

import pytest

from hammurabi.orchestration.plan import Decision, Facts, decide


@pytest.mark.parametrize(
    ("facts", "decision"),
    [
        # Nothing to change: delete the branch if there is one.
        (Facts(changed=False), Decision.NOTHING),
        (Facts(changed=False, exists=True), Decision.DELETE),
        # A change: create the branch, rebuild it, or keep it when it holds the change.
        (Facts(changed=True), Decision.CREATE),
        (Facts(changed=True, exists=True), Decision.REBUILD),
        (Facts(changed=True, exists=True, holds=True), Decision.KEEP),
        # On a moved base, the same change, merging cleanly: it stays (CI not restarted).
        (Facts(changed=True, exists=True, stays=True), Decision.KEEP),
        # A reviewer closed the pull request proposing this very change: leave it be.
        (Facts(changed=True, exists=True, closed_by_reviewer=True, held=True), Decision.IGNORE),
        # A canary rollout holds the new pull request back.
        (Facts(changed=True, held=True, foreign=True), Decision.HOLD),
        # Others' commits on the branch: blocked, unless Hammurabi's own still hold it...
        (Facts(changed=True, exists=True, foreign=True, holds=True), Decision.BLOCKED),
        (Facts(changed=True, exists=True, foreign=True, ours_hold=True), Decision.KEEP_OURS),
        (Facts(changed=False, exists=True, foreign=True, ours_hold=True), Decision.BLOCKED),
        # ... or the branch may be rebuilt (--rebuild, or the pull request's label).
        (Facts(changed=True, exists=True, foreign=True, rebuild=True), Decision.REBUILD),
        (Facts(changed=False, exists=True, foreign=True, rebuild=True), Decision.DELETE),
    ],
)
def test_the_decision_follows_the_facts(facts: Facts, decision: Decision) -> None:
    assert decide(facts) is decision


class Asked:
    """Facts that count which ones were read: the costly ones are read only when needed."""

    def __init__(self, **values: bool) -> None:
        self.values = values
        self.read: list[str] = []

    def __getattr__(self, name: str) -> bool:
        self.read.append(name)
        return self.values.get(name, False)


def test_only_the_facts_needed_are_read_in_order() -> None:
    nothing = Asked(changed=False)
    assert decide(nothing) is Decision.NOTHING
    assert nothing.read == ["changed", "foreign", "exists"]  # no forge read, no git compare
    proposed = Asked(changed=True, exists=True, holds=True)
    assert decide(proposed) is Decision.KEEP
    assert proposed.read == [
        "changed",
        "closed_by_reviewer",
        "held",
        "foreign",
        "exists",
        "holds",
    ]
    moved = Asked(changed=True, exists=True, stays=True)  # the forge is read only now
    assert decide(moved) is Decision.KEEP and moved.read[-2:] == ["holds", "stays"]
