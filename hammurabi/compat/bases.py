"""0.11's bases for custom rules: ``SinglePathRule``, ``MultiplePathRule`` and ``GitMixin``.

A custom 0.11 rule writes files itself and calls ``git_add``/``git_remove`` in its
``post_task_hook``. Hammurabi records every change a rule makes (and commits it with the
law), so those calls only mark the rule as having made changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hammurabi.core.node import Node
from hammurabi.core.rule import Rule

#: 0.11's common base of rules and preconditions.
AbstractRule = Node


class GitMixin:
    """0.11's git helpers; Hammurabi does the git work itself (branch, commits, push)."""

    made_changes = False

    def git_add(self, param: Any) -> None:
        self.made_changes = True

    def git_remove(self, param: Any) -> None:
        self.made_changes = True

    def git_commit(self, message: str) -> None:
        """Laws are committed by Hammurabi, one commit each."""

    @staticmethod
    def checkout_branch() -> None:
        """The bot branch is built by Hammurabi."""

    @staticmethod
    def push_changes() -> bool:
        """Pushes are Hammurabi's; nothing is pushed from a rule."""
        return False


class SinglePathRule(GitMixin, Rule):
    """A 0.11 rule on one path (``self.param``), relative to the repository's root."""

    needs_param = True

    def __init__(self, name: str, path: Path | None = None, **kwargs: Any) -> None:
        super().__init__(name, path, **kwargs)

    def post_task_hook(self) -> None:
        self.git_add(self.param)


class MultiplePathRule(GitMixin, Rule):
    """A 0.11 rule on several paths (``self.param``)."""

    needs_param = True

    def __init__(self, name: str, paths: Iterable[Path] | None = (), **kwargs: Any) -> None:
        super().__init__(name, paths, **kwargs)

    def post_task_hook(self) -> None:
        for path in self.param:
            self.git_add(path)
