"""Human output with rich: diffs, the summary table and listings (stdout)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hammurabi.cli import plain
from hammurabi.core.masking import clean
from hammurabi.core.results import Outcome, RunResult

if TYPE_CHECKING:
    from hammurabi.core.law import Law
    from hammurabi.core.node import Node
    from hammurabi.loading.plugins import PluginInfo, PluginManager

STYLES = {
    Outcome.CHANGED: "yellow",
    Outcome.UNCHANGED: "green",
    Outcome.SKIPPED: "dim",
    Outcome.FAILED: "bold red",
}

console = Console(highlight=False, soft_wrap=True)


def _text(text: str, style: str = "") -> Text:
    """Rich text of a name or message: secrets masked, control characters made visible."""
    return Text(clean(text), style=style)


def print_table(title: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
    """Print a table (the one renderer of listings and reports): ``columns`` separated by
    ``|``, a ``>`` before a right-aligned one; a cell is text (never markup) or rich ``Text``."""
    table = Table(title=title, title_justify="left")
    for name in columns.split("|"):
        right = name.startswith(">")
        table.add_column(name.lstrip(">"), justify="right" if right else "left", overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in row))
    console.print(table)


def show_diff(diff: str) -> None:
    for line in diff.splitlines():
        style = ""
        if line.startswith(("+++", "---", "diff --git")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        console.print(_text(line, style=style))


def show_run(result: RunResult, *, diff: bool = True, check: bool = False) -> None:
    """Print the diff (unless asked not to) and a table of laws and outcomes."""
    if diff and result.diff:
        show_diff(result.diff)
        console.print()
    table = Table(title=plain.run_title(result, check=check), title_justify="left")
    for name, right in plain.COLUMNS:
        table.add_column(name, justify="right" if right else "left", overflow="fold")
    for law, (name, status, rules, files, details) in zip(
        result.laws, plain.run_rows(result), strict=True
    ):
        table.add_row(
            _text(name),
            _text(status, style="green" if law.proposed else STYLES[law.outcome]),
            rules,
            _text(files),
            _text(details, style="red" if law.outcome is Outcome.FAILED else "dim"),
        )
    console.print(table)
    console.print(plain.run_line(result))


def law_row(law: Law) -> dict[str, Any]:
    def rule_tree(rule: Any) -> dict[str, Any]:
        return {
            "name": rule.name,
            "id": rule.id,
            "preconditions": [p.name for p in rule.preconditions],
            "chain": [rule_tree(r) for r in rule.chain],
        }

    return {
        "name": law.name,
        "description": law.description,
        "weight": law.weight,
        "preconditions": [p.name for p in law.preconditions],
        "rules": [rule_tree(rule) for rule in law.rules],
    }


def show_laws(rows: list[dict[str, Any]]) -> None:
    lines = [
        (
            row["name"],
            row["description"],
            "\n".join(f"{r['name']} ({r['id']})" for r in row["rules"]),
        )
        for row in rows
    ]
    print_table("Laws", "Law|Description|Rules", [[_text(cell) for cell in line] for line in lines])


def type_row(cls: type[Node]) -> dict[str, Any]:
    return {
        "id": cls.id,
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "summary": cls.summary(),
        "arguments": cls.arguments(),
    }


def show_types(rows: list[dict[str, Any]], title: str) -> None:
    lines = []
    for row in rows:
        args = ", ".join(
            a["name"] + ("" if a["required"] else f"={a['default']!r}") for a in row["arguments"]
        )
        lines.append([_text(row["id"], style="bold"), _text(row["summary"]), _text(args)])
    print_table(title, "Id|Summary|Arguments", lines)


def plugin_row(info: PluginInfo, pm: PluginManager) -> dict[str, Any]:
    plugin = pm.get_plugin(info.name)
    hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or ()) if plugin else []
    return {
        "name": info.name,
        "module": info.module,
        "distribution": info.distribution,
        "version": info.version,
        "disabled": info.disabled,
        "error": info.error,
        "hooks": hooks,
    }


def show_plugins(rows: list[dict[str, Any]]) -> None:
    """A table per distribution, laid out to stay readable at 80 columns: each plugin's module
    under its name, its hooks one per line without their common ``hammurabi_`` prefix."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(f"{row['distribution']} {row['version']}", []).append(row)
    for index, (distribution, members) in enumerate(groups.items()):
        if index:
            console.print()
        table = Table(title=f"Plugins from {distribution}", title_justify="left")
        table.add_column("Plugin / module", overflow="fold")
        table.add_column("Hooks (hammurabi_*)", no_wrap=True)
        for row in members:
            state = "disabled" if row["disabled"] else "failed to load" if row["error"] else ""
            name = _text(
                row["name"] + (f" ({state})" if state else ""),
                style="dim" if row["disabled"] else "bold",
            )
            name.append("\n").append_text(_text(row["module"], style="dim"))
            if row["error"]:
                name.append("\n").append_text(_text(row["error"], style="red"))
            hooks = "\n".join(h.removeprefix("hammurabi_") for h in row["hooks"])
            table.add_row(name, _text(hooks))
        console.print(table)
