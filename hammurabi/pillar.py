"""0.11's module path: ``from hammurabi.pillar import Pillar``."""

from hammurabi.compat.pillar import Pillar

__all__ = ["Pillar"]
