"""Rules for file attributes: permission bits and ownership.

Mode and owner syntax are described in :mod:`hammurabi.preconditions.attributes`. Both
rules act on files (a symlink's target); directories are refused, since git records
neither their modes nor anyone's ownership and a half-applied tree would surprise.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from hammurabi.core.errors import ConfigError, RuleError
from hammurabi.core.hooks import hookimpl
from hammurabi.preconditions.attributes import check_id, group_id, parse_mode, user_id
from hammurabi.rules.common import PathRule


class _AttributeRule(PathRule):
    def _existing_file(self) -> Path:
        space = self.workspace
        real = space.resolve(self.path)
        if not real.exists():
            raise RuleError("file does not exist", path=space.relative(self.path))
        if real.is_dir():
            raise RuleError("is a directory; only files are supported", path=space.relative(real))
        return real


class ModeChanged(_AttributeRule):
    """Ensure a file's permission bits are set, added or removed as given.

    ``mode`` is an octal string (``"0755"``), an int (``0o755``) or chmod clauses
    (``"u+x,go-w"``); ``how`` is ``set`` (exactly), ``add`` or ``remove`` for numeric
    modes. A file already in that state is left alone; a missing file or a directory is
    an error. Returns the path, so it can follow a rule that creates the file.

    Example::

        ModeChanged(name="deploy script runs", path="bin/deploy", mode="0755")
        ModeChanged(name="no world write", path="config.ini", mode="o-w")
    """

    id = "mode-changed"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        mode: int | str,
        how: str = "set",
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, **kwargs)
        self.mode = parse_mode(mode, how, f"rule {name!r}")

    def task(self) -> Path:
        real = self._existing_file()
        current = stat.S_IMODE(real.stat().st_mode)
        self.workspace.chmod(self.path, self.mode.apply(current))
        return self.path


class OwnerChanged(_AttributeRule):
    """Ensure a file belongs to ``owner`` and/or ``group`` (names or numeric ids).

    Names are looked up on the machine running Hammurabi; an unknown user or group fails
    the rule without touching the file. Changing an owner usually needs root. Git does not
    record ownership, so the change is listed (kind ``owner``) without a diff.

    Example::

        OwnerChanged(name="served by nginx", path="public/index.html",
                     owner="www-data", group="www-data")
    """

    id = "owner-changed"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        owner: str | int | None = None,
        group: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, **kwargs)
        where = f"rule {name!r}"
        self.owner = check_id(owner, "owner", where)
        self.group = check_id(group, "group", where)
        if self.owner is None and self.group is None:
            raise ConfigError(f"{where}: give owner, group or both")

    def task(self) -> Path:
        self._existing_file()
        try:
            uid = user_id(self.owner) if self.owner is not None else -1
            gid = group_id(self.group) if self.group is not None else -1
            self.workspace.chown(self.path, uid, gid)
        except RuleError as exc:
            raise exc.located(path=self.workspace.relative(self.path)) from None
        except PermissionError:
            raise RuleError(
                "not permitted to change the owner (run as root?)",
                path=self.workspace.relative(self.path),
            ) from None
        return self.path


@hookimpl
def hammurabi_rule_types() -> tuple[type[PathRule], ...]:
    return (ModeChanged, OwnerChanged)
