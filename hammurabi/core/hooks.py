"""The pluggy markers of Hammurabi's hooks: ``@hookimpl`` marks a plugin's implementation.

They live in the core so that the built-in rules, which register as plugins like third-party
ones, need nothing from the loading layer. Plugins write ``from hammurabi import hookimpl``.
"""

import pluggy

PROJECT = "hammurabi"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
