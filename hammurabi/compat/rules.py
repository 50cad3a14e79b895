"""The rules of Hammurabi 0.11 with their original arguments and meanings.

Each class extends the current rule of the same name, so new arguments keep working and
law files are untouched. The 0.11-only spellings (``LineExists(match=...)``,
``ModeChanged(new_value=...)``, ``TemplateRendered(template=Path, destination=Path)`` …)
always work and print one deprecation line naming the new spelling. Where the same call
means something else in 0.11 (``LineNotExists(text=...)`` is a regular expression there;
``…KeyExists`` keeps an existing value), the 0.11 meaning holds for pillars loaded the
original's way (see :mod:`hammurabi.compat.mode`).

Files written by the 0.11 line rules end with a newline, as they did in 0.11. Where 0.11
reformatted a whole file (JSON minified, TOML re-dumped) or repeated itself on every run,
these rules keep the file's formatting and change nothing the second time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path, PosixPath
from typing import Any, ClassVar

from hammurabi.compat import EXPORTS
from hammurabi.compat.mode import deprecated, original
from hammurabi.core.errors import ConfigError, RuleError
from hammurabi.core.node import compile_regex
from hammurabi.documents.base import MISSING, Document
from hammurabi.rules import attributes, documents, files, lines, templates

_INDENT = re.compile(r"^\s+")


class LineExists(lines.LineExists):
    """Ensure a line is present; 0.11's ``match``/``position`` place it next to a match.

    With ``match`` (0.11): ``text`` goes ``position`` lines after the *last* line that
    ``match`` matches at its start (``0`` before it, ``1`` right after), indented like it
    when ``respect_indentation``; an empty file just gets the line. Unlike 0.11 the line
    is never added twice. ``ensure_trailing_newline`` keeps an empty last line, as 0.11 did.
    """

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        text: str | None = None,
        match: str | None = None,
        position: int | None = None,
        respect_indentation: bool = True,
        ensure_trailing_newline: bool = False,
        **kwargs: Any,
    ) -> None:
        if text is None:
            raise ConfigError(f"rule {name!r}: text is required")
        self.match = None
        self.offset = 1 if position is None else position
        if match is not None:
            deprecated(
                "LineExists(match=..., position=...) is the 0.11 spelling; write "
                "after=... (or before=...)"
            )
            self.match = compile_regex(match, "match", f"rule {name!r}")
            if isinstance(self.offset, bool) or not isinstance(self.offset, int):
                raise ConfigError(f"rule {name!r}: position must be an integer")
        elif position is not None:
            kwargs["position"] = position
        if ensure_trailing_newline:
            deprecated(
                "LineExists(ensure_trailing_newline=True) is 0.11's way to keep an empty last "
                "line; it has no current spelling (files keep their ending as they are)"
            )
        self.ensure_trailing_newline = bool(ensure_trailing_newline)
        super().__init__(name, path, text=text, respect_indentation=respect_indentation, **kwargs)

    def task(self) -> Path:
        if self.match is None:
            super().task()
        else:
            found = self._load()
            assert found is not None
            if not self._present(found.lines):
                if any(line.strip() for line in found.lines):
                    self._insert(found.lines)
                else:
                    found.lines[:] = [self.text]
                found.trailing = True
                self._save(found)
        if self.ensure_trailing_newline:
            found = self._load()
            assert found is not None
            if found.lines and found.lines[-1].strip():
                found.lines.append("")
                found.trailing = True
                self._save(found)
        return self.path

    def _insert(self, body: list[str]) -> None:
        assert self.match is not None
        matching = [i for i, line in enumerate(body) if self.match.match(line)]
        if not matching:
            raise RuleError(
                f"no line matches {self.match.pattern!r}", path=self.workspace.relative(self.path)
            )
        index = matching[-1]
        line = self.text
        indentation = _INDENT.match(body[index])
        if self.respect_indentation and indentation:
            line = indentation.group() + line
        body.insert(max(0, index + self.offset), line)


class LineNotExists(lines.LineNotExists):
    """Ensure no line is ``text``; in a 0.11 pillar ``text`` is a regular expression.

    In a pillar loaded the original's way, ``text`` keeps its 0.11 meaning: lines that the
    regular expression matches at their start are removed (spell it ``criteria=`` now).
    """

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        text: str | None = None,
        criteria: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.anchored = False
        if text is not None and criteria is None and original():
            deprecated(
                "LineNotExists(text=...) is a regular expression in a 0.11 pillar, a literal "
                "line in new code; write criteria=... for the regular expression"
            )
            criteria, text = text, None
            self.anchored = True
        super().__init__(name, path, text=text, criteria=criteria, **kwargs)

    def _matches(self, line: str) -> bool:
        if self.anchored:
            assert self.criteria is not None
            return bool(self.criteria.match(line))
        return super()._matches(line)

    def _save(self, found: Any) -> None:
        if self.anchored:
            found.trailing = True  # 0.11 ended every file it wrote with a newline
        super()._save(found)


class TemplateRendered(templates.TemplateRendered):
    """Render a Jinja2 template into a file; 0.11's ``template=Path, destination=Path`` too.

    With the 0.11 spelling a relative ``template`` is a file of the repository and an
    absolute one a file shipped with the pillar (read-only, outside the repository).
    """

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        destination: str | Path | None = None,
        context: Mapping[str, Any] | None = None,
        *,
        template: str | Path | None = None,
        **kwargs: Any,
    ) -> None:
        self.outside: Path | None = None
        if destination is not None:
            deprecated(
                "TemplateRendered(template=Path, destination=Path) is the 0.11 spelling; write "
                "TemplateRendered(path=DESTINATION, template=NAME, template_dir=FOLDER)"
            )
            if template is None:  # 0.11 by position: (name, template, destination)
                template, path = path, None
            if path is not None:
                raise ConfigError(f"rule {name!r}: give path or destination, not both")
            path = destination
        if isinstance(template, Path):
            if template.is_absolute():
                self.outside = template.parent
            template = template.name if template.is_absolute() else template.as_posix()
        super().__init__(name, path, template=template, context=context, **kwargs)  # type: ignore[arg-type]

    def _source_function(self, jinja2: Any, env: Any, loaded: set[str]) -> Callable[..., Any]:
        if self.outside is None:
            return super()._source_function(jinja2, env, loaded)
        folder = jinja2.FileSystemLoader(str(self.outside))

        def load(name: str) -> Any:
            loaded.add(name)
            try:
                return folder.get_source(env, name)
            except jinja2.TemplateNotFound:
                return None

        return load


class ModeChanged(attributes.ModeChanged):
    """Ensure a file's permission bits; 0.11's ``new_value`` is the mode, set exactly."""

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        new_value: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        if new_value is not None:
            deprecated("ModeChanged(new_value=...) is the 0.11 spelling; write mode=...")
            kwargs["mode"] = new_value
        super().__init__(name, path, **kwargs)


class OwnerChanged(attributes.OwnerChanged):
    """Ensure a file's owner; 0.11's ``new_value`` is ``user``, ``user:group`` or ``:group``."""

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        new_value: str | None = None,
        **kwargs: Any,
    ) -> None:
        if new_value is not None:
            deprecated(
                "OwnerChanged(new_value='user:group') is the 0.11 spelling; write "
                "owner=..., group=..."
            )
            user, _, group = str(new_value).partition(":")
            kwargs.setdefault("owner", user.strip() or None)
            kwargs.setdefault("group", group.strip() or None)
        super().__init__(name, path, **kwargs)


# -- JSON, YAML and TOML: 0.11's meaning in original pillars ---------------------------------


class _OriginalKeyExists:
    """0.11: a missing key is created with ``value``; an existing one keeps its value."""

    def __init__(self, name: str, path: Any = None, key: Any = "", value: Any = None, **kw: Any):
        self.original = original()
        super().__init__(name, path, key=key, value=value, **kw)  # type: ignore[call-arg]

    def edit(self, doc: Document) -> None:
        if not self.original:
            super().edit(doc)  # type: ignore[misc]
        elif doc.get(self.key) is MISSING:  # type: ignore[attr-defined]
            _set_or_drop(doc, self.key, self.value)  # type: ignore[attr-defined]


class _OriginalValueExists:
    """0.11: a missing key or a single value is set to ``value``; lists and mappings grow."""

    def __init__(self, name: str, path: Any = None, key: Any = "", value: Any = None, **kw: Any):
        self.original = original()
        super().__init__(name, path, key=key, value=value, **kw)  # type: ignore[call-arg]

    def edit(self, doc: Document) -> None:
        current = doc.get(self.key)  # type: ignore[attr-defined]
        value = self.value  # type: ignore[attr-defined]
        if self.original and (value is None or not isinstance(current, list | dict)):
            if current != value or current is MISSING:
                _set_or_drop(doc, self.key, value)  # type: ignore[attr-defined]
            return
        super().edit(doc)  # type: ignore[misc]


class _OriginalValueNotExists:
    """0.11: a single value equal to ``value`` becomes null (TOML: the key goes)."""

    def __init__(self, name: str, path: Any = None, key: Any = "", value: Any = None, **kw: Any):
        self.original = original()
        super().__init__(name, path, key=key, value=value, **kw)  # type: ignore[call-arg]

    def edit(self, doc: Document) -> None:
        current = doc.get(self.key)  # type: ignore[attr-defined]
        if self.original and not isinstance(current, list | dict):
            value = self.value  # type: ignore[attr-defined]
            if current is not MISSING and current is not None and current == value:
                _set_or_drop(doc, self.key, None)  # type: ignore[attr-defined]
            return
        super().edit(doc)  # type: ignore[misc]


class _OriginalKeyRenamed:
    """Same arguments as 0.11 (``key``, ``new_name``), given by keyword or position."""

    def __init__(self, name: str, path: Any = None, key: Any = "", new_name: str = "", **kw: Any):
        super().__init__(name, path, key=key, new_name=new_name, **kw)  # type: ignore[call-arg]


class _OriginalKeyNotExists:
    def __init__(self, name: str, path: Any = None, key: Any = "", **kw: Any):
        super().__init__(name, path, key=key, **kw)  # type: ignore[call-arg]


def _set_or_drop(doc: Document, key: Any, value: Any) -> None:
    """Set ``key``; a null in TOML (which has none) removes the key, as 0.11's dump did."""
    if value is None and doc.fmt == "toml":
        doc.delete(key)
    else:
        doc.set(key, value)


