"""TOML through tomlkit, whose round trip is byte-exact and whose edits stay local.

Decisions:

* A missing parent becomes a standard table: ``set("tool.mypy.strict", True)`` adds
  ``[tool.mypy]`` (``[tool]`` stays implicit), placed after the last table of its parent.
  Inside an inline table (``x = {a = 1}``) new keys stay inline.
* A new key goes after the last key of its table, before sub-tables and before the comment
  block that introduces the next table; a new table takes over that comment block's place
  the same way, and deleting a table keeps the comment block of the table after it.
* Replaced strings keep literal (``'...'``) quoting when possible; a replaced array that
  spanned several lines stays multi-line; an inline table stays inline; list edits
  (``append_items``/``remove_items``) change the array in place, keeping its comments.
* TOML has no null: setting ``None`` is refused (``ConfigError``).
"""

from __future__ import annotations

import datetime
import tomllib
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.container import Container, OutOfOrderTableProxy
from tomlkit.items import (
    AoT,
    Array,
    Comment,
    InlineTable,
    Item,
    Null,
    String,
    StringType,
    Table,
    Whitespace,
)

from hammurabi.core.errors import ConfigError, DocumentError
from hammurabi.documents.base import (
    MISSING,
    Document,
    SingleCodec,
    check_value,
    describe,
    plain,
    same_value,
)
from hammurabi.documents.paths import KeyPath

__all__ = ["CODEC", "TomlDocument"]

_Mapping = (Container, Table, InlineTable, OutOfOrderTableProxy)
_List = (Array, AoT)


