"""The preconditions of Hammurabi 0.11 with their original arguments and meanings.

In a pillar loaded the original's way, ``criteria`` matches at the start of a line (0.11
used ``re.match``) and ``HasMode(mode=...)`` asks whether *any* of the bits is set;
elsewhere the current meanings hold (``re.search``; all the bits, exactly). ``IsOwnedBy``
takes 0.11's ``owner="user:group"`` in any pillar.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hammurabi.compat import EXPORTS
from hammurabi.compat.mode import deprecated, original
from hammurabi.preconditions import attributes, files


class _Anchored:
    """0.11's line preconditions: ``criteria`` matches at the start of a line."""

    def __init__(self, path: str | Path, criteria: str, name: str | None = None, **kw: Any):
        super().__init__(path, criteria, name, **kw)  # type: ignore[call-arg]
        self.anchored = original()

    def _found(self) -> bool:
        if not self.anchored:
            return super()._found()  # type: ignore[misc]
        real = self._real()  # type: ignore[attr-defined]
        if not real.is_file():
            return False
        content = self.workspace.read_text(self.param).content  # type: ignore[attr-defined]
        return any(self.criteria.match(line) for line in content.split("\n"))  # type: ignore[attr-defined]


class IsLineExists(_Anchored, files.IsLineExists):
    """Does any line of ``path`` match ``criteria``? (In a 0.11 pillar: at its start.)"""


class IsLineNotExists(_Anchored, files.IsLineNotExists):
    """Does no line of ``path`` match ``criteria``? (In a 0.11 pillar: at its start.)"""


IsLineExist = IsLineExists
IsLineNotExist = IsLineNotExists


class HasMode(attributes.HasMode):
    """Does ``path`` have ``mode``? In a 0.11 pillar: is any of ``mode``'s bits set?"""

    def __init__(self, path: str | Path, mode: int | str, **kwargs: Any) -> None:
        super().__init__(path, mode, **kwargs)
        self.any_bit = original() and isinstance(mode, int)
        self.bits = mode if isinstance(mode, int) else 0

    def task(self) -> bool:
        if not self.any_bit:
            return super().task()
        st = self._stat()
        return st is not None and bool(st.st_mode & self.bits)


class HasNoMode(HasMode):
    """The opposite of ``HasMode`` (True for a missing path)."""

    id = "has-no-mode"

    def task(self) -> bool:
        return not super().task()


class IsOwnedBy(attributes.IsOwnedBy):
    """Is ``path`` owned by ``owner`` (0.11: ``"user"``, ``"user:group"`` or ``":group"``)?"""

    def __init__(
        self,
        path: str | Path,
        owner: str | int | None = None,
        group: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(owner, str) and ":" in owner and group is None:
            deprecated(
                "IsOwnedBy(owner='user:group') is the 0.11 spelling; write owner=..., group=..."
            )
            user, _, named = owner.partition(":")
            owner, group = user.strip() or None, named.strip() or None
        super().__init__(path, owner, group, **kwargs)


class IsNotOwnedBy(IsOwnedBy):
    """The opposite of ``IsOwnedBy``."""

    id = "is-not-owned-by"

    def task(self) -> bool:
        return not super().task()


__all__ = [name for name, module in EXPORTS.items() if module == __name__]
