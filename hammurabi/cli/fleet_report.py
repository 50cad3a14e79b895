"""A fleet run's reports: the summary table, JSON, and Markdown (also for CI step summaries)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hammurabi.core.errors import ConfigError
from hammurabi.core.reports import STATUS_ICONS, escape
from hammurabi.core.results import Status
from hammurabi.core.wording import count
from hammurabi.orchestration.fleet.merge import missing_shards
from hammurabi.orchestration.fleet.records import FleetResult, RepoRun
from hammurabi.orchestration.repository import check_report_path

ICONS = STATUS_ICONS
#: Repositories listed one by one in Markdown at most (failures always are).
MARKDOWN_ROWS = 500


def to_json(result: FleetResult) -> str:
    """The whole record as JSON, diffs included."""
    return json.dumps(result.to_dict(), indent=2, default=str) + "\n"


def pull_text(repo: RepoRun) -> str:
    """``opened #12``, ``would open``, ``—``."""
    action = repo.pull.get("action")
    if not action or action == "none":
        return "—"
    planned = {
        "open": "would open",
        "update": "would update",
        "close": "would close",
        "unchanged": "up to date",
    }
    number = f" #{repo.pull['number']}" if repo.pull.get("number") else ""
    return f"{planned.get(action, action)}{number}"


def branch_text(repo: RepoRun) -> str:
    """What happened to the bot branch, in words: ``created``, ``up to date``, ``—``."""
    action = repo.branch
    if not action or action == "none":
        return "—"
    return BRANCH_WORDS.get(action, action)


BRANCH_WORDS = {
    "create": "would create",
    "rebuild": "would update",
    "delete": "would delete",
    "unchanged": "up to date",
}


def headline(result: FleetResult) -> str:
    """One line: how many repositories ended how, and the pull requests."""
    counts = result.counts()
    parts = [count(len(result.repos), "repository", "repositories")]
    parts += [f"{counts[s.value]} {s.text}" for s in ICONS if counts.get(s.value)]
    earlier = sum(1 for repo in result.repos if repo.earlier)
    if earlier:
        parts.append(f"{earlier} finished earlier")
    verbs = ("open", "update", "close") if result.dry_run else ("opened", "updated", "closed")
    prs = [f"{counts['pr_' + verb]} {verb}" for verb in verbs if counts["pr_" + verb]]
    if prs:
        parts.append(f"pull requests: {', '.join(prs)}")
    return "; ".join(parts)


def campaign_line(result: FleetResult) -> str | None:
    """``Campaign `hammurabi/laws`: 2 of 6 repositories done (33%); failing 1, …`` (stages
    worst first), or None when no repository has a stage (no git, or a dry run of none)."""
    from hammurabi.core.pullstate import Stage

    stages = result.stages()
    total = sum(stages.values())
    if not total:
        return None
    done = sum(n for name, n in stages.items() if Stage(name).done)
    counts = ", ".join(f"{name} {n}" for name, n in stages.items())
    name = f" `{result.branch}`" if result.branch else ""
    repos = count(total, "repository", "repositories")
    return f"Campaign{name}: {done} of {repos} done ({done * 100 // total}%); {counts}."


def stage_text(repo: RepoRun) -> str:
    """``failing (tests)``, ``merged``, ``—``."""
    if not repo.stage:
        return "—"
    failing = repo.pull.get("failing") if repo.stage == "failing" else None
    return f"{repo.stage} ({', '.join(failing)})" if failing else repo.stage


