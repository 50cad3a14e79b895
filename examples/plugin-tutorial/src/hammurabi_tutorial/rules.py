"""The tutorial's rule: ``header-exists`` puts header lines at the top of a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hammurabi import ConfigError
from hammurabi.rules.common import PathRule


class HeaderExists(PathRule):
    """Ensure a file starts with the given header lines (a licence notice, say).

    The header goes after a ``#!`` line, which must stay first. A file that already starts
    with the header is left alone, so applying the rule twice changes nothing. A missing
    file fails the rule.

    Example::

        HeaderExists(name="SPDX", path="app.py", header="# SPDX-License-Identifier: MIT")
    """

    id = "header-exists"  # the id law files use; derived from the class name if not set

    def __init__(
        self, name: str, path: str | Path | None = None, *, header: str, **kwargs: Any
    ) -> None:
        super().__init__(name, path, **kwargs)  # name, path, preconditions, pipe, children
        # Check arguments here, when the law file loads: a mistake then stops the run
        # before any file changes, with one line naming the law file, the line and the rule.
        if not isinstance(header, str) or not header.strip():
            raise ConfigError(f"rule {name!r}: header must be a non-empty string")
        self.header = header if header.endswith("\n") else header + "\n"

    def task(self) -> Path:
        # Read and write through the workspace: it keeps the file inside the repository,
        # keeps its encoding and newlines, writes atomically and records the diff.
        text = self.workspace.read_text(self.path)
        shebang, body = "", text.content
        if body.startswith("#!"):
            end = body.find("\n") + 1 or len(body)
            shebang, body = body[:end], body[end:]
            shebang += "" if shebang.endswith("\n") else "\n"
        if not body.startswith(self.header):
            self.workspace.write_text(self.path, text.with_content(shebang + self.header + body))
        return self.path  # handed to the rule's pipe and children