def _per_format(mixin: type, base: type) -> type:
    return type(base.__name__, (mixin, base), {"__doc__": base.__doc__, "__module__": __name__})


JsonKeyExists: type[documents._DocumentRule] = _per_format(
    _OriginalKeyExists, documents.JsonKeyExists
)
JsonKeyNotExists: type[documents._DocumentRule] = _per_format(
    _OriginalKeyNotExists, documents.JsonKeyNotExists
)
JsonKeyRenamed: type[documents._DocumentRule] = _per_format(
    _OriginalKeyRenamed, documents.JsonKeyRenamed
)
JsonValueExists: type[documents._DocumentRule] = _per_format(
    _OriginalValueExists, documents.JsonValueExists
)
JsonValueNotExists: type[documents._DocumentRule] = _per_format(
    _OriginalValueNotExists, documents.JsonValueNotExists
)
YamlKeyExists: type[documents._DocumentRule] = _per_format(
    _OriginalKeyExists, documents.YamlKeyExists
)
YamlKeyNotExists: type[documents._DocumentRule] = _per_format(
    _OriginalKeyNotExists, documents.YamlKeyNotExists
)
YamlKeyRenamed: type[documents._DocumentRule] = _per_format(
    _OriginalKeyRenamed, documents.YamlKeyRenamed
)
YamlValueExists: type[documents._DocumentRule] = _per_format(
    _OriginalValueExists, documents.YamlValueExists
)
YamlValueNotExists: type[documents._DocumentRule] = _per_format(
    _OriginalValueNotExists, documents.YamlValueNotExists
)
TomlKeyExists: type[documents._DocumentRule] = _per_format(
    _OriginalKeyExists, documents.TomlKeyExists
)
TomlKeyNotExists: type[documents._DocumentRule] = _per_format(
    _OriginalKeyNotExists, documents.TomlKeyNotExists
)
TomlKeyRenamed: type[documents._DocumentRule] = _per_format(
    _OriginalKeyRenamed, documents.TomlKeyRenamed
)
TomlValueExists: type[documents._DocumentRule] = _per_format(
    _OriginalValueExists, documents.TomlValueExists
)
TomlValueNotExists: type[documents._DocumentRule] = _per_format(
    _OriginalValueNotExists, documents.TomlValueNotExists
)


