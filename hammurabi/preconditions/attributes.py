"""Preconditions about file modes and owners, and the mode/owner parsing the rules share.

Modes are given as:

* an octal string: ``"755"``, ``"0755"``, ``"0o755"``, ``"4755"`` (special bits allowed);
* an int: ``0o755`` in Python, or unquoted ``0755`` in YAML (YAML 1.1 reads it as octal).
  Ints above ``0o777`` are refused, because an unquoted ``755`` in YAML is the decimal
  number 755 (``0o1363``), never what was meant; special bits need an octal string;
* symbolic clauses like chmod's: ``"u+x"``, ``"go-w"``, ``"u=rw,go=r"``, ``"a+X"``
  (who ``ugoa``, operators ``+-=``, permissions ``rwxXst``). An empty who means ``a``,
  ignoring the umask, so the result is the same on every machine. Clauses that would give
  another result when applied again (``"u+x,+X"``) are refused.

``how`` says what a numeric mode means: ``set`` (exactly these bits), ``add`` (these bits
on, others kept) or ``remove`` (these bits off). Symbolic modes carry their own operators
and only allow ``how="set"``.

Owners and groups are names (looked up on this machine) or numeric ids (int or digits).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hammurabi.core.errors import ConfigError, RuleError
from hammurabi.core.hooks import hookimpl
from hammurabi.core.node import as_path
from hammurabi.core.precondition import Precondition

HOW = ("set", "add", "remove")
_OCTAL = re.compile(r"^(?:0o|0)?([0-7]{1,4})$")
_CLAUSE = re.compile(r"^([ugoa]*)((?:[-+=][rwxXst]*)+)$")
_ACTION = re.compile(r"([-+=])([rwxXst]*)")
_WHO = {"u": 0o700, "g": 0o070, "o": 0o007}
_SPECIAL = {"u": stat.S_ISUID, "g": stat.S_ISGID, "o": stat.S_ISVTX}


@dataclass(frozen=True)
class ModeSpec:
    """A parsed mode: numeric bits with ``how``, or symbolic chmod clauses."""

    text: str
    bits: int | None = None
    how: str = "set"
    clauses: tuple[tuple[str, str, str], ...] = ()

    def apply(self, current: int, *, is_dir: bool = False) -> int:
        """The permission bits a file with mode ``current`` has after this change."""
        if self.bits is not None:
            if self.how == "add":
                return current | self.bits
            if self.how == "remove":
                return current & ~self.bits
            return self.bits
        mode = current
        for who, op, perms in self.clauses:
            mask = sum(_WHO[w] for w in who)
            bits = 0
            for perm in perms:
                if perm in "rwx":
                    bits |= mask & {"r": 0o444, "w": 0o222, "x": 0o111}[perm]
                elif perm == "X" and (is_dir or mode & 0o111):
                    bits |= mask & 0o111
                elif perm == "s":
                    bits |= sum(_SPECIAL[w] for w in who if w in "ug")
                elif perm == "t" and "o" in who:
                    bits |= stat.S_ISVTX
            if op == "+":
                mode |= bits
            elif op == "-":
                mode &= ~bits
            else:
                cleared = mask | sum(_SPECIAL[w] for w in who)
                if is_dir:  # like chmod: '=' keeps a directory's setuid/setgid bits
                    cleared &= ~(stat.S_ISUID | stat.S_ISGID)
                mode = (mode & ~cleared) | bits
        return mode

    def describe(self) -> str:
        if self.bits is None:
            return self.text
        return {"set": "", "add": "+", "remove": "-"}[self.how] + f"{self.bits:04o}"


def parse_mode(value: Any, how: str, owner: str) -> ModeSpec:
    """Check a mode argument (see the module docstring) and return its parsed form."""
    if how not in HOW:
        raise ConfigError(f"{owner}: how must be one of {', '.join(HOW)}, not {how!r}")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(
            f"{owner}: mode must be an octal string like '0755' or 'u+x', not {value!r}"
        )
    if isinstance(value, int):
        if re.fullmatch(r"[0-7]{3,4}", str(value)) and value > 0o777:
            raise ConfigError(
                f"{owner}: mode {value} is a decimal number (0o{value:o}); write '0{value}' "
                f"(quoted in YAML) or 0o{value} in Python"
            )
        if not 0 <= value <= 0o777:
            raise ConfigError(
                f"{owner}: mode {value!r} is out of range (special bits need a string)"
            )
        return ModeSpec(f"{value:04o}", value, how)
    text = value.strip()
    octal = _OCTAL.match(text)
    if octal:
        return ModeSpec(text, int(octal.group(1), 8), how)
    clauses = []
    for part in text.split(","):
        match = _CLAUSE.match(part.strip())
        if not match:
            raise ConfigError(
                f"{owner}: bad mode {value!r}: use octal ('0755') or chmod clauses ('u+x,go-w')"
            )
        who = "ugo" if match.group(1) in ("", "a") or "a" in match.group(1) else match.group(1)
        clauses += [(who, op, perms) for op, perms in _ACTION.findall(match.group(2))]
    if how != "set":
        raise ConfigError(f"{owner}: symbolic mode {value!r} carries its own operators; drop how")
    spec = ModeSpec(text, None, "set", tuple(clauses))
    # Only 'X' depends on the current mode (on its execute bits); after a clause adding 'x'
    # it gives another result next time. Bits act independently, so these modes suffice.
    x_bits = [x | y | z for x in (0, 0o100) for y in (0, 0o010) for z in (0, 0o001)]
    checked = [x | rest for x in x_bits for rest in (0, 0o7666)]
    for mode in checked if any("X" in perms for *_, perms in clauses) else ():
        once = spec.apply(mode)
        if spec.apply(once) != once:
            raise ConfigError(
                f"{owner}: mode {value!r} is not idempotent ({mode:04o} gives {once:04o}, then "
                f"{spec.apply(once):04o}); put 'X' first or use 'x'"
            )
    return spec


def check_id(value: Any, what: str, owner: str) -> str | int | None:
    """Check an owner/group argument: a name, a numeric id, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"{owner}: {what} must be a name or a numeric id, not {value!r}")
    if (isinstance(value, int) and value < 0) or (isinstance(value, str) and not value.strip()):
        raise ConfigError(f"{owner}: {what} must be a name or a non-negative id, not {value!r}")
    return value


