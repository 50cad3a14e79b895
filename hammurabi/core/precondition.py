"""The Precondition base class: a question about the repository, answered by ``task()``."""

from __future__ import annotations

from typing import Any

from hammurabi.core.node import Node


class Precondition(Node):
    """Decide whether a rule or law should run.

    Subclasses implement :meth:`task` returning a bool; ``pre_task_hook`` may load what it
    needs. ``param`` holds the subclass's main argument (the article's ``HasStack`` passes
    its stacks there).
    """

    def __init__(self, name: str | None = None, param: Any = None) -> None:
        self.name = name or type(self).__name__
        self.param = param

    def task(self) -> bool:
        """Answer the question; True lets the rule or law run."""
        raise NotImplementedError(f"{type(self).__name__} does not implement task()")

    def evaluate(self) -> bool:
        """Run the hooks and the task; the answer as a bool."""
        self.pre_task_hook()
        answer = bool(self.task())
        self.post_task_hook()
        return answer
