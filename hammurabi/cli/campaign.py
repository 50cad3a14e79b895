"""``hammurabi campaign``: follow a change across the fleet, in the terminal (the HTML health
page has it too: ``campaign_page``). The options and helpers are the metrics commands'."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from hammurabi.cli.metrics import ConfOpt, SinceOpt, UntilOpt, UrlOpt, reader
from hammurabi.cli.options import Format, FormatOpt, echo_json
from hammurabi.core.wording import count

if TYPE_CHECKING:
    from hammurabi.integrations.metrics.campaign import CampaignReport

#: How a stage looks in the terminal.
STAGE_STYLE = {
    "failed": "red",
    "blocked": "red",
    "failing": "red",
    "ignored": "magenta",
    "unproposed": "yellow",
    "changes-requested": "yellow",
    "pending": "yellow",
    "proposed": "cyan",
    "passing": "cyan",
    "approved": "green",
    "merged": "green",
    "compliant": "green",
}


def campaign(
    conf: ConfOpt = None,
    url: UrlOpt = None,
    branch: Annotated[
        str | None,
        typer.Option(
            "--branch",
            metavar="BRANCH",
            help="The campaign: its bot branch, e.g. hammurabi/security (default: the only "
            "campaign with runs in the window).",
        ),
    ] = None,
    since: SinceOpt = "30d",
    until: UntilOpt = None,
    output_format: FormatOpt = Format.text,
) -> None:
    """Follow a change across the fleet: where each repository stands (worst and oldest
    first) and the burn-down by day, from the runs recorded in QuestDB."""
    from hammurabi.integrations.metrics.campaign import fetch_campaign

    questdb, window_start, window_end = reader(conf, url, since, until)
    report = fetch_campaign(questdb, branch, since=window_start, until=window_end)
    if output_format is Format.json:
        echo_json(report.to_dict())
    else:
        show_campaign(report)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    days = seconds / 86400
    return f"{days:.1f}d" if days >= 1 else f"{seconds / 3600:.1f}h"


def show_campaign(report: CampaignReport) -> None:
    """Print the campaign's headline, its stages, the burn-down and the repositories."""
    from rich.text import Text

    from hammurabi.cli.display import console, print_table
    from hammurabi.integrations.metrics.campaign import remaining

    if not report.repos:
        console.print(
            f"campaign {report.campaign}: no runs recorded since {report.since:%Y-%m-%d %H:%M} UTC",
            markup=False,
        )
        return
    total = len(report.repos)
    console.print(
        f"Campaign {report.campaign}: {report.done} of "
        f"{count(total, 'repository', 'repositories')} done ({report.done * 100 // total}%)",
        markup=False,
    )
    line = Text("  ")
    for stage, n in report.stages.items():
        if n:
            line.append(f"{stage} {n}", style=STAGE_STYLE.get(stage, ""))
            line.append("  ")
    console.print(line)
    if report.history:
        console.print("Still to do, by day (UTC):", markup=False)
        widest = max(max(remaining(c) for _, c in report.history), 1)
        for day, counts in report.history[-14:]:
            left = remaining(counts)
            bar = "█" * max(round(left * 30 / widest), 1 if left else 0)
            console.print(f"  {day:%Y-%m-%d} {left:>5} {bar}", markup=False)
    rows = []
    for repo in report.repos:
        names = repo.checks_failing or repo.checks_pending
        checks = (repo.checks or "") + (f" ({names})" if names else "")
        rows.append(
            [
                repo.repo,
                Text(repo.stage.value, style=STAGE_STYLE.get(repo.stage.value, "")),
                f"#{repo.pr_number} {repo.pr_state or ''}".strip() if repo.pr_number else "",
                checks,
                repo.review or "",
                _age(repo.pr_age_s),
                f"{repo.ts:%Y-%m-%d %H:%M}",
            ]
        )
    columns = "Repository|Stage|Pull request|Checks|Review|Age|Last run"
    print_table("Repositories, worst and oldest first", columns, rows)
    if report.truncated:
        console.print("[yellow]the window holds too many runs; narrow it with --since[/]")
