"""hammurabi-tutorial: a rule, a precondition and a law for Hammurabi, as a plugin.

Hammurabi calls these hook implementations; each returns what the plugin contributes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from hammurabi import hookimpl
from hammurabi_tutorial.preconditions import HasFileMatching
from hammurabi_tutorial.rules import HeaderExists

if TYPE_CHECKING:
    from hammurabi import Law
    from hammurabi.loading.settings import Settings


@hookimpl
def hammurabi_rule_types() -> Iterable[type]:
    """Rule classes, named in law files by their ``id``."""
    return [HeaderExists]


@hookimpl
def hammurabi_precondition_types() -> Iterable[type]:
    """Precondition classes, named in law files by their ``id``."""
    return [HasFileMatching]


@hookimpl
def hammurabi_laws(settings: Settings) -> Iterable[Law]:
    """Ready-made laws, run when the ``plugins`` law source is selected (the default)."""
    from hammurabi_tutorial.laws import licence_headers

    return [licence_headers()]