def user_id(value: str | int) -> int:
    """The uid for a user name or id; RuleError if no such user exists on this machine."""
    if isinstance(value, int) or value.strip().isdigit():
        return int(value)
    import pwd

    try:
        return pwd.getpwnam(value.strip()).pw_uid
    except KeyError:
        raise RuleError(f"no user named {value!r} on this machine") from None


def group_id(value: str | int) -> int:
    """The gid for a group name or id; RuleError if no such group exists on this machine."""
    if isinstance(value, int) or value.strip().isdigit():
        return int(value)
    import grp

    try:
        return grp.getgrnam(value.strip()).gr_gid
    except KeyError:
        raise RuleError(f"no group named {value!r} on this machine") from None


class _AttributePrecondition(Precondition):
    def __init__(self, path: str | Path, name: str | None = None) -> None:
        super().__init__(
            name, self.validate(as_path(path, "path", type(self).__name__), required=True)
        )

    def _stat(self) -> os.stat_result | None:
        try:
            return self.workspace.resolve(self.param).stat()
        except FileNotFoundError:
            return None


class HasMode(_AttributePrecondition):
    """Does ``path`` already have ``mode`` (would ``mode-changed`` leave it alone)?

    ``how="set"`` compares exactly, ``add`` asks whether all the bits are on, ``remove``
    whether they are all off; symbolic modes (``"u+x"``) are checked the same way. A missing
    path does not have any mode.

    Example::

        HasMode("bin/deploy", "u+x")
    """

    id = "has-mode"

    def __init__(
        self, path: str | Path, mode: int | str, *, how: str = "set", name: str | None = None
    ) -> None:
        super().__init__(path, name)
        self.mode = parse_mode(mode, how, type(self).__name__)

    def task(self) -> bool:
        st = self._stat()
        if st is None:
            return False
        current = stat.S_IMODE(st.st_mode)
        return self.mode.apply(current, is_dir=stat.S_ISDIR(st.st_mode)) == current


class HasNoMode(HasMode):
    """Does ``path`` lack ``mode`` (the opposite of ``has-mode``; True for a missing path)?"""

    id = "has-no-mode"

    def task(self) -> bool:
        return not super().task()


class IsOwnedBy(_AttributePrecondition):
    """Is ``path`` owned by ``owner`` and/or ``group`` (names or ids)? False when missing.

    An unknown user or group name is an error, not a False answer (it is usually a typo).

    Example::

        IsOwnedBy("var/www", owner="www-data", group="www-data")
    """

    id = "is-owned-by"

    def __init__(
        self,
        path: str | Path,
        owner: str | int | None = None,
        group: str | int | None = None,
        *,
        name: str | None = None,
    ) -> None:
        super().__init__(path, name)
        who = type(self).__name__
        self.owner = check_id(owner, "owner", who)
        self.group = check_id(group, "group", who)
        if self.owner is None and self.group is None:
            raise ConfigError(f"{who}: give owner, group or both")

    def task(self) -> bool:
        st = self._stat()
        if st is None:
            return False
        try:
            if self.owner is not None and st.st_uid != user_id(self.owner):
                return False
            return self.group is None or st.st_gid == group_id(self.group)
        except RuleError as exc:
            raise exc.located(path=self.workspace.relative(self.param)) from None


class IsNotOwnedBy(IsOwnedBy):
    """Is ``path`` not owned by ``owner``/``group`` (opposite of ``is-owned-by``)?"""

    id = "is-not-owned-by"

    def task(self) -> bool:
        return not super().task()


@hookimpl
def hammurabi_precondition_types() -> tuple[type[Precondition], ...]:
    return (HasMode, HasNoMode, IsOwnedBy, IsNotOwnedBy)
