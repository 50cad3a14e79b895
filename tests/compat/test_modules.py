"""0.11's module paths, for pillars and custom rules that import from them."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from hammurabi import Law
from hammurabi.core.results import Outcome
from tests.helpers import apply_twice, make_tree, run_rules

#: 0.11.1's modules and the public names a pillar or a custom rule imports from them.
MODULES: dict[str, tuple[str, ...]] = {
    "hammurabi.exceptions": ("AbortLawError", "NotificationSendError", "PreconditionFailedError"),
    "hammurabi.helpers": ("full_strip",),
    "hammurabi.law": ("Law",),
    "hammurabi.mixins": ("GitHubMixin", "GitMixin", "PullRequestHelperMixin"),
    "hammurabi.notifications.base": ("Notification",),
    "hammurabi.notifications.slack": ("SlackNotification",),
    "hammurabi.pillar": ("Pillar",),
    "hammurabi.preconditions.attributes": ("HasMode", "HasNoMode", "IsNotOwnedBy", "IsOwnedBy"),
    "hammurabi.preconditions.base": ("Precondition",),
    "hammurabi.preconditions.directories": ("IsDirectoryExist", "IsDirectoryNotExist"),
    "hammurabi.preconditions.files": ("IsFileExist", "IsFileNotExist"),
    "hammurabi.preconditions.text": ("IsLineExist", "IsLineNotExist"),
    "hammurabi.reporters.base": ("AdditionalData", "LawItem", "Report", "Reporter", "RuleItem"),
    "hammurabi.reporters.json": ("JsonReporter",),
    "hammurabi.rules.abstract": ("AbstractRule",),
    "hammurabi.rules.attributes": ("ModeChanged", "OwnerChanged"),
    "hammurabi.rules.base": ("Rule",),
    "hammurabi.rules.common": ("MultiplePathRule", "SinglePathRule"),
    "hammurabi.rules.directories": ("DirectoryEmptied", "DirectoryExists", "DirectoryNotExists"),
    "hammurabi.rules.files": (
        "FileEmptied",
        "FileExists",
        "FileNotExists",
        "FilesExist",
        "FilesNotExist",
    ),
    "hammurabi.rules.ini": (
        "OptionRenamed",
        "OptionsExist",
        "OptionsNotExist",
        "SectionExists",
        "SectionNotExists",
        "SectionRenamed",
    ),
    "hammurabi.rules.json": (
        "JsonKeyExists",
        "JsonKeyNotExists",
        "JsonKeyRenamed",
        "JsonValueExists",
        "JsonValueNotExists",
    ),
    "hammurabi.rules.operations": ("Copied", "Moved", "Renamed"),
    "hammurabi.rules.templates": ("TemplateRendered",),
    "hammurabi.rules.text": ("LineExists", "LineNotExists", "LineReplaced"),
    "hammurabi.rules.toml": (
        "TomlKeyExists",
        "TomlKeyNotExists",
        "TomlKeyRenamed",
        "TomlValueExists",
        "TomlValueNotExists",
    ),
    "hammurabi.rules.yaml": (
        "YamlKeyExists",
        "YamlKeyNotExists",
        "YamlKeyRenamed",
        "YamlValueExists",
        "YamlValueNotExists",
    ),
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_0_11_module_paths_import(module: str) -> None:
    loaded = importlib.import_module(module)
    missing = [name for name in MODULES[module] if not hasattr(loaded, name)]
    assert not missing


def test_a_custom_0_11_rule_runs(tmp_path: Path) -> None:
    from hammurabi.rules.common import SinglePathRule

    class Headed(SinglePathRule):
        """Every Markdown file starts with a title (a custom rule, as 0.11 users wrote them)."""

        def __init__(self, name: str, path: Path | None = None, title: str = "", **kwargs):
            self.title = self.validate(title, required=True)
            super().__init__(name, path, **kwargs)

        def task(self) -> Path:
            text = self.param.read_text()
            if not text.startswith("# "):
                self.param.write_text(f"# {self.title}\n\n{text}")
            return self.param

    make_tree(tmp_path, {"docs/a.md": "body\n"})
    first, _ = apply_twice(tmp_path, Headed(name="title", path=Path("docs/a.md"), title="A"))
    (rule,) = first.laws[0].rules
    assert rule.outcome is Outcome.CHANGED and rule.files == ["docs/a.md"]
    assert (tmp_path / "docs/a.md").read_text() == "# A\n\nbody\n"
    result = run_rules(tmp_path, Headed(name="no file", path=Path("missing.md"), title="M"))
    assert result.laws[0].rules[0].outcome is Outcome.FAILED
    assert isinstance(Law("l", "d", [Headed(name="x", path=Path("a"), title="t")]), Law)
