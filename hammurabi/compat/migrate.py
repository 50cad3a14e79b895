"""``hammurabi migrate``: rewrite a pillar written for Hammurabi 0.11 as a YAML law file.

The pillar is loaded the original's way (its rules keep the 0.11 meanings) and each law,
rule and precondition is written back with its current id and spelling, keeping what it
did: ``LineNotExists(text=REGEX)`` becomes ``line-not-exists: {criteria: "^(?:REGEX)"}``,
``JsonKeyExists`` (which kept an existing value) gets an ``is-key-not-exists``
precondition, ``ModeChanged(new_value=0o755)`` becomes ``mode: "0755"`` and so on. What
has no law-file form (custom rule classes, templates shipped outside the repository,
``position`` other than before/after, a ``HasMode`` over several bits…) is left out and
listed, one line each, in the file's header and in :attr:`Migration.left_out`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import yaml

from hammurabi.compat.mode import muted, original_api

if TYPE_CHECKING:
    from hammurabi.core.law import Law
    from hammurabi.core.node import Node
    from hammurabi.loading.registry import Registry


@dataclass
class Migration:
    """A law file's text and what could not be written into it."""

    text: str
    left_out: list[str] = field(default_factory=list)
    #: Rules written whose behaviour can differ from 0.11's on some files.
    notes: list[str] = field(default_factory=list)


class _LeftOut(Exception):
    """A rule or precondition with no law-file form (the message says why)."""


def migrate_file(path: Path, attr: str | None = None) -> Migration:
    """Load the 0.11 pillar in ``path`` (running it, as 0.11 did) and migrate its laws."""
    from hammurabi.loading import loader

    with original_api(), muted():  # migrating is the answer to the deprecations
        module = loader._exec_file(path)
    return migrate_laws(loader.laws_from_module(module, str(path), attr), source=path.name)


def migrate_laws(laws: list[Law], source: str = "the pillar") -> Migration:
    """The law file for ``laws`` (built with 0.11's or current spellings)."""
    from hammurabi.loading.plugins import get_plugin_manager
    from hammurabi.loading.registry import Registry

    writer = _Writer(Registry.from_plugins(get_plugin_manager()))
    data = {"laws": [done for done in map(writer.law, laws) if done is not None]}
    header = [f"# Migrated from {source} by hammurabi migrate."]
    if writer.left_out:
        header.append("# Left out (no law-file form; keep these in Python):")
        header += [f"#   {line}" for line in writer.left_out]
    if writer.notes:
        header.append("# Check by hand:")
        header += [f"#   {line}" for line in writer.notes]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return Migration("\n".join(header) + "\n" + body, writer.left_out, writer.notes)


def _arguments(node: Node) -> dict[str, Any]:
    """The node's constructor arguments by name (``**kwargs`` flattened)."""
    args, kwargs = getattr(node, "given_arguments", ((), {}))
    signature = inspect.signature(type(node).__init__)
    bound = signature.bind_partial(None, *args, **kwargs).arguments
    bound.pop(next(iter(signature.parameters)), None)  # self
    out: dict[str, Any] = {}
    for key, value in bound.items():
        kind = signature.parameters[key].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        elif kind is not inspect.Parameter.VAR_POSITIONAL:
            out[key] = value
    return out


def _plain(value: Any) -> Any:
    """A YAML-ready value (paths as text, patterns as their source)."""
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise _LeftOut(f"argument {value!r} has no YAML form")


def _anchored(pattern: Any) -> str:
    """A pattern for ``re.search`` that matches where 0.11's ``re.match`` did."""
    text = pattern.pattern if isinstance(pattern, re.Pattern) else str(pattern)
    return text if text.startswith("^") else f"^(?:{text})"


def _octal(mode: Any) -> Any:
    return f"{mode:04o}" if isinstance(mode, int) and not isinstance(mode, bool) else mode


def _owner(args: dict[str, Any]) -> None:
    """0.11's ``owner``/``new_value`` ``user:group`` -> ``owner`` and ``group``."""
    value = args.pop("new_value", None)
    if value is None and isinstance(args.get("owner"), str) and ":" in args["owner"]:
        value = args.pop("owner")
    if value is not None:
        user, _, group = str(value).partition(":")
        if user.strip():
            args["owner"] = user.strip()
        if group.strip():
            args["group"] = group.strip()


