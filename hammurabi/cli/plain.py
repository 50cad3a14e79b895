"""A run's diff and summary table without rich, where the output would be the same.

Importing rich costs a small run about a tenth of its start-up. Written to a pipe or a
file (CI logs, scripts), rich prints no colour, and a table of plain ASCII text that fits
the width is a fixed pattern of box characters, which this prints itself. Anything else
(a terminal, colour forced, tabs, other characters, a table wider than the width) is left
to :mod:`hammurabi.cli.display`; a test checks that both print the same.
"""

from __future__ import annotations

import builtins
import os
import sys
from typing import TYPE_CHECKING

from hammurabi.core.masking import clean
from hammurabi.core.wording import count

if TYPE_CHECKING:
    from hammurabi.core.results import RunResult

#: The summary table's columns: heading and whether its cells are right-justified.
COLUMNS = (
    ("Law", False),
    ("Outcome", False),
    ("Rules", True),
    ("Files", False),
    ("Details", False),
)


def run_title(result: RunResult, *, check: bool) -> str:
    return f"Hammurabi{' (dry run)' if result.dry_run and not check else ''}"


def run_rows(result: RunResult) -> list[tuple[str, str, str, str, str]]:
    """The summary table's rows: law, outcome, rules changed/all, files, details."""
    from hammurabi.core.results import Outcome

    rows = []
    for law in result.laws:
        rules = list(law.walk())
        changed = sum(r.outcome is Outcome.CHANGED for r in rules)
        details = (
            law.error
            or law.reason
            or "; ".join(f"{r.rule}: {r.error}" for r in rules if r.outcome is Outcome.FAILED)
        )
        files = ", ".join(law.files)
        rows.append((law.name, law.status.value, f"{changed}/{len(rules)}", files, details))
    return rows


def run_line(result: RunResult) -> str:
    """The line under the table: laws, time and rule counts."""
    counts = result.counts()
    verb = "would change" if result.dry_run else "changed"
    return (
        f"{count(len(result.laws), 'law')} in {result.duration:.2f}s — rules: "
        f"{counts['changed']} {verb}, {counts['unchanged']} unchanged, "
        f"{counts['skipped']} skipped, {counts['failed']} failed"
    )


def show_run(result: RunResult, *, diff: bool = True, check: bool = False) -> bool:
    """Print the diff and the summary table as rich would; False (nothing printed) where
    rich must print them."""
    width = _plain_width()
    if width is None:
        return False
    lines = [clean(line) for line in result.diff.splitlines()] if diff and result.diff else []
    if not all(_plain(line) for line in lines):
        return False
    cells = [tuple(clean(cell) for cell in row) for row in run_rows(result)]
    table = render(run_title(result, check=check), cells, width)
    if table is None:
        return False
    out = "".join(f"{line}\n" for line in lines) + ("\n" if lines else "")
    sys.stdout.write(f"{out}{table}{run_line(result)}\n")
    return True


def render(title: str, rows: list[tuple[str, ...]], width: int) -> str | None:
    """The table as rich draws it (heavy head, title on the left), or None when it does not
    fit in ``width`` or holds text other than printable ASCII."""
    if not rows or not all(_plain(cell) for row in rows for cell in row) or not _plain(title):
        return None
    widths = [len(name) for name, _ in COLUMNS]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    if sum(widths) + 3 * len(widths) + 1 > width:
        return None

    def line(left: str, fill: str, middle: str, right: str) -> str:
        return left + middle.join(fill * (w + 2) for w in widths) + right + "\n"

    def cells(values: tuple[str, ...], bar: str) -> str:
        parts = []
        for value, w, (_, right) in zip(values, widths, COLUMNS, strict=True):
            parts.append(f" {value.rjust(w) if right else value.ljust(w)} ")
        return bar + bar.join(parts) + bar + "\n"

    text = [title + "\n", line("┏", "━", "┳", "┓")]
    text.append(cells(tuple(name for name, _ in COLUMNS), "┃"))
    text.append(line("┡", "━", "╇", "┩"))
    text += [cells(row, "│") for row in rows]
    text.append(line("└", "─", "┴", "┘"))
    return "".join(text)


def _plain(text: str) -> bool:
    return text.isascii() and text.isprintable()


def _plain_width() -> int | None:
    """The width rich would use writing to stdout, or None when rich would print colour or
    other than UTF-8 box characters (a terminal, ``FORCE_COLOR``, Jupyter, Windows)."""
    env = os.environ
    if os.name == "nt" or "TTY_COMPATIBLE" in env or "FORCE_COLOR" in env:
        return None
    if hasattr(builtins, "get_ipython"):  # Jupyter
        return None
    stdout = sys.stdout
    try:
        if stdout.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    if not (getattr(stdout, "encoding", "") or "").lower().startswith("utf"):
        return None
    width = None
    for fd in (0, 1, 2):
        try:
            width = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    columns = env.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
    return width or 80