# -- INI: the section may come from an upstream SectionExists ---------------------------------


class SectionPath(PosixPath):
    """The path a ``SectionExists`` hands to its pipe and children, carrying its section."""

    ini_section: str = ""


_UPSTREAM = "\x00upstream"


class _Positional:
    """0.11's arguments after ``path`` may be given by position, in 0.11's order."""

    #: 0.11's arguments after ``path``, in its order.
    positional: ClassVar[tuple[str, ...]] = ()

    def __init__(self, name: str, path: Any = None, *args: Any, **kw: Any) -> None:
        if len(args) > len(self.positional):
            raise ConfigError(f"rule {name!r}: too many arguments")
        kw.update(zip(self.positional, args, strict=False))
        super().__init__(name, path, **kw)  # type: ignore[call-arg]


class LineReplaced(_Positional, lines.LineReplaced):
    positional = ("text", "match", "respect_indentation")


class Copied(_Positional, files.Copied):
    positional = ("destination",)


class Moved(_Positional, files.Moved):
    positional = ("destination",)


class Renamed(_Positional, files.Renamed):
    positional = ("new_name",)


for _cls in (LineReplaced, Copied, Moved, Renamed):
    _cls.__doc__ = _cls.__mro__[2].__doc__


class _SectionFlow(_Positional):
    """INI rules whose ``section`` may be left out under a ``SectionExists`` (pipe/children)."""

    section: str
    key: Any
    param: Any
    name: str

    def __init__(
        self, name: str, path: Any = None, *args: Any, section: str | None = None, **kw: Any
    ) -> None:
        super().__init__(name, path, *args, section=_UPSTREAM if section is None else section, **kw)

    def check_standalone(self) -> None:
        if self.section == _UPSTREAM:
            raise ConfigError(
                f"rule {self.name!r} has no section and no upstream SectionExists to take it from"
            )
        super().check_standalone()  # type: ignore[misc]

    def task(self) -> Path:
        if self.section == _UPSTREAM or self._flowing:
            section = getattr(self.param, "ini_section", "")
            if not section:
                raise ConfigError("no section given and no upstream SectionExists to take it from")
            self._flowing = True
            self.section = section
            self.key = [section, *self.key[1:]]
        return super().task()  # type: ignore[misc]

    _flowing = False


