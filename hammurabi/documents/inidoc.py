"""INI (setup.cfg, tox.ini, .flake8, .editorconfig, mypy.ini) by splicing the original text.

configupdater parses the file into blocks that remember their raw lines, so every section
header, option and comment has a known line span; an edit replaces, inserts or removes
only those lines and the file is parsed again to check the result.

* Paths: ``section.option`` (quote section names holding dots: ``"mypy-foo.*".strict``).
  Options before the first section header (``.editorconfig``'s ``root = true``) are
  top-level keys: ``root``.
* Values are strings.  ``True``/``False`` are written ``true``/``false``, numbers as
  written by ``str``; comparisons happen on that text, so ``set(..., 1)`` over ``x = 1``
  is no change.  A list is a multi-line value, one item per line (setup.cfg style); its
  items are the value's non-empty lines.
* A new option goes after the last option of its section, written with the delimiter
  style of the file (``key = value`` or ``key=value``); a new section goes at the end,
  after a blank line.  Option names keep their case.
* Duplicate sections or options are refused (configparser's strict mode).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from configupdater import ConfigUpdater
from configupdater.block import Space
from configupdater.option import Option
from configupdater.section import Section

from hammurabi.core.errors import ConfigError, DocumentError
from hammurabi.documents.base import (
    MISSING,
    Document,
    SingleCodec,
    check_value,
    describe,
    same_value,
)
from hammurabi.documents.paths import KeyPath

__all__ = ["CODEC", "IniDocument"]

_TOP = "\x00hammurabi-top-level\x00"
_HEADER = f"[{_TOP}]\n"
_DELIM = re.compile(r"[ \t]*[=:][ \t]*")
_INDENT = re.compile(r"[ \t]+")


@dataclass(slots=True)
class _Span:
    """Lines ``start`` (inclusive) to ``end`` (exclusive) of the document text."""

    start: int
    end: int


def _parse(text: str) -> ConfigUpdater:
    updater = ConfigUpdater(allow_no_value=True, strict=True)
    updater.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        updater.read_string(_HEADER + text)
    except Exception as exc:  # configparser's errors have no common base besides Exception
        message = " ".join(str(exc).replace("'<string>'", "").split())
        raise DocumentError(f"invalid INI: {message}") from None
    return updater


def ini_text(value: Any) -> str:
    """Return the INI spelling of a scalar (``true``/``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _delimiter(option: Option) -> tuple[str, bool]:
    """Return an option's delimiter (``" ="``, ``"="``, ``":"``) and whether a space follows."""
    first = option.lines[0]
    match = _DELIM.match(first, first.find(option.raw_key) + len(option.raw_key))
    if match is None:
        return " =", True
    text = match.group()
    core = text.rstrip(" \t")
    return core, text != core or core[:1] in (" ", "\t")


def _clean(raw: str | None) -> str | None:
    if raw is None:
        return None
    lines = [line.strip() for line in raw.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


class IniDocument(Document):
    """An INI document edited by splicing its lines."""

    fmt = "ini"

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text
        self._load(text)

    def _load(self, text: str) -> None:
        self._updater = _parse(text)
        self._stale = False
        self._lines = text.splitlines(keepends=True)
        self._spans: dict[int, _Span] = {}
        self._all: list[Section] = []
        self._style: tuple[tuple[str, bool], str] | None = None
        line = -1  # the added header is line -1
        for section in self._updater.iter_blocks():
            if isinstance(section, Section):
                self._all.append(section)
                self._spans[id(section)] = _Span(line, line + len(section.lines))
                line += len(section.lines)
                for block in section.iter_blocks():
                    self._spans[id(block)] = _Span(line, line + len(block.lines))
                    line += len(block.lines)
            else:
                line += len(section.lines)
        self._named = {s.name: s for s in self._all[1:]}

    def _file_style(self) -> tuple[tuple[str, bool], str]:
        """Return the file's usual delimiter (as :func:`_delimiter`) and continuation indent.

        Only new options need it, so it is worked out on first use.
        """
        if self._style is None:
            delims: Counter[tuple[str, bool]] = Counter()
            indents: Counter[str] = Counter()
            for section in self._sections():
                for option in section.iter_options():
                    if option.value is not None:
                        delims[_delimiter(option)] += 1
                    for extra in option.lines[1:]:
                        found = _INDENT.match(extra)
                        if found and extra.strip():
                            indents[found.group()] += 1
            self._style = (
                delims.most_common(1)[0][0] if delims else (" =", True),
                indents.most_common(1)[0][0] if indents else "    ",
            )
        return self._style

    # -- reading ---------------------------------------------------------------------------

    def _sections(self) -> list[Section]:
        if self._stale:
            self._load(self.text)
        return self._all

    def _top(self) -> Section:
        return self._sections()[0]

    def _section(self, name: str) -> Section | None:
        if self._stale:
            self._load(self.text)
        return self._named.get(name)

    @staticmethod
    def _option(section: Section, name: str) -> Option | None:
        for option in section.iter_options():
            if option.key == name:
                return option
        return None

    @staticmethod
    def _options(section: Section) -> dict[str, Any]:
        return {o.key: _clean(o.value) for o in section.iter_options()}

    def _locate(self, path: KeyPath) -> tuple[Section, Option | None] | None:
        """Return (section, option) for a path, (section, None) for a section path."""
        if not path or not all(isinstance(p, str) for p in path) or len(path) > 2:
            return None
        first = str(path[0])
        if len(path) == 1:
            top = self._option(self._top(), first)
            if top is not None:
                return self._top(), top
            section = self._section(first)
            return (section, None) if section is not None else None
        section = self._section(first)
        if section is None:
            return None
        option = self._option(section, str(path[1]))
        return (section, option) if option is not None else None

    def get(self, path: KeyPath) -> Any:
        if not path:
            out: dict[str, Any] = self._options(self._top())
            for section in self._sections()[1:]:
                out[section.name] = self._options(section)
            return out
        found = self._locate(path)
        if found is None:
            return MISSING
        section, option = found
        if option is None:
            return self._options(section)
        return _clean(option.value)

    def normalize(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.normalize(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.normalize(v) for v in value]
        return None if value is None else _clean(ini_text(value))

    def get_items(self, path: KeyPath) -> list[Any] | None:
        value = self.get(path)
        if not isinstance(value, str):
            return None
        return [line for line in value.split("\n") if line]

    # -- rendering -------------------------------------------------------------------------

    def _option_text(self, name: str, value: Any, like: Option | None = None) -> str:
        delim, space = _delimiter(like) if like is not None else self._file_style()[0]
        if value is None:
            return name + "\n"
        if isinstance(value, list):
            indent = None
            if like is not None:
                extra = [_INDENT.match(line) for line in like.lines[1:] if line.strip()]
                indent = next((m.group() for m in extra if m), None)
            indent = indent or self._file_style()[1]
            body = "".join(f"{indent}{ini_text(item)}\n" for item in value)
            return f"{name}{delim}\n{body}"
        text = ini_text(value)
        if "\n" in text:
            return self._option_text(name, text.split("\n"), like)
        return f"{name}{delim}{' ' if space and text else ''}{text}\n"

    # -- editing ---------------------------------------------------------------------------

    def _apply(self, start: int, end: int, new: str, check: Any) -> None:
        """Replace lines ``start:end`` by ``new`` and verify the result with ``check``.

        Only the sections around the edit are parsed again to verify it (everything else
        is unchanged text); the whole document is parsed again when next read.
        """
        lines = list(self._lines)
        if new and start > 0 and start == len(lines) and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines[start:end] = [new] if new else []
        text = "".join(lines)
        if text == self.text:
            return
        new_lines = text.splitlines(keepends=True)
        inserted = len(new.splitlines())
        first = next(
            (i for i in range(min(start, len(new_lines) - 1), -1, -1) if new_lines[i][:1] == "["),
            0,
        )
        last = next(
            (
                i
                for i in range(max(start + inserted, first + 1), len(new_lines))
                if new_lines[i][:1] == "["
            ),
            len(new_lines),
        )
        try:
            if not check(IniDocument("".join(new_lines[first:last]))):
                raise DocumentError("the result does not read back as intended")
        except DocumentError as exc:
            raise DocumentError(
                f"internal error: the edit would corrupt the file ({exc})"
            ) from None
        self.text, self._lines, self._stale = text, new_lines, True
        self.changed = True

    def _end_of_options(self, section: Section) -> int:
        """Line after the section's last option (or after its header)."""
        last = None
        for block in section.iter_blocks():
            if isinstance(block, Option):
                last = block
        return self._spans[id(last if last is not None else section)].end

    def _value_span(self, option: Option) -> _Span:
        """The option's lines without trailing comment or blank lines."""
        span = self._spans[id(option)]
        end = span.end
        while end - 1 > span.start and self._lines[end - 1].strip()[:1] in ("", "#", ";"):
            end -= 1
        return _Span(span.start, end)

    def _check_value(self, path: KeyPath, value: Any) -> None:
        check_value(value, path)
        if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            raise ConfigError(f"{describe(path)}: INI list items must be scalars")
        if isinstance(value, dict):
            raise ConfigError(f"{describe(path)}: INI option values cannot be mappings")

    def _same(self, path: KeyPath, value: Any) -> bool:
        if isinstance(value, list):
            return same_value(self.get_items(path), [ini_text(v) for v in value])
        if value is None:
            return self.get(path) is None
        if isinstance(value, dict):
            return same_value(self.get(path), {k: _clean(ini_text(v)) for k, v in value.items()})
        return same_value(self.get(path), _clean(ini_text(value)))

    def set(self, path: KeyPath, value: Any) -> None:
        if not path:
            raise ConfigError("cannot replace the whole document; give a key path")
        if any(not isinstance(p, str) for p in path):
            raise DocumentError(f"cannot set {describe(path)}: INI has no lists to index")
        if len(path) > 2:
            raise DocumentError(
                f"cannot set {describe(path)}: INI files hold only sections and options"
            )
        if len(path) == 1 and isinstance(value, dict):
            self._set_section(str(path[0]), value)
            return
        if len(path) == 1:
            section_name, name = _TOP, str(path[0])
            if self._section(name) is not None:
                raise DocumentError(f"cannot set {describe(path)}: it is a section")
        else:
            section_name, name = str(path[0]), str(path[1])
        self._check_value(path, value)
        if self._same(path, value):
            return

        def check(doc: IniDocument) -> bool:
            return doc._same(path, value)

        section = self._top() if section_name == _TOP else self._section(section_name)
        if section is None:
            self._add_section(section_name, {name: value}, check)
            return
        option = self._option(section, name)
        if option is not None:
            span = self._value_span(option)
            self._apply(span.start, span.end, self._option_text(name, value, option), check)
            return
        at = self._end_of_options(section)
        self._apply(at, at, self._option_text(name, value), check)

    def _set_section(self, name: str, options: dict[str, Any]) -> None:
        for key, value in options.items():
            self._check_value((name, key), value)
        section = self._section(name)
        if section is None:
            self._add_section(name, options, lambda doc: doc._same((name,), options))
            return
        for option in list(section.iter_options()):
            if option.key not in options:
                self.delete((name, option.key))
        for key, value in options.items():
            self.set((name, key), value)

    def _add_section(self, name: str, options: dict[str, Any], check: Any) -> None:
        if "]" in name or "\n" in name or not name.strip():
            raise DocumentError(f"cannot create INI section {name!r}")
        body = "".join(self._option_text(k, v) for k, v in options.items())
        at = len(self._lines)
        lead = "\n" if any(line.strip() for line in self._lines) and self._lines[-1].strip() else ""
        self._apply(at, at, f"{lead}[{name}]\n{body}", check)

    def delete(self, path: KeyPath) -> None:
        if not path:
            raise ConfigError("cannot delete the whole document")
        found = self._locate(path)
        if found is None:
            return
        section, option = found

        def check(doc: IniDocument) -> bool:
            return doc.get(path) is MISSING

        if option is not None:
            span = self._value_span(option)
            self._apply(span.start, span.end, "", check)
            return
        start = self._spans[id(section)].start
        end = self._end_of_options(section)
        blocks = list(section.iter_blocks())
        for block in blocks:  # blank lines right after the last option go with the section
            span = self._spans[id(block)]
            if span.start == end and isinstance(block, Space):
                end = span.end
        if end == len(self._lines) and start > 0 and not self._lines[start - 1].strip():
            start -= 1  # the section was last: drop the blank line that introduced it
        self._apply(start, end, "", check)

    def rename(self, path: KeyPath, new_name: str) -> None:
        if not path or not isinstance(path[-1], str):
            raise ConfigError(f"cannot rename {describe(path)}: the path must end with a key")
        found = self._locate(path)
        if found is None:
            return
        section, option = found
        target = (*path[:-1], new_name)
        old_value = self.get(path)
        existing = self.get(target)
        if existing is not MISSING:
            if same_value(existing, old_value):
                self.delete(path)
                return
            raise DocumentError(
                f"cannot rename {describe(path)} to {new_name!r}: the key exists with another value"
            )

        def check(doc: IniDocument) -> bool:
            return doc.get(path) is MISSING and same_value(doc.get(target), old_value)

        if option is not None:
            span = self._spans[id(option)]
            line = self._lines[span.start]
            at = line.find(option.raw_key)
            new = line[:at] + new_name + line[at + len(option.raw_key) :]
        else:
            span = self._spans[id(section)]
            line = self._lines[span.start]
            old_header = f"[{section.name}]"
            if old_header not in line or "]" in new_name or "\n" in new_name:
                raise DocumentError(f"cannot rename section {section.name!r} to {new_name!r}")
            new = line.replace(old_header, f"[{new_name}]", 1)
        self._apply(span.start, span.start + 1, new, check)

    def append_items(self, path: KeyPath, items: list[Any]) -> None:
        self._check_value(path, items)
        current = self.get_items(path)
        if current is None:
            raise DocumentError(f"cannot append to {describe(path)}: it is not an option")
        if items:
            self.set(path, [*current, *(ini_text(item) for item in items)])

    def remove_items(self, path: KeyPath, items: list[Any]) -> None:
        current = self.get_items(path)
        if current is None:
            return
        wanted = {ini_text(item) for item in items}
        kept = [line for line in current if line not in wanted]
        if len(kept) != len(current):
            self.set(path, kept if len(kept) != 1 or len(current) > 1 else kept[0])

    def add_section(self, name: str, *, target: str | None = None, after: bool = True) -> None:
        """Add an empty section, placed after (or before) section ``target`` if it exists."""
        if self._section(name) is not None:
            return
        anchor = self._section(target) if target is not None else None
        if anchor is None:
            self._add_section(name, {}, lambda doc: doc._section(name) is not None)
            return
        if "]" in name or "\n" in name or not name.strip():
            raise DocumentError(f"cannot create INI section {name!r}")
        if after:
            at = self._end_of_options(anchor)
            self._apply(at, at, f"\n[{name}]\n", lambda doc: doc._section(name) is not None)
        else:
            at = self._spans[id(anchor)].start
            self._apply(at, at, f"[{name}]\n\n", lambda doc: doc._section(name) is not None)

    def dump(self) -> str:
        return self.text if self.changed else self.original


CODEC = SingleCodec("ini", IniDocument)
