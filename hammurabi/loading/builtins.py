"""The ids of the types each built-in type plugin contributes, known without importing it.

A run's plugin manager stands these plugins in by what is listed here and imports one only
when its law files name one of its types (:class:`hammurabi.loading.registry.TypeTable`):
a run of line rules does not pay for the document, template and command modules. Listings
(``hammurabi rules``, the documentation) import them all through the same registry, and
tests/test_startup.py checks that each module contributes exactly what is listed here.
"""

from __future__ import annotations

from typing import NamedTuple


class Contribution(NamedTuple):
    """The ids one plugin's ``hammurabi_rule_types`` and ``hammurabi_precondition_types``
    hooks answer, in their order; the plugin implements no other hook."""

    rules: tuple[str, ...] = ()
    preconditions: tuple[str, ...] = ()


class Deferred:
    """A type a plugin contributes, known by id until it is looked up: then its plugin's
    module is imported and its hook answers (:class:`hammurabi.loading.registry.TypeTable`)."""

    __slots__ = ("hook", "id", "module", "plugin")

    def __init__(self, type_id: str, plugin: str, module: str, hook: str) -> None:
        self.id = type_id
        self.plugin = plugin
        self.module = module
        self.hook = hook


#: By entry-point value (the module), in pyproject.toml's ``hammurabi`` group.
BUILTIN_TYPES: dict[str, Contribution] = {
    "hammurabi.rules.lines": Contribution(
        rules=(
            "line-exists",
            "line-not-exists",
            "line-replaced",
            "block-exists",
            "block-not-exists",
        )
    ),
    "hammurabi.rules.files": Contribution(
        rules=(
            "file-exists",
            "files-exist",
            "file-not-exists",
            "files-not-exist",
            "file-emptied",
            "directory-exists",
            "directory-not-exists",
            "directory-emptied",
            "copied",
            "moved",
            "renamed",
        )
    ),
    "hammurabi.rules.templates": Contribution(rules=("template-rendered",)),
    "hammurabi.rules.attributes": Contribution(rules=("mode-changed", "owner-changed")),
    "hammurabi.rules.commands": Contribution(
        rules=("command-run",), preconditions=("command-succeeds",)
    ),
    "hammurabi.rules.documents": Contribution(
        rules=(
            "key-exists",
            "key-not-exists",
            "key-renamed",
            "value-exists",
            "value-not-exists",
            "section-exists",
            "section-not-exists",
            "section-renamed",
            "options-exist",
            "options-not-exist",
            "option-renamed",
        )
    ),
    "hammurabi.preconditions": Contribution(
        preconditions=(
            "all",
            "any",
            "not",
            "is-file-exists",
            "is-file-not-exists",
            "is-directory-exists",
            "is-directory-not-exists",
            "is-line-exists",
            "is-line-not-exists",
        )
    ),
    "hammurabi.preconditions.attributes": Contribution(
        preconditions=("has-mode", "has-no-mode", "is-owned-by", "is-not-owned-by")
    ),
    "hammurabi.preconditions.documents": Contribution(
        preconditions=("is-key-exists", "is-key-not-exists", "has-value")
    ),
}
