"""The Rule base class, public here for rule authors: ``from hammurabi.rules.base import Rule``.

It lives in :mod:`hammurabi.core.rule`, beside the laws that run it.
"""

from hammurabi.core.rule import Rule

__all__ = ["Rule"]
