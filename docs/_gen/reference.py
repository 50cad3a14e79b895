"""Markdown generated from the code for the documentation site, so it cannot go stale.

The rule and precondition reference comes from the same plugin registry as
``hammurabi rules`` / ``hammurabi preconditions``, with one example per id from
``examples.yml`` (run by ``tests/docs/test_reference.py``). Exit codes, outcomes and
settings come from their enums and dataclasses and the ``#:`` comments above each member.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import enum
import importlib
import inspect
import json
import re
import sys
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples.yml"
#: Built-in plugins in the order their sections appear: the everyday ones first.
GROUP_ORDER = (
    "files",
    "preconditions",
    "lines",
    "documents",
    "document-preconditions",
    "templates",
    "attributes",
    "attribute-preconditions",
    "commands",
)
#: Arguments every rule takes, explained once on the page instead of in every table.
CHAIN_ARGUMENTS = ("preconditions", "pipe", "children")


@dataclass(frozen=True)
class Example:
    """One rule or precondition example (see the comment at the top of examples.yml)."""

    id: str
    example: str
    files: dict[str, str] = field(default_factory=dict)
    after: dict[str, str | None] = field(default_factory=dict)
    #: Permission bits of some of ``files``, in octal (``"0755"``).
    modes: dict[str, str] = field(default_factory=dict)
    after_modes: dict[str, str] = field(default_factory=dict)
    met: bool | None = None
    allow_commands: bool = False
    needs_root: bool = False
    #: For a class without a docstring (the article's ``HasStack`` is kept verbatim).
    summary: str = ""

    def law_file(self, kind: str) -> str:
        """A whole law file around the example, as the tests load it."""
        body = "\n".join("      " + line for line in self.example.rstrip().splitlines())
        if kind == "rule":
            return f"laws:\n  - name: example\n    description: {self.id}\n    rules:\n{body}\n"
        return (
            f"laws:\n  - name: example\n    description: {self.id}\n    preconditions:\n{body}\n"
            "    rules:\n      - file-exists: {name: met, path: .precondition-met}\n"
        )


def load_examples(path: Path = EXAMPLES) -> dict[str, Example]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {key: Example(id=key, **value) for key, value in data.items()}


# -- the rule and precondition reference ---------------------------------------------------


@dataclass
class TypeGroup:
    """The rule or precondition types one plugin contributes."""

    plugin: str
    distribution: str
    module: str
    summary: str
    types: list[type] = field(default_factory=list)


def type_groups(hook: str) -> list[TypeGroup]:
    """The types of ``hook`` (``hammurabi_rule_types``...) grouped by plugin, built-ins first."""
    from hammurabi.loading.plugins import get_plugin_manager
    from hammurabi.loading.registry import Registry

    pm = get_plugin_manager()
    registry = Registry.from_plugins(pm)  # what `hammurabi rules` lists (and its checks)
    infos = {info.name: info for info in pm.infos}
    groups: list[TypeGroup] = []
    for impl in reversed(getattr(pm.hook, hook).get_hookimpls()):  # registration order
        info = infos[impl.plugin_name]
        module = sys.modules.get(info.module.split(":")[0])
        doc = inspect.getdoc(module) if module is not None else ""
        types = sorted(impl.function() or (), key=lambda cls: cls.id)
        groups.append(
            TypeGroup(
                plugin=info.name,
                distribution=info.distribution,
                module=info.module,
                summary=(doc or "").strip().split("\n\n")[0].replace("\n", " "),
                types=types,
            )
        )
    listed = registry.rules if hook == "hammurabi_rule_types" else registry.preconditions
    grouped = {cls.id: cls for group in groups for cls in group.types}
    if grouped != listed:
        raise ValueError(f"{hook}: the plugins' types differ from the registry's")
    order = {name: index for index, name in enumerate(GROUP_ORDER)}
    groups.sort(key=lambda g: (g.distribution != "hammurabi", order.get(g.plugin, 99), g.plugin))
    return [group for group in groups if group.types]


def rst_to_markdown(text: str) -> str:
    """The few reStructuredText habits of our docstrings, in Markdown."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith("::"):
            intro = line.rstrip()[:-1].rstrip()
            if intro.strip() == "Example":  # the docstring's example is the Python API
                intro = "In Python"
            if intro.strip():
                out.append(_inline(intro if intro.endswith(":") else intro + ":"))
            i += 1
            block: list[str] = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                block.append(lines[i])
                i += 1
            out += ["", "```python", inspect.cleandoc("\n".join(block)), "```", ""]
            continue
        out.append(_inline(line))
        i += 1
    return "\n".join(out)


