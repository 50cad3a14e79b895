"""Rules that edit structured documents (INI, JSON, YAML, TOML) without reformatting them.

One family of rules with the format as a parameter: ``format=`` names it, otherwise the
file name decides (``.yaml``/``.yml``, ``.json``, ``.toml``, ``.ini``/``.cfg``,
``.editorconfig``, ``.flake8`` …).  Keys are dotted paths (``tool.ruff.lint.select``,
``jobs.build.steps[0].uses``, ``"a.b".c``).  Only the edited key's lines change; comments,
key order, indentation, quoting, blank lines and the final newline stay as they were.

A file that is missing, binary, not valid text or not valid in its format makes the rule
fail with a :class:`~hammurabi.core.errors.DocumentError` naming the file, and the file is left
untouched.  The original Hammurabi's per-format names (``YamlKeyExists``,
``JsonValueExists``, ``TomlKeyRenamed`` …) are thin aliases that fix ``format``; the INI
names (``SectionExists``, ``OptionsExist`` …) keep their original arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from hammurabi.core.errors import ConfigError, DocumentError, RuleError
from hammurabi.core.hooks import hookimpl
from hammurabi.documents import check_format, format_for, open_document
from hammurabi.documents.base import MISSING, Document, check_value, same_value
from hammurabi.documents.paths import KeyPath, PathLike, format_path, parse_path
from hammurabi.rules.common import PathRule

__all__ = [
    "JsonKeyExists",
    "JsonKeyNotExists",
    "JsonKeyRenamed",
    "JsonValueExists",
    "JsonValueNotExists",
    "KeyExists",
    "KeyNotExists",
    "KeyRenamed",
    "OptionRenamed",
    "OptionsExist",
    "OptionsNotExist",
    "SectionExists",
    "SectionNotExists",
    "SectionRenamed",
    "TomlKeyExists",
    "TomlKeyNotExists",
    "TomlKeyRenamed",
    "TomlValueExists",
    "TomlValueNotExists",
    "ValueExists",
    "ValueNotExists",
    "YamlKeyExists",
    "YamlKeyNotExists",
    "YamlKeyRenamed",
    "YamlValueExists",
    "YamlValueNotExists",
]


class _DocumentRule(PathRule):
    """Read the document, let :meth:`edit` change it, write it back only if it changed."""

    #: Set by the per-format aliases: the format they always use.
    fixed_format: ClassVar[str | None] = None

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        key: PathLike,
        format: str | None = None,
        document: int = 0,
        encoding: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, **kwargs)
        self._owner = f"rule {name!r}"
        fixed = type(self).fixed_format
        if fixed is not None and format is not None and check_format(format, self._owner) != fixed:
            raise ConfigError(f"{self._owner}: {type(self).__name__} edits {fixed} files only")
        given = fixed or format
        self.format = check_format(given, self._owner) if given is not None else None
        if self.format is None and self._param_given:
            self.format = format_for(self.param, self._owner)
        self.key: KeyPath = parse_path(key)
        if isinstance(document, bool) or not isinstance(document, int):
            raise ConfigError(f"{self._owner}: document must be an integer, not {document!r}")
        if document not in (0, -1) and self.format not in (None, "yaml"):
            raise ConfigError(f"{self._owner}: only YAML files hold several documents")
        self.document = document
        self.encoding = encoding

    def _check_plain(self, value: Any, what: str) -> Any:
        try:
            check_value(value)
        except ConfigError as exc:
            raise ConfigError(f"{self._owner}: {what}: {exc.message}") from None
        if value is None and self.format == "toml":
            raise ConfigError(f"{self._owner}: TOML has no null {what}; use KeyNotExists")
        return value

    def edit(self, doc: Document) -> None:
        """Change ``doc`` so that it holds the rule's end state."""
        raise NotImplementedError

    def task(self) -> Path:
        fmt = self.format or format_for(self.param, self._owner)
        text, doc = open_document(
            self.workspace, self.path, fmt, document=self.document, encoding=self.encoding
        )
        try:
            self.edit(doc)
        except RuleError as exc:  # DocumentError, or a limit hit
            exc.path = exc.path or self.workspace.relative(self.path)
            raise
        new = doc.dump()
        if new is not text.content and new != text.content:
            self.workspace.write_text(self.path, text.with_content(new))
        return self.path

    def _where(self) -> str:
        return repr(format_path(self.key)) if self.key else "the document root"


