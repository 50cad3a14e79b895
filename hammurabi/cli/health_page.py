"""Render a health report as one self-contained HTML page, in the spirit of a status page.

One row per repository (worst first) with its score, a bar per run (green: compliant, red:
not, grey: nothing applied), the score trend as an inline SVG line, and its pull request;
then the rules most often out of compliance. Inline CSS and SVG only: no script, no fetches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from hammurabi.cli.campaign_page import CSS as CAMPAIGN_CSS
from hammurabi.cli.campaign_page import campaign_section
from hammurabi.integrations.metrics.campaign import CampaignReport
from hammurabi.integrations.metrics.report import HealthReport, RepoTrend

#: How many runs per repository get a bar (the latest ones).
BARS = 40

_CSS = """
:root { --ok: #1f9d55; --bad: #d64545; --na: #b8c2cc; --mid: #e3a008; --ink: #1f2933;
        --muted: #616e7c; --line: #e4e7eb; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       margin: 0; background: #f5f7fa; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
.muted { color: var(--muted); }
.summary { display: flex; gap: 16px; flex-wrap: wrap; margin: 16px 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
        min-width: 160px; }
.card .big { font-size: 28px; font-weight: 600; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line);
        border-radius: 8px; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line);
         vertical-align: middle; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.pill { display: inline-block; min-width: 52px; text-align: center; border-radius: 999px;
        padding: 2px 8px; color: #fff; font-weight: 600; }
.pill.ok { background: var(--ok); } .pill.mid { background: var(--mid); }
.pill.bad { background: var(--bad); } .pill.na { background: var(--na); }
.bars { display: flex; gap: 2px; align-items: flex-end; height: 24px; }
.bar { width: 6px; height: 24px; border-radius: 2px; }
.bar.ok { background: var(--ok); } .bar.bad { background: var(--bad); }
.bar.na { background: var(--na); }
svg.trend { display: block; }
a { color: #2563eb; }
"""


def percent(score: float | None) -> str:
    """A score as the page and the terminal show it: ``64%``, or ``n/a`` for none."""
    return "n/a" if score is None else f"{score * 100:.0f}%"


def level(score: float | None) -> str:
    """How a score looks: ``ok`` (fully compliant), ``mid`` (half or more), ``bad``, or ``na``."""
    if score is None:
        return "na"
    if score >= 1.0:
        return "ok"
    return "mid" if score >= 0.5 else "bad"


def _trend_svg(scores: list[float | None], width: int = 160, height: int = 28) -> str:
    values = [(i, s) for i, s in enumerate(scores) if s is not None]
    if not values:
        return '<svg class="trend" width="160" height="28" role="img" aria-label="no data"></svg>'
    step = width / max(len(scores) - 1, 1)
    points = " ".join(f"{i * step:.1f},{(1 - s) * (height - 4) + 2:.1f}" for i, s in values)
    if len(values) == 1:
        x, y = points.split(",")
        shape = f'<circle cx="{x}" cy="{y}" r="2.5" fill="#2563eb"/>'
    else:
        shape = f'<polyline fill="none" stroke="#2563eb" stroke-width="2" points="{points}"/>'
    label = escape(f"score trend, latest {percent(values[-1][1])}")
    return (
        f'<svg class="trend" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{label}">{shape}</svg>'
    )


def _bars(trend: RepoTrend) -> str:
    bars = []
    for point in trend.points[-BARS:]:
        shown = level(point.score)
        kind = "bad" if shown == "mid" else shown  # a bar is ok, bad or na
        title = f"{point.ts:%Y-%m-%d %H:%M} UTC: {percent(point.score)} ({point.outcome})"
        bars.append(f'<span class="bar {kind}" title="{escape(title)}"></span>')
    return f'<div class="bars">{"".join(bars)}</div>'


def _pull_request(trend: RepoTrend) -> str:
    last = trend.pull_request
    if last is None:
        return ""
    text = f"#{last.pr_number} {last.pr_state or ''}".strip()
    if last.pr_age_s is not None:
        text += f", {last.pr_age_s / 86400:.1f} days"
    if last.pr_url and last.pr_url.startswith(("https://", "http://")):
        return f'<a href="{escape(last.pr_url)}">{escape(text)}</a>'
    return escape(text)


def render_html(
    report: HealthReport,
    *,
    now: datetime | None = None,
    campaigns: Sequence[CampaignReport] = (),
) -> str:
    """Return the report as a complete HTML document, with a section per campaign."""
    now = now or datetime.now(UTC)
    window = f"since {report.since:%Y-%m-%d %H:%M} UTC"
    if report.until:
        window += f" until {report.until:%Y-%m-%d %H:%M} UTC"
    filters = []
    if report.repos_filter:
        filters.append("repositories: " + ", ".join(report.repos_filter))
    if report.laws_filter:
        filters.append("laws: " + ", ".join(report.laws_filter))
    rows = []
    for trend in report.repos:
        score = trend.score
        rows.append(
            f'<tr class="repo" data-repo="{escape(trend.repo)}" data-score="{score}">'
            f'<td class="name">{escape(trend.repo)}</td>'
            f'<td><span class="pill {level(score)}">{percent(score)}</span></td>'
            f"<td>{_bars(trend)}</td>"
            f"<td>{_trend_svg([p.score for p in trend.points])}</td>"
            f'<td class="num">{len(trend.points)}</td>'
            f"<td>{trend.latest.ts:%Y-%m-%d %H:%M}</td>"
            f"<td>{_pull_request(trend)}</td></tr>"
        )
    failing = [
        f'<tr class="rule"><td>{escape(rule.law)}</td><td>{escape(rule.rule)}</td>'
        f'<td class="num">{rule.failed}</td><td class="num">{rule.changed}</td>'
        f'<td class="num">{rule.repos}</td></tr>'
        for rule in report.failing_rules
    ]
    fleet_scores: list[float | None] = [score for _, score in report.fleet_trend]
    repos_table = (
        '<table id="repos"><thead><tr><th>Repository</th><th>Score</th>'
        f"<th>Runs (latest {BARS})</th><th>Trend</th><th class='num'>Runs</th>"
        "<th>Last run (UTC)</th>"
        f"<th>Pull request</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="muted" id="repos">No runs recorded in this window.</p>'
    )
    rules_table = (
        '<table id="failing"><thead><tr><th>Law</th><th>Rule</th><th class="num">Failed</th>'
        '<th class="num">Changed</th><th class="num">Repositories</th></tr></thead>'
        f"<tbody>{''.join(failing)}"
        "</tbody></table>"
        if failing
        else '<p class="muted" id="failing">No rule was out of compliance.</p>'
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hammurabi fleet health</title>
<style>{_CSS}{CAMPAIGN_CSS if campaigns else ""}</style>
</head>
<body>
<main>
<h1>Hammurabi fleet health</h1>
<div class="muted">{escape(window)}{escape("; " + "; ".join(filters)) if filters else ""}.
Generated {now:%Y-%m-%d %H:%M} UTC.</div>
<div class="summary">
<div class="card"><div class="muted">Fleet score</div>
<div class="big" id="fleet-score">{percent(report.fleet_score)}</div></div>
<div class="card"><div class="muted">Repositories</div>
<div class="big" id="fleet-repos">{len(report.repos)}</div></div>
<div class="card"><div class="muted">Fully compliant</div>
<div class="big" id="fleet-compliant">{report.compliant_repos}</div></div>
<div class="card"><div class="muted">Fleet score by day</div>
{_trend_svg(fleet_scores, 200, 40)}</div>
</div>
<h2>Repositories, worst first</h2>
{repos_table}
<h2>Rules most often out of compliance</h2>
{rules_table}
{"".join(campaign_section(campaign) for campaign in campaigns)}
</main>
</body>
</html>
"""
