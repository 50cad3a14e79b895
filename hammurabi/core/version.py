"""Hammurabi's version, written by the build from the git tag (hatch-vcs).

Here rather than read from the ``hammurabi`` package, so the layers that record it (the
engine, the fleet, the CLI) need nothing from the package's re-exports.
"""

try:
    from hammurabi._version import __version__
except ImportError:  # a source tree that was never built or installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
