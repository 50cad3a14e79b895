"""Rules that edit text files line by line, keeping encoding and newline style."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hammurabi.core.errors import ConfigError, RuleError
from hammurabi.core.hooks import hookimpl
from hammurabi.core.node import compile_regex
from hammurabi.core.textfile import Text
from hammurabi.rules.common import IF_MISSING, PathRule, choice, single_line

_INDENT = re.compile(r"^[ \t]*")


class _Lines:
    """A text split into lines, remembering whether it ended with a newline."""

    def __init__(self, text: Text, *, exists: bool = True) -> None:
        self.text = text
        self.exists = exists
        content = text.content
        self.trailing = content.endswith("\n") or content == ""
        body = content[:-1] if content.endswith("\n") else content
        self.lines: list[str] = body.split("\n") if content else []

    def render(self) -> Text:
        content = "\n".join(self.lines)
        if self.lines and self.trailing:
            content += "\n"
        return self.text.with_content(content)


def _indent_like(line: str, text: str, respect: bool) -> str:
    if not respect or text[:1] in (" ", "\t"):
        return text
    return _INDENT.match(line).group(0) + text  # type: ignore[union-attr]


def _first(lines: list[str], pattern: re.Pattern[str] | None) -> int | None:
    if pattern is None:
        return None
    return next((i for i, line in enumerate(lines) if pattern.search(line)), None)


class _LineRule(PathRule):
    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        encoding: str | None = None,
        create: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, **kwargs)
        self.encoding = encoding
        self.create = bool(create)

    def _load(self, missing_ok: bool = False) -> _Lines | None:
        real = self.workspace.resolve(self.path)
        if not real.exists():
            if self.create:
                return _Lines(Text(""), exists=False)
            if missing_ok:
                return None
            raise RuleError("file does not exist", path=self.workspace.relative(self.path))
        return _Lines(self.workspace.read_text(self.path, self.encoding))

    def _save(self, lines: _Lines) -> None:
        text = lines.render()
        if lines.exists and text.content == lines.text.content:
            return  # unchanged: not even re-encoded (a file's mixed newlines stay as they are)
        self.workspace.write_text(self.path, text)


class LineExists(_LineRule):
    """Ensure a line is present, inserted after or before a matching line, or at the end.

    Never adds the line twice: if a line equal to ``text`` (ignoring surrounding
    whitespace) or matching ``criteria`` exists anywhere, nothing changes. The anchor is
    the first line matching ``after``/``before``; ``if_missing`` says what to do when no
    line matches it: ``fail`` (default), ``end`` (append) or ``skip``.

    Example::

        LineExists(name="gevent imported", path="app.py", text="import gevent",
                   after=r"^import ")
    """

    id = "line-exists"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        text: str,
        after: str | None = None,
        before: str | None = None,
        criteria: str | None = None,
        target: str | None = None,
        position: int | None = None,
        respect_indentation: bool = True,
        if_missing: str = "fail",
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, **kwargs)
        owner = f"rule {name!r}"
        self.text = single_line(text, "text", owner)
        if target is not None:  # the original Hammurabi's spelling
            if position in (None, 1):
                after = after or target
            else:
                before = before or target
        if after is not None and before is not None:
            raise ConfigError(f"{owner}: give either after or before, not both")
        self.after = compile_regex(after, "after", owner) if after is not None else None
        self.before = compile_regex(before, "before", owner) if before is not None else None
        self.criteria = compile_regex(criteria, "criteria", owner) if criteria else None
        self.respect_indentation = respect_indentation
        self.if_missing = choice(if_missing, IF_MISSING, "if_missing", owner)

    def _present(self, lines: list[str]) -> bool:
        if self.criteria is not None:
            return any(self.criteria.search(line) for line in lines)
        wanted = self.text.strip()
        return any(line.strip() == wanted for line in lines)

    def task(self) -> Path:
        lines = self._load()
        assert lines is not None
        if self._present(lines.lines):
            return self.path
        anchor = self.after or self.before
        index = _first(lines.lines, anchor)
        if anchor is not None and index is None:
            if self.if_missing == "skip":
                return self.path
            if self.if_missing == "fail":
                raise RuleError(
                    f"no line matches {anchor.pattern!r}",
                    path=self.workspace.relative(self.path),
                )
        if index is None:
            lines.lines.append(self.text)
        else:
            line = _indent_like(lines.lines[index], self.text, self.respect_indentation)
            lines.lines.insert(index + 1 if self.after is not None else index, line)
        self._save(lines)
        return self.path


class LineNotExists(_LineRule):
    """Ensure no line equals ``text`` (ignoring surrounding whitespace) or matches ``criteria``.

    A missing file already satisfies this rule.

    Example::

        LineNotExists(name="no debug", path="settings.py", criteria=r"^DEBUG\\s*=")
    """

    id = "line-not-exists"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        text: str | None = None,
        criteria: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, **kwargs)
        owner = f"rule {name!r}"
        if (text is None) == (criteria is None):
            raise ConfigError(f"{owner}: give exactly one of text or criteria")
        self.text = single_line(text, "text", owner) if text is not None else None
        self.criteria = compile_regex(criteria, "criteria", owner) if criteria else None

    def _matches(self, line: str) -> bool:
        if self.criteria is not None:
            return bool(self.criteria.search(line))
        assert self.text is not None
        return line.strip() == self.text.strip()

    def task(self) -> Path:
        lines = self._load(missing_ok=True)
        if lines is None:
            return self.path
        kept = [line for line in lines.lines if not self._matches(line)]
        if kept != lines.lines:
            lines.lines = kept
            self._save(lines)
        return self.path


class LineReplaced(_LineRule):
    """Replace every line matching ``target`` (anchored at the line start) with ``text``.

    ``match`` is accepted as an alias of ``target``. With ``respect_indentation`` the new
    line keeps the replaced line's indentation. When no line matches and no line equals
    ``text`` already, ``if_missing`` decides: ``fail`` (default), ``end`` (append) or
    ``skip``.

    Example (from the article)::

        LineReplaced(name="Worker class is set to gevent", path=Path("gunicorn.conf.py"),
                     target=r"^(\\s+)?worker_class\\ =\\ .*", text='worker_class = "gevent"')
    """

    id = "line-replaced"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        text: str,
        target: str | None = None,
        match: str | None = None,
        respect_indentation: bool = True,
        if_missing: str = "fail",
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, **kwargs)
        owner = f"rule {name!r}"
        if (target is None) == (match is None):
            raise ConfigError(f"{owner}: give exactly one of target or match")
        self.text = single_line(text, "text", owner)
        self.target = compile_regex(target if target is not None else match, "target", owner)  # type: ignore[arg-type]
        self.respect_indentation = respect_indentation
        self.if_missing = choice(if_missing, IF_MISSING, "if_missing", owner)

    def task(self) -> Path:
        lines = self._load()
        assert lines is not None
        found = False
        for i, line in enumerate(lines.lines):
            if self.target.match(line):
                found = True
                lines.lines[i] = _indent_like(line, self.text, self.respect_indentation)
        if not found:
            if any(line.strip() == self.text.strip() for line in lines.lines):
                return self.path
            if self.if_missing == "skip":
                return self.path
            if self.if_missing == "fail":
                raise RuleError(
                    f"no line matches {self.target.pattern!r}",
                    path=self.workspace.relative(self.path),
                )
            lines.lines.append(self.text)
        self._save(lines)
        return self.path


class _BlockRule(_LineRule):
    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        marker: str = "# {mark} HAMMURABI MANAGED BLOCK",
        marker_begin: str = "BEGIN",
        marker_end: str = "END",
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, **kwargs)
        owner = f"rule {name!r}"
        single_line(marker, "marker", owner)
        if "{mark}" not in marker:
            raise ConfigError(f"{owner}: marker must contain '{{mark}}'")
        self.begin = marker.replace("{mark}", single_line(marker_begin, "marker_begin", owner))
        self.end = marker.replace("{mark}", single_line(marker_end, "marker_end", owner))
        if self.begin == self.end:
            raise ConfigError(f"{owner}: marker_begin and marker_end must differ")

    def _find(self, lines: list[str]) -> tuple[int, int] | None:
        start = next((i for i, line in enumerate(lines) if line.strip() == self.begin), None)
        if start is None:
            return None
        for j in range(start + 1, len(lines)):
            if lines[j].strip() == self.end:
                return start, j
        raise RuleError(
            f"block start {self.begin!r} has no end marker {self.end!r}",
            path=self.workspace.relative(self.path),
        )


class BlockExists(_BlockRule):
    """Ensure a block of lines sits between two marker lines (like Ansible's blockinfile).

    An existing block is replaced in place; otherwise the block is inserted after/before
    the first line matching ``after``/``before``, or at the end.

    Example::

        BlockExists(name="gevent settings", path="gunicorn.conf.py",
                    block="worker_class = 'gevent'\\nworkers = 4")
    """

    id = "block-exists"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        block: str,
        after: str | None = None,
        before: str | None = None,
        if_missing: str = "fail",
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, **kwargs)
        owner = f"rule {name!r}"
        if not isinstance(block, str):
            raise ConfigError(f"{owner}: block must be a string")
        if after is not None and before is not None:
            raise ConfigError(f"{owner}: give either after or before, not both")
        self.block = block.replace("\r\n", "\n").rstrip("\n").split("\n") if block else []
        self.after = compile_regex(after, "after", owner) if after is not None else None
        self.before = compile_regex(before, "before", owner) if before is not None else None
        self.if_missing = choice(if_missing, IF_MISSING, "if_missing", owner)

    def task(self) -> Path:
        lines = self._load()
        assert lines is not None
        wanted = [self.begin, *self.block, self.end]
        found = self._find(lines.lines)
        if found is not None:
            start, end = found
            if lines.lines[start : end + 1] == wanted:
                return self.path
            lines.lines[start : end + 1] = wanted
        else:
            anchor = self.after or self.before
            index = _first(lines.lines, anchor)
            if anchor is not None and index is None:
                if self.if_missing == "skip":
                    return self.path
                if self.if_missing == "fail":
                    raise RuleError(
                        f"no line matches {anchor.pattern!r}",
                        path=self.workspace.relative(self.path),
                    )
            if index is None:
                lines.lines.extend(wanted)
            else:
                at = index + 1 if self.after is not None else index
                lines.lines[at:at] = wanted
        self._save(lines)
        return self.path


class BlockNotExists(_BlockRule):
    """Ensure every marker-delimited block (markers included) is gone. A missing file is fine."""

    id = "block-not-exists"

    def task(self) -> Path:
        lines = self._load(missing_ok=True)
        if lines is None:
            return self.path
        removed = False
        while (found := self._find(lines.lines)) is not None:
            start, end = found
            del lines.lines[start : end + 1]
            removed = True
        if removed:
            self._save(lines)
        return self.path


@hookimpl
def hammurabi_rule_types() -> Iterable[type[PathRule]]:
    return (LineExists, LineNotExists, LineReplaced, BlockExists, BlockNotExists)
