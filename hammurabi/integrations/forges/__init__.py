"""Forges, where pull requests live: the interface (``base``), GitHub, and pull-request bodies."""