class _Writer:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.left_out: list[str] = []
        self.notes: list[str] = []
        self.law_name = ""

    def law(self, law: Law) -> dict[str, Any] | None:
        self.law_name = law.name
        out: dict[str, Any] = {"name": law.name, "description": law.description}
        conditions = [self.precondition(c) for c in law.preconditions]
        if None in conditions:
            self.left_out.append(f"law {law.name!r}: one of its preconditions (see above)")
            return None
        if conditions:
            out["preconditions"] = conditions
        out["rules"] = [r for r in map(self.rule, law.rules) if r is not None]
        self.notes += [f"law {law.name!r}, {note}" for note in _NOTES]
        _NOTES.clear()
        return out

    def _skip(self, node: Node, reason: str) -> None:
        kind = "precondition" if not hasattr(node, "chain") else "rule"
        chain = " (and the rules under it)" if getattr(node, "chain", ()) else ""
        self.left_out.append(f"law {self.law_name!r}, {kind} {node.name!r}{chain}: {reason}")

    def rule(self, rule: Any, section: str | None = None) -> dict[str, Any] | None:
        """``{id: arguments}`` for ``rule``; ``section`` is an upstream SectionExists's."""
        args = _arguments(rule)
        if type(rule).__name__ in _INI and args.get("section") is None:
            args["section"] = section if section is not None else rule.section
            if args["section"] is None or "\x00" in args["section"]:
                self._skip(rule, "no section, and no SectionExists above it")
                return None
        convert = _RULES.get(type(rule).__name__) if _ours(rule) else None
        try:
            rule_id, args, extra = (convert or _as_is)(rule, args)
            rule_id = self._known(rule_id, self.registry.rules, rule)
            conditions = [self.precondition(c) for c in rule.preconditions]
            if None in conditions:
                raise _LeftOut("one of its preconditions (see above)")
            out = {key: _plain(value) for key, value in args.items() if key not in _STRUCTURE}
        except _LeftOut as exc:
            self._skip(rule, str(exc))
            return None
        kept = [c for c in conditions if c is not None] + extra
        if kept:
            out["preconditions"] = kept
        if rule.pipe is not None:
            piped = self.rule(rule.pipe, args.get("section"))
            if piped is not None:
                out["pipe"] = piped
        below = [self.rule(child, args.get("section")) for child in rule.children]
        children = [c for c in below if c is not None]
        if children:
            out["children"] = children
        return {rule_id: out}

    def precondition(self, node: Any) -> dict[str, Any] | None:
        args = _arguments(node)
        convert = _PRECONDITIONS.get(type(node).__name__) if _ours(node) else None
        try:
            kind_id, args, _ = (convert or _as_is)(node, args)
            kind_id = self._known(kind_id, self.registry.preconditions, node)
            out = {key: _plain(value) for key, value in args.items() if value is not None}
        except _LeftOut as exc:
            self._skip(node, str(exc))
            return None
        return {kind_id: out}

    def _known(self, kind_id: str, types: Mapping[str, type], node: Any) -> str:
        cls = types.get(kind_id)
        if cls is None or not (isinstance(node, cls) or _ours(node)):
            raise _LeftOut(f"{type(node).__name__} is not a type law files know (a custom class?)")
        return kind_id


_STRUCTURE = ("preconditions", "pipe", "children")
#: Differences worth checking by hand, collected while converting (see ``_Writer.law``).
_NOTES: list[str] = []
_Converted = tuple[str, dict[str, Any], list[dict[str, Any]]]


def _ours(node: Any) -> bool:
    return type(node).__module__.startswith("hammurabi.")


def _as_is(node: Any, args: dict[str, Any]) -> _Converted:
    return type(node).id, args, []


def _line_exists(rule: Any, args: dict[str, Any]) -> _Converted:
    if args.pop("ensure_trailing_newline", False):
        _NOTES.append(f"rule {rule.name!r}: the empty last line 0.11 kept is not kept")
    match = args.pop("match", None)
    position = args.pop("position", None)
    if match is not None:
        if position in (None, 1):
            args["after"] = match
        elif position == 0:
            args["before"] = match
        else:
            raise _LeftOut(f"position={position} has no law-file form (only before or after)")
    elif position is not None:
        args["position"] = position
    return "line-exists", args, []


def _line_not_exists(rule: Any, args: dict[str, Any]) -> _Converted:
    if getattr(rule, "anchored", False):
        args["criteria"] = _anchored(args.pop("text"))
    return "line-not-exists", args, []


def _line_replaced(rule: Any, args: dict[str, Any]) -> _Converted:
    if "match" in args:
        args["target"] = args.pop("match")
    return "line-replaced", args, []


def _template(rule: Any, args: dict[str, Any]) -> _Converted:
    if "destination" in args:
        template = Path(args.pop("template"))
        if template.is_absolute():
            raise _LeftOut("the template is outside the repository; copy it in (or a plugin)")
        args["path"] = args.pop("destination")
        args["template"] = template.name
        if template.parent != Path("."):
            args["template_dir"] = template.parent
    if not args.get("context"):
        args.pop("context", None)
    return "template-rendered", args, []


def _mode_changed(rule: Any, args: dict[str, Any]) -> _Converted:
    if "new_value" in args:
        args["mode"] = args.pop("new_value")
    args["mode"] = _octal(args["mode"])
    return "mode-changed", args, []