class SectionExists(documents.SectionExists):
    """Ensure an INI section exists; 0.11's ``match`` names the section to add it next to.

    Its pipe and children receive the path with the section, so INI rules under it may
    leave ``section`` out.
    """

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        match: str | None = None,
        options: Any = (),
        add_after: bool = True,
        **kwargs: Any,
    ) -> None:
        if match is not None:
            deprecated("SectionExists(match=...) is the 0.11 spelling; write target=...")
            kwargs.setdefault("target", match)
        super().__init__(name, path, options=options or None, add_after=add_after, **kwargs)

    def task(self) -> Path:
        done = super().task()
        carried = SectionPath(done)
        carried.ini_section = self.section
        return carried


class SectionNotExists(_SectionFlow, documents.SectionNotExists):
    positional = ()


class SectionRenamed(_SectionFlow, documents.SectionRenamed):
    positional = ("new_name",)


class OptionsExist(_SectionFlow, documents.OptionsExist):
    positional = ("options", "force_value")


class OptionsNotExist(_SectionFlow, documents.OptionsNotExist):
    positional = ("options",)


class OptionRenamed(_SectionFlow, documents.OptionRenamed):
    positional = ("option", "new_name")


for _ini in (SectionNotExists, SectionRenamed, OptionsExist, OptionsNotExist, OptionRenamed):
    _ini.__doc__ = (
        f"{_ini.__mro__[3].__doc__}\n\n    Under a ``SectionExists``, ``section`` may be left out."
    )

__all__ = [name for name, module in EXPORTS.items() if module == __name__]
