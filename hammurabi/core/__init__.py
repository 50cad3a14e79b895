"""The core: laws and the engine, results, the workspace a run edits, and the interfaces the
layers above implement (``Rule``, ``Precondition``, ``Reporter``, ``Forge``).

Nothing here imports git, GitHub, QuestDB or the command line (pyproject.toml's
import-linter contracts check it; ARCHITECTURE.md shows the layers). The rule library
(``hammurabi.rules``, ``hammurabi.preconditions``, ``hammurabi.documents``) sits just above;
it keeps its own top-level packages because law files and plugins import them there.
"""
