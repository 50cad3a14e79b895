"""``python -m hammurabi``."""

from hammurabi.cli.main import run

run()
