"""Format-preserving structured documents: one codec per format (INI, JSON, YAML, TOML).

``format_for`` picks the format from a file name, ``codec`` imports that format's codec on
first use (the libraries behind them are not loaded by ``hammurabi --help``), and
``open_document`` reads a repository file into a :class:`~hammurabi.documents.base.Document`
with every failure reported as a :class:`~hammurabi.core.errors.DocumentError` naming the file.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from hammurabi.core.errors import ConfigError, DocumentError, RuleError

if TYPE_CHECKING:
    from hammurabi.core.textfile import Text
    from hammurabi.core.workspace import Workspace
    from hammurabi.documents.base import Codec, Document

__all__ = ["FORMATS", "codec", "format_for", "open_document"]

#: Format name -> module holding its ``CODEC``.
FORMATS = {
    "ini": "hammurabi.documents.inidoc",
    "json": "hammurabi.documents.jsondoc",
    "toml": "hammurabi.documents.tomldoc",
    "yaml": "hammurabi.documents.yamldoc",
}
_SUFFIXES = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".jsonc": "json",
    ".toml": "toml",
    ".ini": "ini",
    ".cfg": "ini",
}
_NAMES = {
    ".editorconfig": "ini",
    ".flake8": "ini",
    ".coveragerc": "ini",
    ".pylintrc": "ini",
    ".pypirc": "ini",
    ".gitconfig": "ini",
    "Pipfile": "toml",
    "Cargo.lock": "toml",
    ".babelrc": "json",
    ".eslintrc": "json",
    ".prettierrc": "json",
}


def check_format(fmt: str, owner: str) -> str:
    """Return ``fmt`` lower-cased if it is a known format; else raise ``ConfigError``."""
    name = fmt.lower() if isinstance(fmt, str) else fmt
    if name == "yml":
        name = "yaml"
    if name not in FORMATS:
        raise ConfigError(f"{owner}: format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return str(name)


def format_for(path: str | os.PathLike[str], owner: str) -> str:
    """Return the format of ``path`` from its name; ``ConfigError`` when it is unknown."""
    p = Path(path)
    fmt = _NAMES.get(p.name) or _SUFFIXES.get(p.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"{owner}: cannot tell the format of {p.as_posix()!r} from its name; "
            f"pass format= (one of {', '.join(FORMATS)})"
        )
    return fmt


def codec(fmt: str) -> Codec:
    """Return the codec of a format (imported on first use)."""
    module = importlib.import_module(FORMATS[fmt])
    found: Codec = module.CODEC
    return found


def open_document(
    workspace: Workspace,
    path: str | os.PathLike[str],
    fmt: str,
    *,
    document: int = 0,
    encoding: str | None = None,
) -> tuple[Text, Document]:
    """Read a repository file and parse it; every failure is a ``DocumentError``."""
    try:
        text = workspace.read_text(path, encoding)
    except DocumentError:
        raise
    except RuleError as exc:
        raise DocumentError(exc.message, path=exc.path) from None
    try:
        return text, codec(fmt).load(text.content, document=document)
    except RuleError as exc:  # DocumentError, or a limit hit (LimitError)
        exc.path = exc.path or workspace.relative(path)
        raise
