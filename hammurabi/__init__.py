"""Hammurabi."""
