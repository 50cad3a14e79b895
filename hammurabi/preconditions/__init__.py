"""Built-in preconditions."""

from __future__ import annotations

from collections.abc import Iterable

from hammurabi.core.hooks import hookimpl
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
