"""Every hook a Hammurabi plugin can implement.

Plugins are found through the ``hammurabi`` entry-point group; the built-in rules,
preconditions and reporters register through the very same group, so any of them can be
disabled (``--disable-plugin NAME`` or ``HAMMURABI_DISABLE_PLUGINS``) or replaced.
Implement a hook with ``@hammurabi.hookimpl`` on a module-level function.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from hammurabi.core.hooks import hookspec

if TYPE_CHECKING:
    from hammurabi.core.forge import Forge
    from hammurabi.core.law import Law
    from hammurabi.core.precondition import Precondition
    from hammurabi.core.reports import Reporter
    from hammurabi.core.results import RunResult
    from hammurabi.core.rule import Rule
    from hammurabi.loading.settings import Settings


# -- types that law files can name -----------------------------------------------------


@hookspec
def hammurabi_rule_types() -> Iterable[type[Rule]]:
    """Contribute rule classes, named in law files and listings by their ``id``.

    All results are collected; two plugins claiming the same id is an error.
    """


@hookspec
def hammurabi_precondition_types() -> Iterable[type[Precondition]]:
    """Contribute precondition classes, named in law files by their ``id``.

    All results are collected; two plugins claiming the same id is an error.
    """


# -- laws ---------------------------------------------------------------------------------


@hookspec
def hammurabi_laws(settings: Settings) -> Iterable[Law]:
    """Contribute ready-made laws (run when the ``plugins`` law source is selected).

    :param settings: the effective settings of the run.
    All results are collected, in plugin registration order.
    """


# -- output -------------------------------------------------------------------------------


@hookspec
def hammurabi_reporters() -> Iterable[Reporter]:
    """Contribute reporters (``--report NAME=PATH``) that render a run's record.

    All results are collected; a later plugin may not reuse a name.
    """


# -- pull requests ----------------------------------------------------------------------


@hookspec(firstresult=True)
def hammurabi_forge(settings: Settings) -> Forge | None:
    """Return the forge that hosts pull requests for this run, or None if not configured.

    :param settings: the effective settings of the run.
    The first non-None result wins (plugins registered later are asked first, so a
    third-party forge is preferred to the built-in ``github`` one when both answer).
    See :class:`hammurabi.core.forge.Forge` for what the object must offer.
    """


# -- run events ---------------------------------------------------------------------------


@hookspec
def hammurabi_run_starting(settings: Settings) -> None:
    """Called as a repository's enforce run starts, before any rule runs.

    A plugin may get ready in the background here (connect, create tables), so the work at
    :func:`hammurabi_run_finished` is short. Return at once; exceptions are logged and never
    fail the run.
    """


@hookspec
def hammurabi_run_finished(result: RunResult, settings: Settings, laws: Sequence[Law]) -> None:
    """Called after a repository's enforce run, with its complete record.

    Use it for metrics or notifications; ``laws`` are the laws the run enforced. Exceptions
    are logged and never fail the run.
    """
