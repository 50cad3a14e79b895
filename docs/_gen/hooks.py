"""MkDocs hook: expand the ``<!-- hammurabi:NAME -->`` markers of the pages from the code."""

from __future__ import annotations

from typing import Any

import reference  # the sibling module; MkDocs puts this folder on sys.path while loading


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    try:
        return reference.expand(markdown)
    except KeyError as exc:
        raise ValueError(f"{page.file.src_path}: {exc.args[0]}") from None
