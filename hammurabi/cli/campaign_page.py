"""A campaign as a section of the HTML health page: where each repository stands (a stacked
bar by stage), the burn-down by day (an inline SVG), and the repositories worst and oldest
first. Inline CSS and SVG only, like the rest of the page."""

from __future__ import annotations

from html import escape

from hammurabi.integrations.metrics.campaign import CampaignRepo, CampaignReport, remaining

#: A colour per stage, worst (reds) to done (greens).
COLOURS = {
    "failed": "#9b1c1c",
    "blocked": "#c81e1e",
    "failing": "#e02424",
    "ignored": "#9061f9",
    "unproposed": "#b8c2cc",
    "changes-requested": "#e3a008",
    "pending": "#f6c343",
    "proposed": "#76a9fa",
    "passing": "#3f83f8",
    "approved": "#31c48d",
    "merged": "#1f9d55",
    "compliant": "#0e7a44",
}

CSS = """
.stack { display: flex; height: 22px; border-radius: 6px; overflow: hidden; margin: 8px 0;
         border: 1px solid var(--line); background: #fff; }
.seg { display: block; height: 100%; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 13px; margin-bottom: 8px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
            margin-right: 4px; }
.stage { display: inline-block; border-radius: 999px; padding: 1px 8px; color: #fff;
         font-weight: 600; font-size: 12px; }
svg.burndown { display: block; background: #fff; border: 1px solid var(--line);
               border-radius: 8px; margin-bottom: 12px; }
"""


def _stage(name: str) -> str:
    colour = COLOURS.get(name, "#616e7c")
    return f'<span class="stage" style="background:{colour}">{escape(name)}</span>'


def _burndown(report: CampaignReport, width: int = 520, height: int = 120) -> str:
    """Repositories still to do at the end of each day with runs, as bars."""
    left = [remaining(counts) for _, counts in report.history]
    data = ",".join(str(n) for n in left)
    top = max([*left, 1])
    step = min(width / max(len(left), 1), 40.0)
    bars = []
    for i, ((day, _), n) in enumerate(zip(report.history, left, strict=True)):
        bar_height = n / top * (height - 20)
        bars.append(
            f'<rect x="{i * step + 2:.1f}" y="{height - 16 - bar_height:.1f}" '
            f'width="{max(step - 4, 2):.1f}" height="{bar_height:.1f}" fill="#3f83f8">'
            f"<title>{day:%Y-%m-%d}: {n} to do</title></rect>"
        )
    first = f"{report.history[0][0]:%Y-%m-%d}" if report.history else ""
    last = f"{report.history[-1][0]:%Y-%m-%d}" if report.history else ""
    return (
        f'<svg class="burndown" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" data-remaining="{data}" '
        f'aria-label="repositories still to do per day">{"".join(bars)}'
        f'<text x="2" y="{height - 3}" font-size="11" fill="#616e7c">{first}</text>'
        f'<text x="{width - 2}" y="{height - 3}" font-size="11" fill="#616e7c" '
        f'text-anchor="end">{last}</text></svg>'
    )


def _pull(repo: CampaignRepo) -> str:
    if repo.pr_number is None:
        return ""
    text = f"#{repo.pr_number} {repo.pr_state or ''}".strip()
    url = repo.pr_url or ""
    if url.startswith(("https://", "http://")):
        return f'<a href="{escape(url)}">{escape(text)}</a>'
    return escape(text)


def campaign_section(report: CampaignReport) -> str:
    """Return the HTML section of one campaign."""
    slug = "".join(c if c.isalnum() else "-" for c in report.campaign)
    total = len(report.repos)
    stages = {name: n for name, n in report.stages.items() if n}
    segments = "".join(
        f'<span class="seg" data-stage="{name}" data-count="{n}" title="{name}: {n}" '
        f'style="width:{n * 100 / max(total, 1):.3f}%;background:{COLOURS.get(name, "#616e7c")}">'
        "</span>"
        for name, n in stages.items()
    )
    legend = "".join(
        f'<span><i style="background:{COLOURS.get(name, "#616e7c")}"></i>{escape(name)} {n}</span>'
        for name, n in stages.items()
    )
    rows = []
    for repo in report.repos:
        checks = repo.checks or ""
        names = repo.checks_failing or repo.checks_pending
        if names:
            checks += f" ({names})"
        age = f"{repo.pr_age_s / 86400:.1f} days" if repo.pr_age_s is not None else ""
        rows.append(
            f'<tr class="campaign-repo" data-repo="{escape(repo.repo)}" '
            f'data-stage="{repo.stage.value}"><td>{escape(repo.repo)}</td>'
            f"<td>{_stage(repo.stage.value)}</td><td>{_pull(repo)}</td>"
            f"<td>{escape(checks)}</td><td>{escape(repo.review or '')}</td>"
            f"<td>{age}</td><td>{repo.ts:%Y-%m-%d %H:%M}</td></tr>"
        )
    return f"""<section class="campaign" id="campaign-{escape(slug)}"
 data-campaign="{escape(report.campaign)}">
<h2>Campaign {escape(report.campaign)}: <span class="done">{report.done}</span> of
<span class="total">{total}</span> repositories done</h2>
<div class="stack">{segments}</div>
<div class="legend">{legend}</div>
{_burndown(report)}
<table class="campaign-repos"><thead><tr><th>Repository</th><th>Stage</th>
<th>Pull request</th><th>Checks</th><th>Review</th><th>Age</th><th>Last run (UTC)</th></tr>
</thead><tbody>{"".join(rows)}</tbody></table>
</section>
"""
