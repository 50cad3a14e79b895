"""Integrations: one package or module per outside system (git, forges, QuestDB).

They build on the core and loading layers and never import each other; the orchestration
layer wires them together.
"""
