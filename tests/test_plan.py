"""What a run decides to do with the bot branch, from plain facts (no git, no forge)."""

from __future__ import annotations

import pytest

from hammurabi.orchestration.plan import Decision, Facts, decide

#: A branch built on an older base whose commits make the same change, its pull request open
#: and clean.
MOVED = Facts(
    changed=True,
    exists=True,
    open_pull=True,
    base_moved=True,
    same_change=True,
    merge_state="clean",
)


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
        # On a moved base, the same change, merging cleanly: it stays (CI not restarted)...
        (MOVED, Decision.STAY),
        # ... and so while GitHub has not computed its mergeability (the next run decides);
        (MOVED._replace(merge_state="unknown"), Decision.STAY),
        # it is brought up to date when it conflicts, or is behind a base that requires it;
        (MOVED._replace(merge_state="dirty"), Decision.UPDATE),
        (MOVED._replace(merge_state="behind"), Decision.UPDATE),
        # it is rebuilt when GitHub's word could not be read, its pull request is not open,
        # the base did not move, or its commits do not make the same change.
        (MOVED._replace(merge_state=None), Decision.REBUILD),
        (MOVED._replace(open_pull=False), Decision.REBUILD),
        (MOVED._replace(base_moved=False), Decision.REBUILD),
        (MOVED._replace(same_change=False), Decision.REBUILD),
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
    moved = Asked(changed=True, exists=True, open_pull=True, base_moved=True, same_change=True)
    assert decide(moved) is Decision.REBUILD  # GitHub's word on merging could not be read
    # the forge's pull request, then git's comparisons, then the forge's state: in that order
    assert moved.read[-5:] == ["holds", "open_pull", "base_moved", "same_change", "merge_state"]
    fresh = Asked(changed=True, exists=True, open_pull=True)  # the base did not move
    assert decide(fresh) is Decision.REBUILD and fresh.read[-2:] == ["open_pull", "base_moved"]
