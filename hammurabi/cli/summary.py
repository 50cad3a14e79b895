"""The lines ``enforce`` prints about a run: the bot branch, the pull request, the window.

Built from the run's typed records only (:mod:`hammurabi.core.records`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hammurabi.core.records import BranchAction, GitMode, PullAction
from hammurabi.core.results import RunResult, Status
from hammurabi.core.wording import count


def quiet_line(result: RunResult) -> str | None:
    """The one line a run that found nothing new prints instead of a diff and a table:
    nothing to change, or everything already proposed and up to date. None otherwise."""
    status = result.status
    laws = count(len(result.laws), "law")
    pull = result.pull_request
    if status is Status.NOTHING_TO_CHANGE:
        return f"Nothing to change: all {laws} already hold."
    if status is Status.IGNORED:
        from hammurabi.integrations.forges.base import RE_PROPOSE_LABEL

        closed = pull.number if pull is not None else None
        return (
            f"Ignored (closed by a reviewer): pull request #{closed} proposed this "
            f"very change and was closed without merging; label it {RE_PROPOSE_LABEL} or pass "
            "--re-propose to propose it again."
        )
    if status is not Status.UP_TO_DATE:
        return None
    git = result.git
    where = git.where if git is not None else None
    proposed = sum(1 for law in result.laws if law.proposed)
    number = f", pull request #{pull.number}" if pull is not None and pull.number else ""
    url = f" {pull.url}" if pull is not None and pull.url else ""
    return (
        f"Up to date: {where} already proposes {proposed} of {laws}{number}{url}; nothing to push."
    )


def summary_lines(result: RunResult) -> list[str]:
    """Human lines about the branch and pull request, for the CLI to print."""
    git = result.git
    if git is None or git.mode is not GitMode.BRANCH:
        return []
    branch, action, base = git.branch, git.action, git.base
    label = ""  # the forges' labels are imported for the one line that names one
    if action is BranchAction.BLOCKED:
        from hammurabi.integrations.forges.base import REBUILD_LABEL as label
    authors = ", ".join(sorted({commit.author for commit in git.foreign_commits}))
    where = git.where if git.publish else f"local {branch}"
    laws = f"{len(git.commits)} commit{'s' if len(git.commits) != 1 else ''}"
    foreign = count(len(git.foreign_commits), "commit")
    text = {
        BranchAction.CREATE: f"Would create {where} ({laws} on {base})",
        BranchAction.REBUILD: f"Would rebuild {where} ({laws} on {base}) if it differs",
        BranchAction.DELETE: f"Would delete {where}: nothing left to change",
        BranchAction.CREATED: f"Created {where} with {laws}",
        BranchAction.UPDATED: f"Rebuilt {where} with {laws}",
        BranchAction.UNCHANGED: f"Branch {where} is up to date",
        BranchAction.DELETED: f"Deleted {where}: nothing left to change",
        BranchAction.NONE: "Nothing to commit",
        BranchAction.BLOCKED: f"Blocked: {where} holds {foreign} Hammurabi did not "
        f"make (by {authors}), so it cannot update it; label its pull request "
        f"{label} or pass --rebuild to rebuild it (dropping them)",
        BranchAction.REJECTED: f"Left {where} as it was: the push was rejected (the reason is "
        "above)",
    }.get(action, f"Branch {branch}: {action}")
    lines = [text]
    pull = result.pull_request
    if pull is not None and pull.action is not None:  # None: the forge failed (said above)
        number = f"#{pull.number}" if pull.number else ""
        url = f" {pull.url}" if pull.url else ""
        changes = ", ".join(pull.changes)
        lines.append(
            {
                PullAction.OPEN: f"Would open a pull request: {pull.title or ''}",
                PullAction.UPDATE: f"Would update pull request {number} ({changes}){url}",
                PullAction.CLOSE: f"Would close pull request {number}{url}",
                PullAction.OPENED: f"Opened pull request {number}{url}",
                PullAction.UPDATED: f"Updated pull request {number} ({changes}){url}",
                PullAction.CLOSED: f"Closed pull request {number}{url}",
                PullAction.UNCHANGED: f"Pull request {number} is up to date{url}",
                PullAction.NONE: "No pull request",
            }[pull.action]
        )
        if pull.commented:
            lines.append(f"Commented on pull request {number}")
        lines += [f"warning: {warning}" for warning in pull.warnings]
    return lines


def window_note(result: RunResult, now: datetime | None = None) -> str | None:
    """The line telling that the window was closed and when it opens; None if it was open."""
    closed = result.window
    if closed is None:
        return None
    from zoneinfo import ZoneInfo  # only where a window held the run back

    local = closed.next_open.astimezone(ZoneInfo(closed.timezone))
    wait = _duration(closed.next_open - (now or datetime.now(UTC)))
    return (
        f"Outside the maintenance window ({closed.window}): nothing was written; the "
        f"window opens {local:%a %Y-%m-%d %H:%M %Z} (in {wait})."
    )


def _duration(delta: timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min")]
    return " ".join(f"{value} {unit}" for value, unit in parts if value) or "0 min"
