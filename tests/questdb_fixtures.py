"""Pytest fixtures for the real QuestDB server (filled in by the QuestDB work)."""