def _inline(text: str) -> str:
    text = re.sub(r":(?:class|func|mod|data|attr|meth):`~?([^`]+)`", r"`\1`", text)
    text = re.sub(r":param (\w+):", r"`\1`:", text)
    return text.replace("``", "`")


def _value(value: Any) -> str:
    return f"`{json.dumps(value)}`"


def argument_rows(cls: type, kind: str) -> list[str]:
    rows = ["| argument | default |", "| --- | --- |"]
    for arg in cls.arguments():  # type: ignore[attr-defined]
        if arg["name"] in CHAIN_ARGUMENTS:
            continue
        if kind == "rule" and arg["name"] == "name":
            default = "the id and the path"  # a law file names rules itself (lawfile.py)
        elif arg["required"]:
            default = "**required**"
        elif arg["default"] is None:
            default = "(none)"
        else:
            default = _value(arg["default"])
        rows.append(f"| `{arg['name']}` | {default} |")
    return rows


def _diff(path: str, before: str | None, after: str | None) -> str:
    lines = difflib.unified_diff(
        (before or "").splitlines(keepends=True),
        (after or "").splitlines(keepends=True),
        fromfile="/dev/null" if before is None else f"a/{path}",
        tofile="/dev/null" if after is None else f"b/{path}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _fence(language: str, text: str, title: str = "") -> list[str]:
    ticks = "````" if "```" in text else "```"
    head = f'{ticks}{language} title="{title}"' if title else f"{ticks}{language}"
    return [head, *text.rstrip("\n").split("\n"), ticks]


def example_markdown(example: Example, kind: str) -> list[str]:
    out = ["**Example**", ""]
    if example.files:
        out += ['??? note "The repository before"', ""]
        for path, content in example.files.items():
            mode = example.modes.get(path)
            title = f"{path} (mode {mode})" if mode is not None else path
            out += ["    " + line for line in _fence("text", content or "(empty)", title)]
            out.append("")
    out += _fence("yaml", example.example)
    out.append("")
    if kind == "precondition":
        out.append(f"With these files the precondition is {'met' if example.met else 'not met'}.")
    elif example.after:
        diff = "".join(
            _diff(path, example.files.get(path), after) for path, after in example.after.items()
        )
        out += ["Changes it makes:", "", *_fence("diff", diff)]
    elif example.after_modes:
        modes = ", ".join(f"`{path}` to mode {mode}" for path, mode in example.after_modes.items())
        out.append(f"It changes {modes}.")
    else:
        out.append("It changes no file's content, only its attributes.")
    out.append("")
    return out


def type_markdown(cls: type, example: Example | None, kind: str) -> list[str]:
    doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")
    if not doc and example is not None:
        doc = example.summary
    summary, _, rest = doc.partition("\n")
    out = [f"### `{cls.id}` {{ #{cls.id} }}", ""]  # type: ignore[attr-defined]
    out += [_inline(summary.strip()), ""]
    if rest.strip():
        out += [rst_to_markdown(rest.strip()), ""]
    out += [f"Python: `{cls.__module__}.{cls.__qualname__}`", ""]
    out += [*argument_rows(cls, kind), ""]
    if example is None:
        out += ["*No example yet.*", ""]
    else:
        out += example_markdown(example, kind)
    return out


def types_reference(kind: str) -> str:
    """The reference of every rule (``kind="rule"``) or precondition type, by plugin."""
    hook = "hammurabi_rule_types" if kind == "rule" else "hammurabi_precondition_types"
    examples = load_examples()
    out: list[str] = []
    for group in type_groups(hook):
        where = (
            "built in"
            if group.distribution == "hammurabi"
            else f"from the `{group.distribution}` plugin"
        )
        out += [f"## {group.plugin} ({where})", ""]
        if group.summary:
            out += [rst_to_markdown(group.summary), ""]
        for cls in group.types:
            out += type_markdown(cls, examples.get(cls.id), kind)
    return "\n".join(out)


def type_index(kind: str) -> str:
    """One table row per id: id (linked) and summary."""
    hook = "hammurabi_rule_types" if kind == "rule" else "hammurabi_precondition_types"
    page = "rules.md" if kind == "rule" else "preconditions.md"
    examples = load_examples()
    rows = ["| id | what it does |", "| --- | --- |"]
    for group in type_groups(hook):
        for cls in group.types:
            example = examples.get(cls.id)  # type: ignore[attr-defined]
            summary = cls.summary() or (example.summary if example else "")  # type: ignore[attr-defined]
            summary = rst_to_markdown(summary).replace("|", "\\|")
            rows.append(f"| [`{cls.id}`]({page}#{cls.id}) | {summary} |")  # type: ignore[attr-defined]
    return "\n".join(rows)


# -- enums and settings, with their ``#:`` comments -----------------------------------------


def member_comments(cls: type) -> dict[str, str]:
    """The ``#:`` comments above each attribute of a class, by attribute name."""
    source = inspect.getsource(cls)
    tree = ast.parse(inspect.cleandoc(source) if source[:1].isspace() else source)
    (node,) = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    return _comments(node.body, source.splitlines())


def _comments(statements: list[ast.stmt], lines: list[str]) -> dict[str, str]:
    """The ``#:`` comment lines right above each assignment, by the name assigned."""
    comments: dict[str, str] = {}
    for statement in statements:
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            name = statement.targets[0].id
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name = statement.target.id
        else:
            continue
        found: list[str] = []
        index = statement.lineno - 2
        while index >= 0 and lines[index].strip().startswith("#:"):
            found.insert(0, lines[index].strip()[2:].strip())
            index -= 1
        if found:
            comments[name] = " ".join(found)
    return comments


def enum_table(cls: type[enum.Enum], header: tuple[str, str]) -> str:
    comments = member_comments(cls)
    rows = [f"| {header[0]} | {header[1]} |", "| --- | --- |"]
    for member in cls:
        text = rst_to_markdown(comments.get(member.name, "")).replace("|", "\\|")
        rows.append(f"| `{member.value}` | {text} |")
    return "\n".join(rows)


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is list:
        return f"list of {_type_name(typing.get_args(hint)[0])}"
    names = {str: "string", int: "integer", float: "number", bool: "boolean"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _default(f: dataclasses.Field[Any]) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return "(required)"
    if value in ("", [], 0) and not isinstance(value, bool):
        return "(empty)" if value != 0 else "`0`"
    return f"`{json.dumps(value)}`"


def settings_sections() -> Iterator[tuple[str, str, list[tuple[str, str, str, str, str]]]]:
    """(table, environment prefix, rows of key, variable, type, default, meaning)."""
    from hammurabi.loading import settings as module
    from hammurabi.loading.settings import ENV_PREFIX, Settings

    #: What an untrusted repository's own settings may set (SECURITY.md).
    repository_keys = getattr(module, "REPOSITORY_KEYS", None)

    def walk(cls: type, table: str, prefix: str) -> Iterator[Any]:
        hints = typing.get_type_hints(cls)
        comments = member_comments(cls)
        rows = []
        nested = []
        for f in dataclasses.fields(cls):
            if f.metadata.get("internal"):
                continue
            if dataclasses.is_dataclass(hints[f.name]):
                nested.append((f.name, hints[f.name]))
                continue
            meaning = comments.get(f.name, "")
            dotted = f"{table.removeprefix('tool.hammurabi').lstrip('.')}.{f.name}".lstrip(".")
            if repository_keys is not None and dotted in repository_keys:
                meaning += " *A repository's own settings may set it.*"
            rows.append(
                (
                    f.name,
                    f"{prefix}{f.name.upper()}",
                    _type_name(hints[f.name]),
                    _default(f),
                    rst_to_markdown(meaning),
                )
            )
        yield table, prefix, rows
        for name, sub in nested:
            yield from walk(sub, f"{table}.{name}", f"{prefix}{name.upper()}_")

    yield from walk(Settings, "tool.hammurabi", ENV_PREFIX)


def settings_reference(section: str | None = None) -> str:
    """Every setting, by table; ``section`` (``metrics``...) keeps only that table."""
    out: list[str] = []
    for table, _, rows in settings_sections():
        if section is not None and table != f"tool.hammurabi.{section}":
            continue
        out += [f"### `[{table}]`", ""] if section is None else []
        out += [
            "| key | environment | type | default | meaning |",
            "| --- | --- | --- | --- | --- |",
        ]
        for key, env, kind, default, meaning in rows:
            out.append(f"| `{key}` | `{env}` | {kind} | {default} | {meaning.replace('|', '/')} |")
        out.append("")
    return "\n".join(out)


# -- the plugin API ---------------------------------------------------------------------------

#: The workspace methods a rule uses; the others are the engine's bookkeeping.
WORKSPACE_METHODS = (
    "resolve",
    "relative",
    "read_text",
    "write_text",
    "write_bytes",
    "write_link",
    "delete",
    "make_dirs",
    "chmod",
    "chown",
)


def _signature(function: Callable[..., Any], skip_self: bool = True) -> str:
    signature = inspect.signature(function)
    params = list(signature.parameters.values())[1 if skip_self else 0 :]
    text = str(signature.replace(parameters=params))
    return text.replace("'", "")


def workspace_api() -> str:
    from hammurabi.core.workspace import Workspace

    rows = ["| method | what it does |", "| --- | --- |"]
    for name in WORKSPACE_METHODS:
        method = getattr(Workspace, name)
        summary = (inspect.getdoc(method) or "").split("\n\n")[0].replace("\n", " ")
        if not summary:
            raise ValueError(f"Workspace.{name} has no docstring to show")
        signature = _signature(method).replace("|", "\\|")
        rows.append(f"| `{name}{signature}` | {_inline(summary)} |")
    return "\n".join(rows)


def hooks_reference() -> str:
    """Every hook of ``hammurabi.loading.hookspecs``, with its signature and documentation."""
    from hammurabi.loading import hookspecs

    out: list[str] = []
    for name, function in vars(hookspecs).items():
        if not name.startswith("hammurabi_") or not callable(function):
            continue
        options = getattr(function, "hammurabi_spec", {}) or {}
        out += [f"### `{name}` {{ #{name} }}", ""]
        out += ["```python", f"def {name}{_signature(function, skip_self=False)}", "```", ""]
        out += [rst_to_markdown(inspect.getdoc(function) or ""), ""]
        if options.get("firstresult"):
            out += ["The first implementation that returns a value other than `None` wins.", ""]
    return "\n".join(out)


# -- metrics --------------------------------------------------------------------------------------


def metrics_tables() -> str:
    """The QuestDB tables of the metrics ``schema`` module, with what their columns hold."""
    from hammurabi.integrations.metrics.schema import TABLES

    out: list[str] = []
    for table in TABLES.values():
        out += [f"### `{table.name}`", "", _inline(table.doc), ""]
        out += [f"Deduplicated on `{', '.join(table.dedup_keys)}`.", ""]
        out += ["| column | type | notes |", "| --- | --- | --- |"]
        for column in table.columns:
            text = "; ".join(note for note in (column.note, "always set" * column.required) if note)
            out.append(f"| `{column.name}` | {column.type} | {text} |")
        out.append("")
    return "\n".join(out)


# -- the command line ---------------------------------------------------------------------------


def cli_reference() -> str:
    """``--help`` of every command and subcommand, as the command line prints it."""
    import typer.main

    from hammurabi.cli.main import app

    out: list[str] = []

    def walk(command: Any, parent: Any, name: str) -> None:
        ctx = command.context_class(command, parent=parent, info_name=name, max_content_width=90)
        ctx.terminal_width = 90
        path = ctx.command_path
        if parent is not None:
            out.extend([f"## `{path}` {{ #{path.replace(' ', '-')} }}", ""])
        out.extend(_fence("text", command.get_help(ctx)))
        out.append("")
        for sub_name in command.list_commands(ctx) if hasattr(command, "list_commands") else ():
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                walk(sub, ctx, sub_name)

    walk(typer.main.get_command(app), None, "hammurabi")
    return "\n".join(out)


# -- CI -------------------------------------------------------------------------------------------


def action_inputs() -> str:
    """The composite action's inputs (action.yml at the top of the repository)."""
    action = yaml.safe_load((HERE.parents[1] / "action.yml").read_text(encoding="utf-8"))
    rows = ["| input | default | what it is |", "| --- | --- | --- |"]
    for name, spec in action["inputs"].items():
        default = spec.get("default", "")
        shown = f"`{default}`" if default != "" else "(empty)"
        description = " ".join(str(spec.get("description", "")).split()).replace("|", "\\|")
        rows.append(f"| `{name}` | {shown} | {description} |")
    return "\n".join(rows)


# -- what the pages ask for ------------------------------------------------------------------


def _enum(path: str, header: tuple[str, str]) -> Callable[[], str]:
    module, _, name = path.rpartition(".")
    return lambda: enum_table(getattr(importlib.import_module(module), name), header)


GENERATORS: dict[str, Callable[[], str]] = {
    "rules": lambda: types_reference("rule"),
    "preconditions": lambda: types_reference("precondition"),
    "rule-index": lambda: type_index("rule"),
    "precondition-index": lambda: type_index("precondition"),
    "exit-codes": lambda: _exit_codes(),
    "outcomes": _enum("hammurabi.core.results.Outcome", ("outcome", "meaning")),
    "statuses": _enum("hammurabi.core.results.Status", ("status", "meaning")),
    "stages": _enum("hammurabi.core.pullstate.Stage", ("stage", "meaning")),
    "settings": settings_reference,
    "workspace": workspace_api,
    "hooks": hooks_reference,
    "action-inputs": action_inputs,
    "cli": cli_reference,
    "metrics-tables": metrics_tables,
    "metrics-settings": lambda: settings_reference("metrics"),
    "fleet-settings": lambda: settings_reference("fleet"),
}


def _exit_codes() -> str:
    from hammurabi.core.exitcodes import ExitCode

    comments = member_comments(ExitCode)
    rows = ["| code | name | meaning |", "| --- | --- | --- |"]
    for member in ExitCode:
        text = rst_to_markdown(comments.get(member.name, ""))
        rows.append(f"| `{member.value}` | `{member.name}` | {text} |")
    return "\n".join(rows)


MARKER = re.compile(r"<!--\s*hammurabi:([\w-]+)\s*-->")


def expand(markdown: str) -> str:
    """Replace every ``<!-- hammurabi:NAME -->`` marker by what NAME generates."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise KeyError(f"unknown generated section {name!r} (known: {', '.join(GENERATORS)})")
        return GENERATORS[name]()

    return MARKER.sub(replace, markdown)
