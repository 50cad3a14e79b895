"""Hammurabi's version, written by the build from the git tag (hatch-vcs).

Here rather than read from the ``hammurabi`` package, so the layers that record it (the
engine, the fleet, the CLI) need nothing from the package's re-exports.
"""

from importlib import import_module

try:
    # Imported by name: in a source tree never built, ``hammurabi._version`` does not exist and a
    # static import would read, to the layer contract, as the core importing the whole package.
    __version__: str = import_module("hammurabi._version").__version__
except ImportError:  # a source tree that was never built or installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
