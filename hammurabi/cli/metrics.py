"""``hammurabi metrics init|flush|status`` and ``hammurabi health``: parse, call, print.

Imports only typer at module level; the metrics modules and rich load inside the
commands, so ``hammurabi --help`` stays light.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hammurabi.cli.options import Format, FormatOpt, echo_json
from hammurabi.core.exitcodes import ExitCode
from hammurabi.core.wording import count

if TYPE_CHECKING:
    from hammurabi.integrations.metrics.config import MetricsConfig
    from hammurabi.integrations.metrics.questdb import QuestDB
    from hammurabi.integrations.metrics.report import HealthReport

metrics_app = typer.Typer(
    name="metrics",
    help="Record runs in QuestDB: create the tables, flush the local spool, show the state.",
    no_args_is_help=True,
)

ConfOpt = Annotated[
    str | None,
    typer.Option(
        "--metrics",
        envvar="HAMMURABI_QUESTDB_CONF",
        metavar="CONF",
        help="QuestDB client conf, e.g. 'http::addr=localhost:9000;' "
        "(default: the metrics.conf setting).",
        show_default=False,
    ),
]
UrlOpt = Annotated[
    str | None,
    typer.Option("--url", metavar="URL", help="QuestDB REST URL (default: from the conf)."),
]
SinceOpt = Annotated[
    str, typer.Option("--since", metavar="WHEN", help="Window start: 30d, 12h, 2w, or a date.")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", metavar="WHEN", help="Window end (default: now).")
]
SBAR = "▁▂▃▄▅▆▇█"
#: The health page shows at most this many campaigns (by name).
MAX_CAMPAIGNS = 10


def load_config(conf: str | None, **overrides: Any) -> MetricsConfig:
    from hammurabi.integrations.metrics.config import MetricsConfig
    from hammurabi.loading.settings import load_settings

    settings = load_settings(Path("."))
    for key, value in overrides.items():
        if value is not None:
            setattr(settings.metrics, key, value)
    return MetricsConfig.from_settings(settings.metrics, conf=conf)


def reader(
    conf: str | None, url: str | None, since: str, until: str | None
) -> tuple[QuestDB, datetime, datetime | None]:
    """The QuestDB to read from, and the window's start and end, from the options."""
    from hammurabi.integrations.metrics.questdb import QuestDB
    from hammurabi.integrations.metrics.report import parse_since

    window_end = parse_since(until) if until else None
    return QuestDB(load_config(conf, url=url)), parse_since(since), window_end


@metrics_app.command("init")
def init(
    conf: ConfOpt = None,
    ttl_days: Annotated[
        int | None,
        typer.Option("--ttl-days", metavar="DAYS", help="Retention in days (0: keep forever)."),
    ] = None,
) -> None:
    """Create the tables (WAL, daily partitions, DEDUP keys) and set their retention."""
    from hammurabi.integrations.metrics.questdb import QuestDB
    from hammurabi.integrations.metrics.schema import TABLES

    config = load_config(conf, ttl_days=ttl_days)
    created = QuestDB(config).ensure_tables(config.ttl_days, set_ttl=True)
    ttl = f"TTL {config.ttl_days} days" if config.ttl_days else "no TTL"
    for name in TABLES:
        typer.echo(f"{name}: {'created' if name in created else 'exists'} ({ttl})")


@metrics_app.command("flush")
def flush(
    conf: ConfOpt = None,
    retry_rejected: Annotated[
        bool,
        typer.Option("--retry-rejected", help="Queue refused rows again first (after a fix)."),
    ] = False,
    output_format: FormatOpt = Format.text,
) -> None:
    """Send the spooled rows to QuestDB; exit 1 if rows remain or were refused."""
    from hammurabi.integrations.metrics.spool import flush

    config = load_config(conf)
    report = flush(config, retry_rejected=retry_rejected)
    if output_format is Format.json:
        refused = [item.to_dict() for item in report.refused]
        data = {"spool": str(config.spool), **vars(report), "refused": refused}
        echo_json(data | {"seconds": round(report.seconds, 3)})
    else:
        if retry_rejected:
            typer.echo(f"requeued {report.requeued} refused row(s)")
        typer.echo(
            f"sent {report.sent} row(s) in {report.seconds:.2f}s; "
            f"{len(report.refused)} refused; {report.remaining} pending in {config.spool}"
        )
        for item in report.refused[:10]:
            typer.echo(f"  refused {item.table}: {item.reason}", err=True)
        if report.error:
            typer.echo(f"  stopped: {report.error}", err=True)
    if not report.ok:
        raise typer.Exit(ExitCode.RULES_FAILED)