class KeyExists(_DocumentRule):
    """Ensure ``key`` holds exactly ``value``, creating missing parent mappings.

    Only the key's lines change; a key that already holds an equal value (same type too:
    ``1`` is not ``1.0`` or ``true``) leaves the file untouched.  Parents that are missing
    are created (TOML: as tables); a path through a scalar, or a list index past the end,
    fails with a ``DocumentError``.

    Example::

        KeyExists(name="ruff selects isort", path="pyproject.toml",
                  key="tool.ruff.lint.select", value=["E", "F", "I"])
    """

    id = "key-exists"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        key: PathLike,
        value: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, key=key, **kwargs)
        if not self.key:
            raise ConfigError(f"{self._owner}: key must name a key, not the document root")
        self.value = self._check_plain(value, "value")

    def edit(self, doc: Document) -> None:
        doc.set(self.key, self.value)


class KeyNotExists(_DocumentRule):
    """Ensure ``key`` is absent: remove it with its lines.

    ``key`` may go through list items (``updates[0].schedule``) but not end at one: deleting
    by position is not idempotent (use ``value-not-exists`` to remove an item by value).

    A key that is already absent (or whose parent is) changes nothing.

    Example::

        KeyNotExists(name="no legacy setting", path=".github/dependabot.yml",
                     key="updates[0].open-pull-requests-limit")
    """

    id = "key-not-exists"

    def __init__(
        self, name: str, path: str | Path | None = None, *, key: PathLike, **kwargs: Any
    ) -> None:
        super().__init__(name, path, key=key, **kwargs)
        if not self.key:
            raise ConfigError(f"{self._owner}: key must name a key, not the document root")
        if isinstance(self.key[-1], int):
            raise ConfigError(
                f"{self._owner}: key {format_path(self.key)!r} deletes a list item by its "
                "position, so every run would delete another one; name the item by value "
                "with value-not-exists instead"
            )

    def edit(self, doc: Document) -> None:
        doc.delete(self.key)


class KeyRenamed(_DocumentRule):
    """Ensure the key at ``key`` is named ``new_name`` instead, in place, keeping its value.

    Renamed where it stands (same position, comments and value).  Nothing changes when
    ``key`` is absent (already renamed, or never there).  When ``new_name`` exists too,
    an equal value means the old key is simply removed; a different one is an error.

    Example::

        KeyRenamed(name="compose v2 name", path="docker-compose.yml",
                   key="services.web.links", new_name="depends_on")
    """

    id = "key-renamed"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        key: PathLike,
        new_name: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, key=key, **kwargs)
        if not self.key or not isinstance(self.key[-1], str):
            raise ConfigError(f"{self._owner}: key must end with a key name to rename")
        if not isinstance(new_name, str) or not new_name:
            raise ConfigError(f"{self._owner}: new_name must be a non-empty key name")
        self.new_name = new_name

    def edit(self, doc: Document) -> None:
        doc.rename(self.key, self.new_name)


def _as_items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _current(doc: Document, key: KeyPath) -> Any:
    """The value at ``key``; an INI option reads as its list of lines."""
    value = doc.get(key)
    if doc.fmt == "ini" and isinstance(value, str):
        return doc.get_items(key)
    return value


class ValueExists(_DocumentRule):
    """Ensure ``value`` is in the list or mapping at ``key``.

    For a list, each item of ``value`` (a list, or one item) missing from it is appended;
    items already there are never added twice.  For a mapping, ``value`` (a mapping) is
    merged in: nested mappings merge, other values are set.  A missing key is created
    with ``value`` (a single item becomes a one-item list).  An INI option is a list of
    lines.  A scalar at ``key`` fails with a ``DocumentError``.

    Example::

        ValueExists(name="flake8 hook", path=".pre-commit-config.yaml",
                    key="repos[0].hooks", value={"id": "flake8"})
    """

    id = "value-exists"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        key: PathLike,
        value: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, key=key, **kwargs)
        self.value = self._check_plain(value, "value")

    def edit(self, doc: Document) -> None:
        self._ensure(doc, self.key, self.value)

    def _ensure(self, doc: Document, key: KeyPath, value: Any) -> None:
        current = _current(doc, key)
        if current is MISSING:
            doc.set(key, value if isinstance(value, dict | list) else [value])
        elif isinstance(current, list):
            missing: list[Any] = []
            for item in _as_items(value):
                wanted = doc.normalize(item)
                if not any(same_value(wanted, have) for have in [*current, *missing]):
                    missing.append(wanted if doc.fmt == "ini" else item)
            if missing:
                doc.append_items(key, missing)
        elif isinstance(current, dict):
            if not isinstance(value, Mapping):
                raise DocumentError(
                    f"{format_path(key) or 'the root'} is a mapping; value must be a mapping"
                )
            for name, item in value.items():
                sub = (*key, name)
                if isinstance(item, Mapping) and isinstance(current.get(name), dict):
                    self._ensure(doc, sub, item)
                else:
                    doc.set(sub, item)
        else:
            raise DocumentError(
                f"{format_path(key) or 'the root'} holds a single value, not a list or mapping"
            )