class TomlDocument(Document):
    """A TOML document held by tomlkit."""

    fmt = "toml"

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text
        try:
            self.doc = tomlkit.parse(text)
        except tomlkit.exceptions.TOMLKitError as exc:
            raise DocumentError(f"invalid TOML: {' '.join(str(exc).split())}") from None
        except (ValueError, KeyError, IndexError, RecursionError) as exc:
            raise DocumentError(f"invalid TOML: {exc}") from None

    # -- reading ---------------------------------------------------------------------------

    def _item(self, path: KeyPath) -> Any:
        current: Any = self.doc
        for part in path:
            if isinstance(current, _Mapping) and isinstance(part, str):
                if part not in current:
                    return MISSING
                current = current[part]
            elif isinstance(current, _List) and isinstance(part, int):
                index = part + len(current) if part < 0 else part
                if not 0 <= index < len(current):
                    return MISSING
                current = current[index]
            else:
                return MISSING
        return current

    def get(self, path: KeyPath) -> Any:
        item = self._item(path)
        if item is MISSING:
            return MISSING
        return _plain(item.unwrap() if hasattr(item, "unwrap") else item)

    # -- converting ------------------------------------------------------------------------

    def _convert(self, value: Any, old: Any = None, *, inline: bool = False) -> Any:
        """Return a tomlkit item for ``value``, styled like ``old`` (the value it replaces)."""
        if value is None:
            raise ConfigError("TOML has no null value; delete the key instead")
        if isinstance(value, str):
            literal = isinstance(old, String) and old.type in (StringType.SLL, StringType.MLL)
            if "\n" in value:
                return tomlkit.string(value, multiline=True, literal=literal and "'''" not in value)
            if literal and "'" not in value and value.isprintable():
                return tomlkit.string(value, literal=True)
            return tomlkit.string(value)
        if isinstance(value, dict):
            if inline or isinstance(old, InlineTable):
                table = tomlkit.inline_table()
                for key, item in value.items():
                    table[key] = self._convert(item, inline=True)
                return table
            return tomlkit.item(value)
        if isinstance(value, list):
            table_array = value and all(isinstance(v, dict) for v in value) and not inline
            if table_array and (old is None or isinstance(old, AoT)):
                return tomlkit.item(value)
            array = tomlkit.array()
            sample = old[-1] if isinstance(old, Array) and len(old) else None
            for item in value:
                array.append(
                    self._convert(item, sample if isinstance(item, str) else None, inline=True)
                )
            if isinstance(old, Array) and "\n" in old.as_string():
                array.multiline(True)
            return array
        return tomlkit.item(value)

    # -- editing ---------------------------------------------------------------------------

    def _verify(self, path: KeyPath, expected: Any) -> None:
        text = tomlkit.dumps(self.doc)
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DocumentError(
                f"internal error: the edit would corrupt the file ({exc})"
            ) from None
        for part in path:
            try:
                data = data[part]
            except (KeyError, IndexError, TypeError):
                data = MISSING
                break
        if data is MISSING or expected is MISSING:
            ok = data is expected
        else:
            ok = same_value(_plain(data), expected)
        if not ok:
            raise DocumentError("internal error: the edit does not read back as intended")
        self.text = text  # what dump() returns: every edit ends here, so it is current
        self.changed = True

    def _parent(self, path: KeyPath, *, create: bool) -> Any:
        """Return the container holding ``path[-1]``; create missing tables when asked."""
        current: Any = self.doc
        for depth, part in enumerate(path[:-1]):
            where = path[: depth + 1]
            if isinstance(current, _Mapping) and isinstance(part, str):
                if part not in current:
                    if not create:
                        return MISSING
                    if any(isinstance(p, int) for p in path[depth + 1 :]):
                        raise DocumentError(f"cannot create list indexes in {describe(path)}")
                    return (current, part, path[depth + 1 :])
                current = current[part]
            elif isinstance(current, _List) and isinstance(part, int):
                index = part + len(current) if part < 0 else part
                if not 0 <= index < len(current):
                    if not create:
                        return MISSING
                    raise DocumentError(
                        f"list index {part} is past the end of {describe(where[:-1])}"
                    )
                current = current[index]
            else:
                if not create:
                    return MISSING
                raise DocumentError(
                    f"cannot set {describe(path)}: {describe(where[:-1])} is not a "
                    + ("table" if isinstance(part, str) else "list")
                )
        return current

    def set(self, path: KeyPath, value: Any) -> None:
        check_value(value, path)
        if not path:
            raise ConfigError("cannot replace the whole document; give a key path")
        if same_value(self.get(path), value):
            return
        parent = self._parent(path, create=True)
        if isinstance(parent, tuple):  # a missing table at parent[1]
            container, name, rest = parent
            nested: Any = value
            for part in reversed(rest):
                nested = {part: nested}
            self._add(container, name, nested)
        else:
            key = path[-1]
            if isinstance(parent, _Mapping) and isinstance(key, str):
                if key in parent:
                    old = parent[key]
                    if not (isinstance(old, Array) and self._edit_array(old, value)):
                        parent[key] = self._convert(
                            value, old, inline=isinstance(parent, InlineTable)
                        )
                else:
                    self._add(parent, key, value)
            elif isinstance(parent, _List) and isinstance(key, int):
                index = key + len(parent) if key < 0 else key
                if not 0 <= index < len(parent):
                    raise DocumentError(
                        f"cannot set {describe(path)}: list index {key} is past the end"
                    )
                parent[index] = self._convert(
                    value, parent[index], inline=isinstance(parent, Array)
                )
            else:
                raise DocumentError(
                    f"cannot set {describe(path)}: {describe(path[:-1])} is a scalar"
                )
        self._verify(path, value)

    def _edit_array(self, array: Array, value: Any) -> bool:
        """Turn ``array`` into ``value`` by removing and appending items, if that suffices."""
        if not isinstance(value, list):
            return False
        current = _plain(array.unwrap())
        kept = [x for x in current if any(same_value(x, v) for v in value)]
        added = [v for v in value if not any(same_value(v, x) for x in kept)]
        if not same_value(kept + added, value):
            return False
        for index in reversed(range(len(current))):
            if not any(same_value(current[index], v) for v in value):
                del array[index]
        for item in added:
            sample = array[-1] if len(array) else None
            array.append(self._convert(item, sample, inline=True))
        return True

    def _add(self, container: Any, key: str, value: Any) -> None:
        """Add a new key (or table) to a table, keeping trailing comments in place."""
        if isinstance(container, InlineTable):
            container[key] = self._convert(value, inline=True)
            return
        if isinstance(container, OutOfOrderTableProxy):  # a table split in several places
            container[key] = self._convert(value)
            return
        item = self._convert(value)
        body = _body(container)
        if isinstance(item, Table | AoT):
            moved = _pop_header_comments(container)
            container[key] = item
            if moved is not None and isinstance(item, Table):
                _body(item).append((None, Whitespace("\n")))
                _body(item).append((None, moved))
            elif moved is not None:
                _body(container).append((None, moved))
            return
        # a plain value: after the last plain value, before sub-tables and trailing comments
        index = None
        for i, (k, v) in enumerate(body):
            if isinstance(v, Table | AoT) and not (k is not None and k.is_dotted()):
                break
            if not isinstance(v, Whitespace | Comment | Null):
                index = i + 1
        target = container.value if isinstance(container, Table) else container
        if index is not None and index < len(body) and isinstance(target, Container):
            target._insert_at(index, key, item)
        else:
            container[key] = item

    def delete(self, path: KeyPath) -> None:
        if not path:
            raise ConfigError("cannot delete the whole document")
        if self._item(path) is MISSING:
            return
        parent = self._parent(path, create=False)
        key = path[-1]
        if isinstance(parent, _List) and isinstance(key, int):
            index = key + len(parent) if key < 0 else key
            expected = self.get(path[:-1])
            del expected[index]
            del parent[index]
            self._verify(path[:-1], expected)
            return
        else:
            parent = _owner(parent, key)
            item = parent[key]
            moved = _pop_header_comments(item) if isinstance(item, Table | AoT) else None
            body = _body(parent)
            slots = [i for i, (k, _) in enumerate(body) if k is not None and k.key == key]
            del parent[key]
            if moved is not None and slots and isinstance(body[slots[0]][1], Null):
                body[slots[0]] = (None, moved)
        self._verify(path, MISSING)

    def rename(self, path: KeyPath, new_name: str) -> None:
        if not path or not isinstance(path[-1], str):
            raise ConfigError(f"cannot rename {describe(path)}: the path must end with a key")
        old = self.get(path)
        if old is MISSING:
            return
        target = (*path[:-1], new_name)
        existing = self.get(target)
        if existing is not MISSING:
            if same_value(existing, old):
                self.delete(path)
                return
            raise DocumentError(
                f"cannot rename {describe(path)} to {new_name!r}: the key exists with another value"
            )
        parent = _owner(self._parent(path, create=False), path[-1])
        container = parent.value if isinstance(parent, Table | InlineTable) else parent
        if not isinstance(container, Container):
            raise DocumentError(f"cannot rename {describe(path)} in this kind of table")
        item = container.item(path[-1])
        if isinstance(item, Table):
            item.display_name = None  # the header is rendered again from the new key
        container._replace(path[-1], new_name, item)  # type: ignore[arg-type]
        self._verify(target, old)

    def append_items(self, path: KeyPath, items: list[Any]) -> None:
        check_value(items, path)
        current = self._item(path)
        if current is MISSING:
            raise DocumentError(f"cannot append to {describe(path)}: it does not exist")
        if not isinstance(current, _List):
            raise DocumentError(f"cannot append to {describe(path)}: it is not an array")
        expected = [*self.get(path), *items]
        for value in items:
            if isinstance(current, AoT):
                if not isinstance(value, dict):
                    raise DocumentError(f"{describe(path)} is an array of tables; append tables")
                current.append(tomlkit.item(value))
            else:
                sample = current[-1] if len(current) else None
                current.append(self._convert(value, sample, inline=True))
        self._verify(path, expected)

    def dump(self) -> str:
        if not self.changed:
            return self.original
        # Removing the last table leaves the blank line that separated it: an edit never
        # leaves more newlines at the end of the file than it had.
        ending = len(self.original) - len(self.original.rstrip("\n"))
        if len(self.text) - len(self.text.rstrip("\n")) > max(ending, 1):
            return self.text.rstrip("\n") + "\n" * max(ending, 1)
        return self.text


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.time):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return plain(value)


