"""A repository run's rows: its rules, its health, its campaign stage and the run's row.

The health score says how much of what applies is already in place. A rule result is
*applicable* unless it was skipped; an applicable result is *compliant* when the rule found
nothing to change (``unchanged``). A rule that had to change something (or, in a dry run,
would have) or that failed is out of compliance. Each result weighs as much as its law
(``Law.weight``, default 1), so::

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

import socket
from collections import Counter, OrderedDict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from hammurabi.core.results import CHANGING, Outcome, RunResult, combine
from hammurabi.integrations.metrics.schema import PULL_REQUESTS, REPO_HEALTH, RULE_RUNS, RUNS, Row

if TYPE_CHECKING:  # a run that made no pull request has not loaded them
    from hammurabi.core.records import PullRequestRecord, PullSummary

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ns(moment: datetime) -> int:
    """Return nanoseconds since the epoch (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000


class Health(NamedTuple):
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


def health(result: RunResult) -> Health:
    """Compute the health of one repository run."""
    counts: Counter[Outcome] = Counter()
    weight_compliant = weight_total = 0.0
    laws_compliant = laws_total = 0
    for law in result.laws:
        outcomes = [rule.outcome for rule in law.walk()] + [Outcome.FAILED] * bool(law.error)
        applicable = [o is Outcome.UNCHANGED for o in outcomes if o is not Outcome.SKIPPED]
        if applicable:
            laws_total += 1
            laws_compliant += all(applicable)
        counts.update(outcomes)
        weight_total += law.weight * len(applicable)
        weight_compliant += law.weight * sum(applicable)
    if result.error and not result.laws:
        counts[Outcome.FAILED] += 1
        weight_total += 1.0
    return Health(
        score=weight_compliant / weight_total if weight_total > 0 else None,
        laws_compliant=laws_compliant,
        laws_total=laws_total,
        rules_compliant=counts[Outcome.UNCHANGED],
        rules_total=counts[Outcome.UNCHANGED] + counts[Outcome.CHANGED] + counts[Outcome.FAILED],
        rules_changed=counts[Outcome.CHANGED],
        rules_failed=counts[Outcome.FAILED],
        rules_skipped=counts[Outcome.SKIPPED],
        weight_compliant=weight_compliant,
        weight_total=weight_total,
    )


def rule_rows(result: RunResult, repo: str) -> list[Row]:
    """Return one ``hammurabi_rule_runs`` row per rule result, chains included.

    A law or run error that left no rule results gets a row of its own (``rule_id``
    ``law-error`` or ``run-error``), so it counts against the score like it does here.
    """
    rows: list[Row] = []
    base = {"run_id": result.run_id, "repo": repo, "dry_run": result.dry_run}

    def add(ts: int, law: str, weight: float, **values: Any) -> None:
        values.update(base, law=law, seq=len(rows), law_weight=float(weight))
        rows.append(Row(RULE_RUNS.name, ts, values))

    for law in result.laws:
        for res in law.walk():
            add(
                to_ns(res.started_at),
                law.name,
                law.weight,
                rule=res.rule,
                rule_id=res.rule_id,
                outcome=res.outcome.value,
                duration_ms=res.duration * 1000.0,
                files_changed=len(res.changes),
                error=res.error,
                reason=res.reason,
            )
        if law.error:  # a microsecond apart from anything else in the run
            at = to_ns(law.started_at) + 1000 * len(rows)
            add(at, law.name, law.weight, **_error("law-error", law.error, law.duration))
    if result.error and not result.laws:
        at = to_ns(result.started_at)
        add(at, "(run)", 1.0, **_error("run-error", result.error, result.duration))
    return rows


def _error(rule_id: str, error: str, duration: float) -> dict[str, Any]:
    """The values of the row of an error that stopped a law or the run."""
    return {
        "rule": f"({rule_id})",
        "rule_id": rule_id,
        "outcome": Outcome.FAILED.value,
        "duration_ms": duration * 1000.0,
        "files_changed": 0,
        "error": error,
    }


def pull_values(result: RunResult, pr: PullRequestRecord | PullSummary | None) -> dict[str, Any]:
    """The ``pr_*`` values of a pull request that both tables have (none without a number)."""
    if pr is None or pr.number is None:
        return {}
    values: dict[str, Any] = {"pr_number": pr.number, "pr_state": pr.state, "pr_url": pr.url}
    if (created := pr.created_at) is not None:
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        values["pr_created_at"] = to_ns(created) // 1000
        values["pr_age_s"] = max((result.started_at - created).total_seconds(), 0.0)
    return values


def health_row(result: RunResult, repo: str) -> Row:
    """Return the ``hammurabi_repo_health`` row of one repository run."""
    pr = result.pull_request
    values = health(result)._asdict() | pull_values(result, pr)
    if pr is not None and pr.number is not None and pr.action:
        values["pr_action"] = str(pr.action)
    values.update(
        run_id=result.run_id,
        repo=repo,
        outcome=result.outcome.value,
        status=result.status.value,
        duration_ms=result.duration * 1000.0,
        dry_run=result.dry_run,
    )
    return Row(REPO_HEALTH.name, to_ns(result.started_at), values)


def pull_request_row(result: RunResult, repo: str) -> Row | None:
    """Return the ``hammurabi_pull_requests`` row of one repository run (None outside a
    campaign: a run that edited files in place has no bot branch)."""
    campaign = result.campaign
    if campaign is None or not campaign.branch:
        return None
    values: dict[str, Any] = {
        "run_id": result.run_id,
        "repo": repo,
        "campaign": campaign.branch,
        "stage": campaign.stage.value,
        "status": result.status.value,
        "dry_run": result.dry_run,
        "api_calls": campaign.api_calls,
        "api_not_modified": campaign.api_not_modified,
    }
    pr: PullRequestRecord | PullSummary | None = result.pull_request
    if (pr is None or pr.number is None) and campaign.last_pull is not None:
        pr = campaign.last_pull  # laws hold: the pull request that was merged (or closed) last
    if pr is not None and pr.number is not None:
        values |= pull_values(result, pr)
        values["draft"] = pr.draft
        read = getattr(pr, "read_state", None)  # a PullRequestRecord's, not a PullSummary's
        if read is not None:
            values.update(
                review=read.review.value,
                checks=read.checks.value,
                approvals=read.approvals,
                mergeable_state=read.mergeable_state,
                mergeable=read.mergeable,
                checks_failing=",".join(read.failing),
                checks_pending=",".join(read.pending),
            )
    return Row(PULL_REQUESTS.name, to_ns(result.started_at), values)


class FleetRuns:
    """Aggregate repository runs sharing a run id into one ``hammurabi_runs`` row.

    Each repository run returns the updated row; with the same ``ts`` and ``run_id`` the
    latest version replaces the earlier ones in QuestDB (DEDUP UPSERT). Remembers the last
    ``keep`` run ids of this process.
    """

    def __init__(self, keep: int = 64) -> None:
        #: run id -> first start (ns), last end (ns), {repo: (outcome, changed, rule results)}
        self._runs: OrderedDict[str, tuple[int, int, dict[str, tuple[Outcome, bool, int]]]] = (
            OrderedDict()
        )
        self._keep = keep

    def update(self, result: RunResult, repo: str) -> Row:
        start = to_ns(result.started_at)
        first, end, repos = self._runs.get(result.run_id, (start, start, {}))
        end = max(end, start + int(result.duration * 1e9))
        changed = result.status in CHANGING
        repos[repo] = (result.outcome, changed, sum(1 for _ in result.walk()))
        self._runs[result.run_id] = (first, end, repos)
        while len(self._runs) > self._keep:
            self._runs.popitem(last=False)
        outcomes = [outcome for outcome, _, _ in repos.values()]
        values = {
            "run_id": result.run_id,
            "repos": len(repos),
            "repos_failed": outcomes.count(Outcome.FAILED),
            "repos_changed": sum(changed for _, changed, _ in repos.values()),
            "rules": sum(count for _, _, count in repos.values()),
            "duration_ms": (end - first) / 1e6,
            "outcome": combine(outcomes).value,
            "version": result.version,
            "host": socket.gethostname(),
            "dry_run": result.dry_run,
        }
        return Row(RUNS.name, first, values)


def run_rows(result: RunResult, fleet: FleetRuns | None = None) -> list[Row]:
    """Return every row of one repository run: its rules, its health, its campaign stage and
    pull request, and the run's row (``repo``: ``result.repo``, else its folder's name)."""
    repo = result.repo or Path(result.root).name or result.root
    rows = [*rule_rows(result, repo), health_row(result, repo)]
    if (pull := pull_request_row(result, repo)) is not None:
        rows.append(pull)
    return [*rows, (fleet or FleetRuns()).update(result, repo)]
