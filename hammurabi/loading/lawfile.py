"""Declarative YAML law files: laws whose rules and preconditions are named by id.

Example::

    laws:
      - name: Gunicorn worker settings
        description: Make sure gunicorn workers are configured
        preconditions:
          - is-file-exists: {path: gunicorn.conf.py}
        rules:
          - line-replaced:
              name: Worker class is set to gevent
              path: gunicorn.conf.py
              target: '^(\\s+)?worker_class\\ =\\ .*'
              text: 'worker_class = "gevent"'
              pipe:
                line-exists: {name: Workers set, text: "workers = 4"}

Each rule or precondition is a one-key mapping ``{id: arguments}`` (or a mapping with an
``id`` key next to the arguments). ``preconditions``, ``pipe`` and ``children`` nest.
Preconditions combine with ``all: [...]``, ``any: [...]`` and ``not: {...}``.
Every mistake is reported with the file and line before any file is touched.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hammurabi.core.errors import ConfigError, LawFileError
from hammurabi.core.law import Law
from hammurabi.loading import plainyaml
from hammurabi.loading.registry import Registry

if TYPE_CHECKING:
    import yaml

_LAW_KEYS = {"name", "description", "rules", "preconditions", "weight", "automerge"}
_CHAIN_KEYS = ("preconditions", "pipe", "children")


class _Map(dict[Any, Any]):
    line = 0


_LOADER: list[type[yaml.SafeLoader]] = []


def _loader() -> type[yaml.SafeLoader]:
    """PyYAML's safe loader, remembering line numbers and refusing duplicate keys (made on
    first use: importing PyYAML costs a run's start-up more than reading a law file)."""
    if _LOADER:
        return _LOADER[0]
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> _Map:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)
            mapping = _Map(super().construct_mapping(node, deep=True))
            mapping.line = node.start_mark.line + 1
            return mapping

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, Loader.construct_mapping)
    _LOADER.append(Loader)
    return Loader


def parse(text: str) -> Any:
    """A law file's document: mappings as ``_Map`` with their line numbers. Read without
    PyYAML where the text is plain (:mod:`hammurabi.loading.plainyaml`), the same either way."""
    try:
        return plainyaml.load(text, _Map)
    except plainyaml.NotPlain:
        import yaml

        return yaml.load(text, Loader=_loader())


def load_law_file(path: str | Path, registry: Registry) -> list[Law]:
    """Parse and build every law in a YAML law file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LawFileError(f"cannot read law file: {exc.strerror}", path=path) from None
    except UnicodeDecodeError:
        raise LawFileError("law file is not UTF-8 text", path=path) from None
    try:
        data = parse(text)
    except _yaml_error() as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise LawFileError(f"{line}: invalid YAML: {problem}") from None
    return _Builder(path, registry).laws(data)


def _yaml_error() -> type[Exception]:
    """PyYAML's error (only ever raised once PyYAML is imported)."""
    import yaml

    return yaml.YAMLError


