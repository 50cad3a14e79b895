"""The Precondition base class, public here for plugin authors:
``from hammurabi.preconditions.base import Precondition``.

It lives in :mod:`hammurabi.core.precondition`, beside the laws that evaluate it.
"""

from hammurabi.core.precondition import Precondition

__all__ = ["Precondition"]
