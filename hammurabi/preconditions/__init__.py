"""Built-in preconditions.

The names are imported lazily (PEP 562): the ``preconditions`` plugin and a run of line rules
do not import the attribute and document preconditions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from hammurabi.core.exports import lazy_exports
from hammurabi.core.hooks import hookimpl

if TYPE_CHECKING:
    from hammurabi.core.precondition import Precondition
    from hammurabi.preconditions.attributes import HasMode, HasNoMode, IsNotOwnedBy, IsOwnedBy
    from hammurabi.preconditions.combinators import All, Any, Not
    from hammurabi.preconditions.documents import HasValue, IsKeyExists, IsKeyNotExists
    from hammurabi.preconditions.files import (
        IsDirectoryExist,
        IsDirectoryExists,
        IsDirectoryNotExist,
        IsDirectoryNotExists,
        IsFileExist,
        IsFileExists,
        IsFileNotExist,
        IsFileNotExists,
        IsLineExist,
        IsLineExists,
        IsLineNotExist,
        IsLineNotExists,
    )

__all__ = [
    "All",
    "Any",
    "HasMode",
    "HasNoMode",
    "HasValue",
    "IsDirectoryExist",
    "IsDirectoryExists",
    "IsDirectoryNotExist",
    "IsDirectoryNotExists",
    "IsFileExist",
    "IsFileExists",
    "IsFileNotExist",
    "IsFileNotExists",
    "IsKeyExists",
    "IsKeyNotExists",
    "IsLineExist",
    "IsLineExists",
    "IsLineNotExist",
    "IsLineNotExists",
    "IsNotOwnedBy",
    "IsOwnedBy",
    "Not",
    "Precondition",
]


@hookimpl
def hammurabi_precondition_types() -> Iterable[type[Precondition]]:
    from hammurabi.preconditions.combinators import All, Any, Not
    from hammurabi.preconditions.files import (
        IsDirectoryExists,
        IsDirectoryNotExists,
        IsFileExists,
        IsFileNotExists,
        IsLineExists,
        IsLineNotExists,
    )

    return (
        All,
        Any,
        Not,
        IsFileExists,
        IsFileNotExists,
        IsDirectoryExists,
        IsDirectoryNotExists,
        IsLineExists,
        IsLineNotExists,
    )


#: Where the names are found, in order.
_MODULES = (
    "hammurabi.core.precondition",
    "hammurabi.preconditions.combinators",
    "hammurabi.preconditions.files",
    "hammurabi.preconditions.attributes",
    "hammurabi.preconditions.documents",
)
__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