class _Builder:
    def __init__(self, path: Path, registry: Registry) -> None:
        self.path = path
        self.registry = registry

    def error(self, node: Any, message: str) -> LawFileError:
        line = getattr(node, "line", 0)
        where = f"{self.path}:{line}" if line else str(self.path)
        return LawFileError(f"{where}: {message}")

    def laws(self, data: Any) -> list[Law]:
        if data is None:
            return []
        if isinstance(data, dict):
            unknown = set(data) - {"laws", "version"}
            if unknown:
                raise self.error(data, f"unknown top-level key(s): {', '.join(sorted(unknown))}")
            items = data.get("laws") or []
        else:
            items = data
        if not isinstance(items, list):
            raise self.error(data, "'laws' must be a list of laws")
        laws = [self.law(item) for item in items]
        names = [law.name for law in laws]
        for name in names:
            if names.count(name) > 1:
                raise self.error(data, f"law {name!r} is defined twice")
        return laws

    def law(self, node: Any) -> Law:
        if not isinstance(node, dict):
            raise self.error(node, "each law must be a mapping with name, description and rules")
        unknown = set(node) - _LAW_KEYS
        if unknown:
            raise self.error(node, f"unknown law key(s): {', '.join(sorted(unknown))}")
        for key in ("name", "rules"):
            if key not in node:
                raise self.error(node, f"law is missing {key!r}")
        name = node["name"]
        rules = node["rules"]
        if not isinstance(rules, list):
            raise self.error(node, f"law {name!r}: 'rules' must be a list")
        try:
            return Law(
                name=str(name),
                description=str(node.get("description") or ""),
                rules=[self.rule(item) for item in rules],
                preconditions=self.preconditions(node.get("preconditions"), node),
                weight=node.get("weight", 1.0),
                automerge=node.get("automerge", False),
            )
        except LawFileError:
            raise
        except (ConfigError, TypeError, ValueError) as exc:
            raise self.error(node, str(exc)) from None

    def split(self, node: Any, kind: str) -> tuple[str, dict[str, Any], Any]:
        """``{id: {args}}`` or ``{id: name, ...args}`` -> (id, args, node for errors)."""
        if isinstance(node, str):
            return node, {}, node
        if not isinstance(node, dict) or not node:
            raise self.error(node, f"a {kind} must be a mapping like {{{kind}-id: {{...}}}}")
        if "id" in node:
            args = {k: v for k, v in node.items() if k != "id"}
            return str(node["id"]), args, node
        if len(node) != 1:
            raise self.error(
                node,
                f"a {kind} must have exactly one key (its id), got {', '.join(map(str, node))}",
            )
        ((kind_id, args),) = node.items()
        if args is None:
            args = {}
        if kind == "precondition" and kind_id in ("all", "any"):
            if not isinstance(args, list):
                raise self.error(node, f"{kind_id!r} takes a list of preconditions")
            return kind_id, {"*": args}, node
        if kind == "precondition" and kind_id == "not":
            return kind_id, {"*": [args]}, node
        if not isinstance(args, dict):
            raise self.error(node, f"arguments of {kind_id!r} must be a mapping")
        return str(kind_id), args, node

    def rule(self, node: Any) -> Any:
        rule_id, args, where = self.split(node, "rule")
        cls = self.registry.rules.get(rule_id)
        if cls is None:
            hint = self.registry.suggest(rule_id, self.registry.rules)
            raise self.error(where, f"unknown rule id {rule_id!r}{hint}")
        line_node = where
        args = dict(args)
        if "preconditions" in args:
            args["preconditions"] = self.preconditions(args["preconditions"], line_node)
        if "pipe" in args and args["pipe"] is not None:
            args["pipe"] = self.rule(args["pipe"])
        if "children" in args:
            if not isinstance(args["children"], list):
                raise self.error(line_node, "'children' must be a list of rules")
            args["children"] = [self.rule(child) for child in args["children"]]
        args.setdefault("name", f"{rule_id} {args.get('path', '')}".strip())
        return self.construct(cls, args, line_node, f"rule {rule_id!r}")

    def preconditions(self, items: Any, parent: Any) -> list[Any]:
        if items is None:
            return []
        if not isinstance(items, list):
            raise self.error(parent, "'preconditions' must be a list")
        return [self.precondition(item) for item in items]

    def precondition(self, node: Any) -> Any:
        kind_id, args, where = self.split(node, "precondition")
        cls = self.registry.preconditions.get(kind_id)
        if cls is None:
            hint = self.registry.suggest(kind_id, self.registry.preconditions)
            raise self.error(where, f"unknown precondition id {kind_id!r}{hint}")
        if "*" in args:
            nested = [self.precondition(item) for item in args["*"]]
            try:
                return cls(*nested)
            except (ConfigError, TypeError) as exc:
                raise self.error(where, f"precondition {kind_id!r}: {exc}") from None
        return self.construct(cls, dict(args), where, f"precondition {kind_id!r}")

    def construct(self, cls: type, args: dict[str, Any], where: Any, what: str) -> Any:
        signature = inspect.signature(cls)
        try:
            signature.bind(**args)
        except TypeError as exc:
            message = str(exc).replace("'", "")
            raise self.error(where, f"{what}: {message}") from None
        try:
            return cls(**args)
        except ConfigError as exc:
            raise self.error(where, f"{what}: {exc}") from None
        except (TypeError, ValueError) as exc:
            raise self.error(where, f"{what}: {exc}") from None
