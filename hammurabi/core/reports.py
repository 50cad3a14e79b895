"""Reporters render a run's record as text: the interface, and JSON and Markdown built in.

The Markdown pieces (escaping, icons, a law's section) also make the pull-request body and
the fleet report; the ``reporters`` plugin (:mod:`hammurabi.reporters`) contributes both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from hammurabi.core import masking
from hammurabi.core.hooks import hookimpl
from hammurabi.core.results import LawResult, Outcome, RunResult, Status
from hammurabi.core.wording import count

ICONS = {
    Outcome.CHANGED: "🔧",
    Outcome.UNCHANGED: "✅",
    Outcome.SKIPPED: "⏭️",
    Outcome.FAILED: "❌",
}
#: Repository statuses, in the order reports list them (worst first).
STATUS_ICONS = {
    Status.FAILED: "❌",
    Status.BLOCKED: "⛔",
    Status.INTERRUPTED: "⏹️",
    Status.NOT_STARTED: "…",
    Status.DEFERRED: "⏸️",
    Status.OUTSIDE_WINDOW: "🕒",
    Status.HELD: "⏳",
    Status.IGNORED: "🙈",
    Status.PR_OPENED: "🔧",
    Status.PR_UPDATED: "🔧",
    Status.PR_CLOSED: "🧹",
    Status.BRANCH_CREATED: "🔧",
    Status.BRANCH_UPDATED: "🔧",
    Status.BRANCH_DELETED: "🧹",
    Status.FILES_CHANGED: "🔧",
    Status.UP_TO_DATE: "✅",
    Status.NOTHING_TO_CHANGE: "✅",
}
#: Diffs longer than this many lines are collapsed in Markdown.
COLLAPSE_LINES = 40


class Reporter(Protocol):
    """Something that turns a run's record into text (written to a file or stdout)."""

    name: str
    description: str

    def render(self, result: RunResult) -> str: ...


class JsonReporter:
    name = "json"
    description = "The whole run record as JSON (the original Hammurabi's keys included)."

    def render(self, result: RunResult) -> str:
        return masking.mask(result.to_json())


class MarkdownReporter:
    name = "markdown"
    description = "A Markdown summary for CI step summaries and pull request bodies."

    def render(self, result: RunResult) -> str:
        return markdown_summary(result)


def markdown_summary(result: RunResult, *, title: str = "Hammurabi") -> str:
    """A Markdown summary: a table of laws, then each law's changed, failed and skipped rules."""
    counts = result.counts()
    mode = " (dry run)" if result.dry_run else ""
    lines = [
        f"## {title}{mode}: {STATUS_ICONS[result.status]} {result.status.text}",
        "",
        f"{count(len(result.laws), 'law')}, rules: {counts['changed']} changed, "
        f"{counts['unchanged']} unchanged, {counts['skipped']} skipped, "
        f"{counts['failed']} failed.",
        "",
    ]
    if result.error:
        lines += [f"**Error:** {escape(result.error)}", ""]
    if result.laws:
        lines += ["| Law | Outcome | Files |", "| --- | --- | --- |"]
        for law in result.laws:
            files = ", ".join(f"`{path}`" for path in law.files) or "—"
            icon = STATUS_ICONS[Status.UP_TO_DATE] if law.proposed else ICONS[law.outcome]
            text = law.status.value.replace("-", " ")
            lines.append(f"| {escape(law.name)} | {icon} {text} | {files} |")
        lines.append("")
    for law in result.laws:
        if law.outcome in (Outcome.CHANGED, Outcome.FAILED):
            lines += law_section(law)
    return "\n".join(lines).rstrip() + "\n"


def law_section(law: LawResult) -> list[str]:
    """The Markdown section describing one law's changes and failures."""
    lines = [f"### {escape(law.name)}", ""]
    if law.description:
        lines += [escape(law.description), ""]
    if law.error:
        lines += [f"- ❌ {escape(law.error)}"]
    for rule in law.walk():
        if rule.outcome is Outcome.CHANGED:
            files = ", ".join(f"`{path}`" for path in rule.files)
            lines.append(f"- 🔧 {escape(rule.rule)}: {files}")
        elif rule.outcome is Outcome.FAILED:
            lines.append(
                f"- ❌ {escape(rule.rule)}: {escape(rule.error or '')} (manual fix needed)"
            )
        elif rule.outcome is Outcome.SKIPPED:
            lines.append(f"- ⏭️ {escape(rule.rule)}: {escape(rule.reason or 'skipped')}")
    diff = law.diff
    if diff:
        fence = "```"
        while fence in diff:
            fence += "`"
        block = [f"{fence}diff", masking.mask(diff.rstrip("\n")), fence]
        if diff.count("\n") > COLLAPSE_LINES:
            block = ["<details><summary>Diff</summary>", "", *block, "", "</details>"]
        lines += ["", *block]
    return [*lines, ""]


def escape(text: str) -> str:
    """Keep user text from breaking Markdown tables, injecting HTML, driving a terminal or
    showing a secret."""
    text = masking.clean(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


@hookimpl
def hammurabi_reporters() -> Iterable[Reporter]:
    return (JsonReporter(), MarkdownReporter())