class ValueNotExists(_DocumentRule):
    """Ensure ``value`` is not in the list or mapping at ``key``.

    For a list, every item equal to ``value`` (or to any item of ``value`` when it is a
    list) is removed.  For a mapping, ``value`` names the keys to remove (a name or a list
    of names), or is a mapping whose entries are removed where the values are equal.  A
    missing key changes nothing; a scalar at ``key`` fails with a ``DocumentError``.

    Example::

        ValueNotExists(name="no py3.8", path=".github/workflows/tests.yml",
                       key="jobs.tests.strategy.matrix.python", value="3.8")
    """

    id = "value-not-exists"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        key: PathLike,
        value: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, key=key, **kwargs)
        self.value = self._check_plain(value, "value")

    def edit(self, doc: Document) -> None:
        current = _current(doc, self.key)
        if current is MISSING:
            return
        if isinstance(current, list):
            items = [doc.normalize(v) for v in _as_items(self.value)]
            if any(same_value(have, item) for have in current for item in items):
                doc.remove_items(self.key, items)
        elif isinstance(current, dict):
            if isinstance(self.value, Mapping):
                for name, item in self.value.items():
                    if name in current and same_value(current[name], doc.normalize(item)):
                        doc.delete((*self.key, name))
            else:
                for name in _as_items(self.value):
                    if not isinstance(name, str):
                        raise DocumentError(f"{self._where()} is a mapping; name keys to remove")
                    doc.delete((*self.key, name))
        else:
            raise DocumentError(f"{self._where()} holds a single value, not a list or mapping")


# -- the original Hammurabi's per-format names -------------------------------------------


def _alias(base: type[_DocumentRule], fmt: str) -> type[_DocumentRule]:
    """Return ``base`` with its format fixed (``YamlKeyExists`` is ``KeyExists`` for YAML)."""
    name = fmt.capitalize() + base.__name__
    summary = (base.__doc__ or "").strip().splitlines()[0].rstrip(".")
    hidden = {"format"} if fmt == "yaml" else {"format", "document"}
    return type(
        name,
        (base,),
        {
            "__doc__": f"{summary} in a {fmt.upper()} file (``{base.__name__}``, "
            f"``format={fmt!r}``).",
            "__module__": __name__,
            "__qualname__": name,
            "fixed_format": fmt,
            "hidden_arguments": frozenset(hidden),
        },
    )


YamlKeyExists = _alias(KeyExists, "yaml")
YamlKeyNotExists = _alias(KeyNotExists, "yaml")
YamlKeyRenamed = _alias(KeyRenamed, "yaml")
YamlValueExists = _alias(ValueExists, "yaml")
YamlValueNotExists = _alias(ValueNotExists, "yaml")
JsonKeyExists = _alias(KeyExists, "json")
JsonKeyNotExists = _alias(KeyNotExists, "json")
JsonKeyRenamed = _alias(KeyRenamed, "json")
JsonValueExists = _alias(ValueExists, "json")
JsonValueNotExists = _alias(ValueNotExists, "json")
TomlKeyExists = _alias(KeyExists, "toml")
TomlKeyNotExists = _alias(KeyNotExists, "toml")
TomlKeyRenamed = _alias(KeyRenamed, "toml")
TomlValueExists = _alias(ValueExists, "toml")
TomlValueNotExists = _alias(ValueNotExists, "toml")


# -- INI, with the original Hammurabi's arguments -----------------------------------------


def _section(value: Any, owner: str, what: str = "section") -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value or "]" in value:
        raise ConfigError(f"{owner}: {what} must be a one-line name without ']', not {value!r}")
    return value


def _pairs(options: Any, owner: str) -> dict[str, Any]:
    """Options as a mapping, from a mapping or from (name, value) pairs."""
    if options is None:
        return {}
    if isinstance(options, Mapping):
        pairs = list(options.items())
    else:
        try:
            pairs = [(k, v) for k, v in options]
        except (TypeError, ValueError):
            raise ConfigError(
                f"{owner}: options must be a mapping or (name, value) pairs"
            ) from None
    out: dict[str, Any] = {}
    for key, value in pairs:
        _section(key, owner, "an option name")
        if isinstance(value, dict) or (
            isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
        ):
            raise ConfigError(f"{owner}: option {key!r} must be a scalar or a list of scalars")
        check_value(value)
        out[key] = value
    return out


class _IniRule(_DocumentRule):
    fixed_format = "ini"
    hidden_arguments = frozenset({"format", "document", "key"})

    def __init__(
        self, name: str, path: str | Path | None = None, *, section: str, **kwargs: Any
    ) -> None:
        owner = f"rule {name!r}"
        kwargs.setdefault("key", [_section(section, owner)])
        super().__init__(name, path, **kwargs)
        self.section = section


