"""Pytest fixtures for the GitHub stand-in server (filled in by the stand-in work)."""
