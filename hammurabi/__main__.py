"""``python -m hammurabi``."""

from hammurabi.cli import run

run()