def _owner_changed(rule: Any, args: dict[str, Any]) -> _Converted:
    _owner(args)
    return "owner-changed", args, []


def _ini(rule_id: str) -> Callable[[Any, dict[str, Any]], _Converted]:
    def convert(rule: Any, args: dict[str, Any]) -> _Converted:
        if "match" in args:
            args["target"] = args.pop("match")
        pairs = rule_id in ("section-exists", "options-exist")
        if pairs and args.get("options") is not None and not isinstance(args["options"], dict):
            args["options"] = dict(args["options"])
        if not args.get("options") and rule_id == "section-exists":
            args.pop("options", None)
        return rule_id, args, []

    return convert


def _document(rule_id: str, fmt: str) -> Callable[[Any, dict[str, Any]], _Converted]:
    def convert(rule: Any, args: dict[str, Any]) -> _Converted:
        args["format"] = fmt
        extra: list[dict[str, Any]] = []
        if getattr(rule, "original", False):
            if rule_id == "key-exists":  # 0.11 kept an existing value
                guard = {"path": _plain(args.get("path")), "key": args["key"], "format": fmt}
                extra.append({"is-key-not-exists": guard})
            elif rule_id in ("value-exists", "value-not-exists"):
                _NOTES.append(
                    f"rule {rule.name!r}: {rule_id} edits lists and mappings as 0.11 did, but a "
                    "key holding a single value fails it (0.11 replaced the value, or nulled it)"
                )
        if args.get("path") is None:
            args.pop("path", None)
        return rule_id, args, extra

    return convert


_INI = (
    "SectionExists",
    "SectionNotExists",
    "SectionRenamed",
    "OptionsExist",
    "OptionsNotExist",
    "OptionRenamed",
)
_RULES: dict[str, Callable[[Any, dict[str, Any]], _Converted]] = {
    "LineExists": _line_exists,
    "LineNotExists": _line_not_exists,
    "LineReplaced": _line_replaced,
    "TemplateRendered": _template,
    "ModeChanged": _mode_changed,
    "OwnerChanged": _owner_changed,
    "SectionExists": _ini("section-exists"),
    "SectionNotExists": _ini("section-not-exists"),
    "SectionRenamed": _ini("section-renamed"),
    "OptionsExist": _ini("options-exist"),
    "OptionsNotExist": _ini("options-not-exist"),
    "OptionRenamed": _ini("option-renamed"),
    **{
        f"{fmt.capitalize()}{kind}": _document(re.sub(r"(?<!^)(?=[A-Z])", "-", kind).lower(), fmt)
        for fmt in ("json", "yaml", "toml")
        for kind in ("KeyExists", "KeyNotExists", "KeyRenamed", "ValueExists", "ValueNotExists")
    },
}


def _line_condition(kind_id: str) -> Callable[[Any, dict[str, Any]], _Converted]:
    def convert(node: Any, args: dict[str, Any]) -> _Converted:
        args.pop("name", None)
        if getattr(node, "anchored", False):
            args["criteria"] = _anchored(args["criteria"])
        return kind_id, args, []

    return convert


def _has_mode(kind_id: str) -> Callable[[Any, dict[str, Any]], _Converted]:
    def convert(node: Any, args: dict[str, Any]) -> _Converted:
        args.pop("name", None)
        if getattr(node, "any_bit", False):  # 0.11: any of the bits is on = not all off
            kind_id_now = "has-no-mode" if kind_id == "has-mode" else "has-mode"
            args["how"] = "remove"
            args["mode"] = _octal(args["mode"])
            return kind_id_now, args, []
        args["mode"] = _octal(args["mode"])
        return kind_id, args, []

    return convert


def _owned(kind_id: str) -> Callable[[Any, dict[str, Any]], _Converted]:
    def convert(node: Any, args: dict[str, Any]) -> _Converted:
        args.pop("name", None)
        _owner(args)
        return kind_id, args, []

    return convert


def _path_condition(kind_id: str) -> Callable[[Any, dict[str, Any]], _Converted]:
    def convert(node: Any, args: dict[str, Any]) -> _Converted:
        args.pop("name", None)
        return kind_id, args, []

    return convert


_PRECONDITIONS: dict[str, Callable[[Any, dict[str, Any]], _Converted]] = {
    "IsLineExists": _line_condition("is-line-exists"),
    "IsLineNotExists": _line_condition("is-line-not-exists"),
    "HasMode": _has_mode("has-mode"),
    "HasNoMode": _has_mode("has-no-mode"),
    "IsOwnedBy": _owned("is-owned-by"),
    "IsNotOwnedBy": _owned("is-not-owned-by"),
    "IsFileExists": _path_condition("is-file-exists"),
    "IsFileNotExists": _path_condition("is-file-not-exists"),
    "IsDirectoryExists": _path_condition("is-directory-exists"),
    "IsDirectoryNotExists": _path_condition("is-directory-not-exists"),
}