def _owner(parent: Any, key: Any) -> Any:
    """Return the piece of a table split in several places (out of order) holding ``key``."""
    if isinstance(parent, OutOfOrderTableProxy):
        for table in parent._tables:
            if key in table:
                return table
    return parent


def _body(container: Any) -> list[tuple[Any, Item]]:
    if isinstance(container, Table | InlineTable):
        return container.value.body
    if isinstance(container, Container):
        return container.body
    raise DocumentError("unsupported TOML construct: an out-of-order table")


def _pop_header_comments(container: Any) -> Whitespace | None:
    """Remove and return the comment block that introduces whatever follows ``container``.

    That block sits at the end of the body of ``container``'s last table (tomlkit attaches
    comments to the table above them): the comments after the last blank line.
    """
    try:
        body = _body(container)
    except DocumentError:
        return None
    while body:
        last = next((v for _, v in reversed(body) if not isinstance(v, Null)), None)
        if isinstance(last, Table):
            body = _body(last)
        elif isinstance(last, AoT) and last.body:
            body = _body(last.body[-1])
        else:
            break
    run: list[Item] = []
    for _, item in reversed(body):
        if isinstance(item, Comment):
            run.insert(0, item)
        elif isinstance(item, Null):
            continue
        else:
            break
    if not run:
        return None
    text = "".join(item.as_string() for item in run)
    for _ in run:
        while isinstance(body[-1][1], Null):
            body.pop()
        body.pop()
    return Whitespace(text)


CODEC = SingleCodec("toml", TomlDocument)
