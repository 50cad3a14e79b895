"""The core: laws, rules' engine, results and the workspace a run edits.

Nothing here knows about git, forges, QuestDB or the command line. The rule library
(``hammurabi.rules``, ``hammurabi.preconditions``, ``hammurabi.documents``) belongs to this
layer too; it keeps its own top-level packages because law files and plugins import them there.
"""