@metrics_app.command("status")
def status(
    conf: ConfOpt = None,
    rejected: Annotated[
        int, typer.Option("--rejected", metavar="N", help="Show this many refused rows.")
    ] = 5,
    output_format: FormatOpt = Format.text,
) -> None:
    """Show where metrics go, the spool's backlog and refused rows, and the tables."""
    from hammurabi.integrations.metrics.config import OFF, MetricsError, redact
    from hammurabi.integrations.metrics.spool import Spool

    config = load_config(conf)
    with Spool(config.spool) as spool:
        state, refused = spool.state(), spool.rejected(rejected)
    server: dict[str, Any] | None = None
    if config.enabled:
        from hammurabi.integrations.metrics.questdb import QuestDB
        from hammurabi.integrations.metrics.schema import TABLES

        try:
            questdb = QuestDB(config, timeout=5.0)
            names = sorted(questdb.tables() & set(TABLES), key=list(TABLES).index)
            counts = {name: questdb.rows(f"SELECT count() n FROM {name}")[0]["n"] for name in names}
            server = {"reachable": True, "tables": counts}
        except MetricsError as exc:
            server = {"reachable": False, "error": str(exc)}
    mode = "on" if config.enabled else ("spool only" if config.spool_only else "off")
    shown = redact(config.conf) if config.enabled else None
    if output_format is Format.json:
        shown_refused = [item.to_dict() for item in refused]
        data = {"metrics": mode, "conf": shown, "spool": state._asdict(), "refused": shown_refused}
        echo_json(data | {"server": server})
        return
    typer.echo(f"metrics: {mode}" + (f" ({shown})" if shown else ""))
    if not config.enabled:
        typer.echo(f"  {OFF}")
    typer.echo(
        f"spool: {state.path}: {state.pending} pending, {state.rejected} refused "
        f"({state.bytes} bytes)"
    )
    for item in refused:
        typer.echo(f"  refused ({item.source}) {item.table}: {item.reason}")
    if server is not None and server["reachable"]:
        tables = ", ".join(f"{k} {v} rows" for k, v in server["tables"].items()) or "none"
        typer.echo(f"server: reachable; tables: {tables}")
    elif server is not None:
        typer.echo(f"server: unreachable: {server['error']}")


def health(
    conf: ConfOpt = None,
    url: UrlOpt = None,
    since: SinceOpt = "30d",
    until: UntilOpt = None,
    repo: Annotated[
        list[str] | None,
        typer.Option("--repo", metavar="REPO", help="Only this repository (repeatable)."),
    ] = None,
    law: Annotated[
        list[str] | None,
        typer.Option("--law", metavar="LAW", help="Score only this law's rules (repeatable)."),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="Also write a self-contained HTML report."),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", metavar="N", help="How many failing rules to list.")
    ] = 10,
    output_format: FormatOpt = Format.text,
) -> None:
    """Show the fleet's health: a score per repository with its trend, worst first."""
    from hammurabi.integrations.metrics.report import fetch_health

    questdb, window_start, window_end = reader(conf, url, since, until)
    report = fetch_health(
        questdb,
        since=window_start,
        until=window_end,
        repos=repo or [],
        laws=law or [],
        top_rules=top,
    )
    if html is not None:  # the page shows the campaigns of the window too
        from hammurabi.cli.health_page import render_html
        from hammurabi.integrations.metrics.campaign import campaigns, fetch_campaign

        names = campaigns(questdb, window_start, window_end)[:MAX_CAMPAIGNS]
        sections = [fetch_campaign(questdb, n, since=window_start, until=window_end) for n in names]
        html.write_text(render_html(report, campaigns=sections), encoding="utf-8")
    if output_format is Format.json:
        echo_json(report.to_dict())
    else:
        show_health(report)
        if html is not None:
            typer.echo(f"HTML report: {html}")


def sparkline(scores: list[float | None], width: int = 20) -> str:
    """Draw the last ``width`` scores (0..1) as block characters; a gap is a space."""
    top = len(SBAR) - 1
    return "".join(
        " " if s is None else SBAR[min(int(max(s, 0.0) * top + 0.5), top)] for s in scores[-width:]
    )


def show_health(report: HealthReport) -> None:
    """Print the fleet summary, the per-repository table and the failing rules."""
    from rich.text import Text

    from hammurabi.cli.display import console, print_table
    from hammurabi.cli.health_page import level, percent

    if not report.repos:
        console.print(f"no runs recorded since {report.since:%Y-%m-%d %H:%M} UTC", markup=False)
        return
    console.print(
        f"Fleet: {count(len(report.repos), 'repository', 'repositories')}, "
        f"score {percent(report.fleet_score)}, "
        f"{report.compliant_repos} fully compliant (since {report.since:%Y-%m-%d %H:%M} UTC)"
    )
    rows = []
    for trend in report.repos:
        last, pr = trend.latest, ""
        style = {"ok": "green", "mid": "yellow"}.get(level(trend.score), "red")
        if trend.pull_request:
            age = f", {last.pr_age_s / 86400:.1f}d old" if last.pr_age_s is not None else ""
            pr = f"#{last.pr_number} {last.pr_state or ''}{age}"
        rules = f"{last.rules_compliant}/{last.rules_total}" if last.rules_total is not None else ""
        score = Text(percent(trend.score), style=style)
        rows.append([trend.repo, score, sparkline([p.score for p in trend.points])])
        rows[-1] += [str(len(trend.points)), rules, f"{last.ts:%Y-%m-%d %H:%M}", last.outcome, pr]
    columns = "Repository|>Score|Trend|>Runs|>Rules ok|Last run (UTC)|Outcome|Pull request"
    print_table("Health, worst first", columns, rows)
    if report.failing_rules:
        rows = [
            [r.law, r.rule, str(r.failed), str(r.changed), str(r.repos)]
            for r in report.failing_rules
        ]
        columns = "Law|Rule|Failed|Changed|Repositories"
        print_table("Rules most often out of compliance", columns, rows)
    if report.truncated:
        console.print("[yellow]the window holds too many runs; narrow it with --since[/]")