class SectionExists(_IniRule):
    """Ensure an INI section exists, optionally with ``options`` set to the given values.

    A new section goes after (``add_after``, default) or before the section ``target``, or
    at the end of the file when there is no such section.  Options that are given are set
    (added or changed); other options of an existing section are left alone.

    Example::

        SectionExists(name="flake8 section", path="setup.cfg", section="flake8",
                      target="metadata", options={"max-line-length": 100})
    """

    id = "section-exists"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        section: str,
        target: str | None = None,
        options: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        add_after: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, section=section, **kwargs)
        self.target = _section(target, self._owner, "target") if target is not None else None
        self.options = _pairs(options, self._owner)
        self.add_after = bool(add_after)

    def edit(self, doc: Document) -> None:
        add = getattr(doc, "add_section", None)
        assert add is not None
        add(self.section, target=self.target, after=self.add_after)
        for option, value in self.options.items():
            doc.set((self.section, option), value)


class SectionNotExists(_IniRule):
    """Ensure an INI section is absent, with its options and comments inside it.

    Example::

        SectionNotExists(name="no bdist_wheel", path="setup.cfg", section="bdist_wheel")
    """

    id = "section-not-exists"

    def edit(self, doc: Document) -> None:
        if isinstance(doc.get(self.key), dict):
            doc.delete(self.key)


class SectionRenamed(_IniRule):
    """Ensure the INI section ``section`` is named ``new_name`` (header rewritten in place).

    Nothing changes when ``section`` is absent.

    Example::

        SectionRenamed(name="pytest in setup.cfg", path="setup.cfg",
                       section="pytest", new_name="tool:pytest")
    """

    id = "section-renamed"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        section: str,
        new_name: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, section=section, **kwargs)
        self.new_name = _section(new_name, self._owner, "new_name")

    def edit(self, doc: Document) -> None:
        if isinstance(doc.get(self.key), dict):
            doc.rename(self.key, self.new_name)


class OptionsExist(_IniRule):
    """Ensure the INI section holds the ``options`` (created when the section is missing).

    Missing options are added after the section's last option.  An option that exists
    with another value keeps it, unless ``force_value`` is true.

    Example::

        OptionsExist(name="flake8 limits", path="tox.ini", section="flake8",
                     options={"max-line-length": 100}, force_value=True)
    """

    id = "options-exist"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        section: str,
        options: Mapping[str, Any] | Iterable[tuple[str, Any]],
        force_value: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, section=section, **kwargs)
        self.options = _pairs(options, self._owner)
        self.force_value = bool(force_value)

    def edit(self, doc: Document) -> None:
        for option, value in self.options.items():
            key = (self.section, option)
            if self.force_value or doc.get(key) is MISSING:
                doc.set(key, value)


class OptionsNotExist(_IniRule):
    """Ensure none of the named ``options`` is in the INI section.

    Example::

        OptionsNotExist(name="no universal wheels", path="setup.cfg",
                        section="bdist_wheel", options=["universal"])
    """

    id = "options-not-exist"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        section: str,
        options: Iterable[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, section=section, **kwargs)
        names = [options] if isinstance(options, str) else list(options)
        self.options = [_section(o, self._owner, "an option name") for o in names]

    def edit(self, doc: Document) -> None:
        for option in self.options:
            doc.delete((self.section, option))


class OptionRenamed(_IniRule):
    """Ensure the INI option ``option`` of ``section`` is named ``new_name``, in place.

    Nothing changes when the option is absent.  When ``new_name`` exists too, an equal
    value means the old option is removed; a different one is an error.

    Example::

        OptionRenamed(name="flake8 spelling", path="setup.cfg", section="flake8",
                      option="ignore", new_name="extend-ignore")
    """

    id = "option-renamed"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        section: str,
        option: str,
        new_name: str,
        **kwargs: Any,
    ) -> None:
        owner = f"rule {name!r}"
        key = [_section(section, owner), _section(option, owner, "option")]
        super().__init__(name, path, section=section, key=key, **kwargs)
        self.new_name = _section(new_name, self._owner, "new_name")

    def edit(self, doc: Document) -> None:
        doc.rename(self.key, self.new_name)


@hookimpl
def hammurabi_rule_types() -> Iterable[type[PathRule]]:
    return (
        KeyExists,
        KeyNotExists,
        KeyRenamed,
        ValueExists,
        ValueNotExists,
        SectionExists,
        SectionNotExists,
        SectionRenamed,
        OptionsExist,
        OptionsNotExist,
        OptionRenamed,
    )