def markdown(result: FleetResult) -> str:
    """A Markdown summary: counts, where the campaign stands, then a table of the
    repositories (failures first) with each one's stage."""
    mode = " (dry run)" if result.dry_run else ""
    shard = f", shard {result.shard}" if result.shard else ""
    if result.shards:
        shard = f", shards {', '.join(result.shards)}"
    lines = [
        f"## Hammurabi fleet run{mode}",
        "",
        f"Run `{result.run_id}`{shard}: {escape(headline(result))}.",
        "",
    ]
    if (campaign := campaign_line(result)) is not None:
        lines += [escape(campaign), ""]
    if result.interrupted:
        lines += ["**Interrupted:** re-run with the same state file to resume.", ""]
    if missing := missing_shards(result):
        lines += [f"**Missing shards:** {', '.join(missing)} (no report given).", ""]
    order = list(ICONS)
    repos = sorted(result.repos, key=lambda r: (order.index(r.status), r.name.lower()))
    shown = [r for i, r in enumerate(repos) if i < MARKDOWN_ROWS or r.status is Status.FAILED]
    if shown:
        lines += [
            "| Repository | Result | Stage | Branch | Pull request | Reason |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for repo in shown:
            pull = pull_text(repo)
            if repo.pull.get("url"):
                pull = f"[{pull}]({repo.pull['url']})"
            earlier = " (earlier)" if repo.earlier else ""
            lines.append(
                f"| {escape(repo.name)} | {ICONS[repo.status]} {repo.status.text}{earlier} "
                f"| {escape(stage_text(repo))} | {escape(branch_text(repo))} | {pull} "
                f"| {escape(repo.reason or '')} |"
            )
        if len(shown) < len(repos):
            lines.append(f"\n… and {len(repos) - len(shown)} more (see the JSON report).")
        lines.append("")
    if result.archived:
        lines += [f"Archived, skipped: {escape(', '.join(result.archived))}", ""]
    return "\n".join(lines).rstrip() + "\n"


RENDERERS = {"json": to_json, "markdown": markdown}


def check_specs(specs: list[str]) -> None:
    """Refuse reports a fleet run cannot write (before any repository is touched)."""
    for spec in specs:
        name, sep, _ = spec.partition("=")
        if not sep or name not in RENDERERS:
            raise ConfigError(
                f"report {spec!r} must be NAME=PATH with NAME one of: {', '.join(RENDERERS)}"
            )
        check_report_path(spec)


def write(result: FleetResult, specs: list[str], *, step_summary: bool = True) -> None:
    """Write each ``NAME=PATH`` report, and the Markdown to ``$GITHUB_STEP_SUMMARY``."""
    for spec in specs:
        name, _, target = spec.partition("=")
        text = RENDERERS[name](result)
        if target == "-":
            print(text, end="")
        else:
            Path(target).write_text(text, encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY") if step_summary else None
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown(result))


def show(result: FleetResult, *, diff: bool = True) -> None:
    """Print the per-repository diffs and planned pull requests (dry runs), and the table."""
    from rich.table import Table
    from rich.text import Text

    from hammurabi.cli.display import console, show_diff

    if result.dry_run and diff:
        for repo in result.repos:
            if not repo.diff and repo.pull.get("action") not in ("open", "update", "close"):
                continue
            console.rule(repo.name)
            if repo.diff:
                show_diff(repo.diff)
            if repo.pull.get("action") in ("open", "update", "close"):
                title = repo.pull.get("title") or ""
                console.print(f"Pull request: {pull_text(repo)} {title}".rstrip())
        console.print()
    title = f"Hammurabi fleet run {result.run_id}" + (" (dry run)" if result.dry_run else "")
    table = Table(title=title, title_justify="left")
    for column in ("Repository", "Result", "Branch", "Pull request", "Reason"):
        table.add_column(column, overflow="fold")
    styles = {Status.FAILED: "bold red", Status.BLOCKED: "bold red", Status.IGNORED: "dim"}
    for repo in result.repos:
        status = repo.status.text + (" (earlier)" if repo.earlier else "")
        style = styles.get(repo.status) or ("green" if ICONS[repo.status] == "✅" else "yellow")
        table.add_row(  # names and reasons are text, never rich markup
            Text(repo.name),
            f"[{style}]{status}[/]",
            Text(branch_text(repo)),
            Text(pull_text(repo)),
            Text(repo.reason or ""),
        )
    console.print(table)
    console.print(headline(result))
    if result.canary:
        console.print(Text(f"Canary: {result.canary['message']}"))
