# ruff: noqa: E501
"""The repository and pillar of the compatibility acceptance test, written for Hammurabi 0.11.

``FILES`` is the repository before the run; ``PILLAR`` is a pillar in the original's API
(20+ rules over lines, files, directories, JSON, YAML, TOML and INI, with every
precondition); ``SETTINGS`` configures the repository the original's way. The expected
committed files were produced by running the original Hammurabi 0.11.1 on this repository
(``hammurabi --config pyproject.toml enforce --no-allow-push``) and are kept in
``EXPECTED`` (path -> content, ``None`` for a path the bot commits removed).
"""

from __future__ import annotations

SETTINGS = """\
[project]
name = "widgets"
version = "1.0.0"

[tool.hammurabi]
pillar_config = "pillar.conf.py"
git_branch_name = "hammurabi"
git_base_name = "main"
repository = "acme/widgets"
log_path = "hammurabi.log"
log_level = "INFO"
rule_can_abort = false
report_name = "hammurabi_report.json"
"""

PILLAR = """\
from pathlib import Path

from hammurabi import (
    Copied,
    DirectoryEmptied,
    DirectoryExists,
    DirectoryNotExists,
    FileEmptied,
    FileExists,
    FileNotExists,
    FilesExist,
    FilesNotExist,
    HasMode,
    HasNoMode,
    IsDirectoryExist,
    IsDirectoryNotExist,
    IsFileExist,
    IsFileNotExist,
    IsLineExist,
    IsLineNotExist,
    IsNotOwnedBy,
    IsOwnedBy,
    JsonKeyExists,
    JsonReporter,
    JsonKeyNotExists,
    JsonKeyRenamed,
    JsonValueExists,
    JsonValueNotExists,
    Law,
    LineExists,
    LineNotExists,
    LineReplaced,
    ModeChanged,
    Moved,
    OptionRenamed,
    OptionsExist,
    OptionsNotExist,
    OwnerChanged,
    Pillar,
    Renamed,
    SectionExists,
    SectionNotExists,
    SectionRenamed,
    TemplateRendered,
    TomlKeyExists,
    TomlKeyNotExists,
    TomlKeyRenamed,
    TomlValueExists,
    TomlValueNotExists,
    YamlKeyExists,
    YamlKeyNotExists,
    YamlKeyRenamed,
    YamlValueExists,
    YamlValueNotExists,
)


gunicorn = Path("gunicorn.conf.py")

text = Law(
    name="Gunicorn settings",
    description="Workers are tuned and debugging is off.",
    rules=(
        LineExists(
            name="Keepalive after bind",
            path=gunicorn,
            text="keepalive = 65",
            match=r"^bind.*",
            preconditions=[IsLineNotExist(path=gunicorn, criteria=r"^keepalive")],
        ),
        LineExists(
            name="Timeout before workers",
            path=gunicorn,
            text="timeout = 30",
            match=r"^workers",
            position=0,
        ),
        LineExists(
            name="Indented hook setting",
            path=gunicorn,
            text="worker.log = True",
            match=r"^\\s+def_hook",
        ),
        LineReplaced(
            name="Gevent workers",
            path=gunicorn,
            text='worker_class = "gevent"',
            match=r"^worker_class = .*",
            preconditions=[IsLineExist(path=gunicorn, criteria=r"^worker_class")],
        ),
        LineNotExists(name="No debug", path=gunicorn, text=r"^debug\\s*="),
        LineExists(
            name="Ignore bytecode",
            path=Path(".gitignore"),
            text="*.pyc",
            match=r"^__pycache__",
            ensure_trailing_newline=True,
        ),
    ),
)

files = Law(
    name="Project files",
    description="The files every project has, and none it should not.",
    rules=(
        FileExists(name="Changelog", path=Path("CHANGELOG.md")),
        DirectoryExists(
            name="Docs folder",
            path=Path("docs"),
            preconditions=[IsDirectoryNotExist(path=Path("docs"))],
        ),
        FilesExist(name="Docs pages", paths=[Path("docs/index.md"), Path("docs/usage.md")]),
        FileNotExists(
            name="No setup.py",
            path=Path("setup.py"),
            preconditions=[IsFileExist(path=Path("setup.py"))],
        ),
        FilesNotExist(name="No old requirements", paths=[Path("requirements-dev.txt"), Path("Pipfile")]),
        FileEmptied(name="Empty notes", path=Path("notes.txt")),
        Renamed(name="Readme in Markdown", path=Path("README"), new_name="README.md"),
        Copied(
            name="Local config",
            path=Path("config/base.ini"),
            destination=Path("config/local.ini"),
            preconditions=[IsFileNotExist(path=Path("config/local.ini"))],
        ),
        Moved(name="Scripts in bin", path=Path("old/run.sh"), destination=Path("bin/run.sh")),
        ModeChanged(
            name="Run script executable",
            path=Path("bin/run.sh"),
            new_value=0o755,
            preconditions=[HasNoMode(path=Path("bin/run.sh"), mode=0o111)],
        ),
        ModeChanged(
            name="Never applied: the script has no mode 0o111 yet",
            path=Path("bin/other.sh"),
            new_value=0o700,
            preconditions=[HasMode(path=Path("bin/other.sh"), mode=0o100)],
        ),
        DirectoryNotExists(
            name="No legacy folder",
            path=Path("legacy"),
            preconditions=[IsDirectoryExist(path=Path("legacy"))],
        ),
        DirectoryEmptied(name="Empty cache", path=Path("cache")),
    ),
)

json_law = Law(
    name="Package metadata",
    description="package.json is private and tagged.",
    rules=(
        JsonKeyExists(name="Private package", path=Path("package.json"), key="private", value=True),
        JsonKeyExists(name="Keeps its version", path=Path("package.json"), key="version", value="9.9.9"),
        JsonValueExists(name="Keyword", path=Path("package.json"), key="keywords", value="hammurabi"),
        JsonKeyRenamed(name="Test script", path=Path("package.json"), key="scripts.tst", new_name="test"),
        JsonKeyNotExists(name="No dev deps", path=Path("package.json"), key="devDependencies"),
        JsonValueNotExists(name="No dist", path=Path("package.json"), key="files", value="dist"),
    ),
)

yaml_law = Law(
    name="Service descriptor",
    description="service.yml is complete.",
    rules=(
        YamlKeyExists(name="Replicas", path=Path("service.yml"), key="spec.replicas", value=2),
        YamlValueExists(name="Python tag", path=Path("service.yml"), key="tags", value="python"),
        YamlValueNotExists(name="No deprecated tag", path=Path("service.yml"), key="tags", value="deprecated"),
        YamlKeyRenamed(name="Team", path=Path("service.yml"), key="meta.owner", new_name="team"),
        YamlKeyNotExists(name="No legacy", path=Path("service.yml"), key="legacy"),
    ),
)

toml_law = Law(
    name="Tool settings",
    description="tools.toml is up to date.",
    rules=(
        TomlKeyExists(name="Black line length", path=Path("tools.toml"), key="black.line-length", value=100),
        TomlValueExists(name="Black target", path=Path("tools.toml"), key="black.target", value="py311"),
        TomlKeyRenamed(name="Pytest addopts", path=Path("tools.toml"), key="pytest.addopt", new_name="addopts"),
        TomlValueNotExists(name="No minversion", path=Path("tools.toml"), key="pytest.minversion", value="6.0"),
        TomlKeyNotExists(name="No isort", path=Path("tools.toml"), key="isort"),
    ),
)

ini_law = Law(
    name="Setup configuration",
    description="setup.cfg holds the flake8 settings.",
    rules=(
        SectionExists(
            name="Flake8 section",
            path=Path("setup.cfg"),
            section="flake8",
            options=(("max-line-length", "100"),),
        ),
        OptionsExist(
            name="Flake8 options",
            path=Path("setup.cfg"),
            section="flake8",
            options=(("max-complexity", "10"), ("max-line-length", "120")),
        ),
        OptionsNotExist(name="No universal", path=Path("setup.cfg"), section="bdist_wheel", options=("universal",)),
        OptionRenamed(
            name="Pytest addopts (already renamed)",
            path=Path("setup.cfg"),
            section="tool:pytest",
            option="addopt",
            new_name="addopts",
        ),
        SectionRenamed(name="Isort section", path=Path("setup.cfg"), section="isort_old", new_name="isort"),
        SectionNotExists(name="No egg_info", path=Path("setup.cfg"), section="egg_info"),
    ),
)

template_law = Law(
    name="Contributing guide",
    description="Every project has the same contributing guide.",
    rules=(
        TemplateRendered(
            name="Contributing",
            template=Path("templates/CONTRIBUTING.md.j2"),
            destination=Path("CONTRIBUTING.md"),
            context={"project": "widgets", "team": "platform"},
        ),
        OwnerChanged(
            name="Owned by its owner",
            path=Path("CONTRIBUTING.md"),
            new_value="OWNER",
            preconditions=[IsNotOwnedBy(path=Path("CONTRIBUTING.md"), owner="nobody")],
        ),
    ),
    preconditions=[IsOwnedBy(path=Path("templates"), owner="OWNER")],
)

pillar = Pillar(reporter_class=JsonReporter)
for law in (text, files, json_law, yaml_law, toml_law, ini_law, template_law):
    pillar.register(law)
"""

FILES: dict[str, str] = {
    "gunicorn.conf.py": (
        "bind = '0.0.0.0:8000'\n"
        "workers = 4\n"
        "worker_class = 'sync'\n"
        "debug = True\n"
        "def on_starting(server):\n"
        "    def_hook = 1\n"
        "    return server\n"
    ),
    ".gitignore": "__pycache__/\n.venv/\n",
    "setup.py": "from setuptools import setup\nsetup()\n",
    "requirements-dev.txt": "pytest\n",
    "notes.txt": "some notes\nmore notes\n",
    "README": "# widgets\n",
    "config/base.ini": "[app]\nport = 8000\n",
    "old/run.sh": "#!/bin/sh\necho run\n",
    "bin/other.sh": "#!/bin/sh\necho other\n",
    "legacy/a.txt": "a\n",
    "legacy/sub/b.txt": "b\n",
    "cache/x.bin": "x\n",
    "cache/sub/y.bin": "y\n",
    "package.json": (
        '{"name":"widgets","version":"1.0.0","keywords":["tool"],'
        '"files":["src","dist"],"devDependencies":{"jest":"29"},'
        '"scripts":{"build":"tsc","tst":"jest"}}'
    ),
    "service.yml": (
        "name: widgets\n"
        "spec:\n"
        "  image: widgets:1\n"
        "tags:\n"
        "- web\n"
        "- deprecated\n"
        "legacy: true\n"
        "meta:\n"
        "  owner: platform\n"
    ),
    "tools.toml": (
        "[black]\n"
        "skip-string-normalization = true\n"
        "\n"
        "[pytest]\n"
        "verbose = true\n"
        'minversion = "6.0"\n'
        'addopt = "-q"\n'
        "\n"
        "[isort]\n"
        'profile = "black"\n'
    ),
    "setup.cfg": (
        "[metadata]\n"
        "name = widgets\n"
        "\n"
        "[bdist_wheel]\n"
        "universal = 1\n"
        "\n"
        "[isort_old]\n"
        "profile = black\n"
        "\n"
        "[egg_info]\n"
        "tag_build =\n"
        "\n"
        "[tool:pytest]\n"
        "addopts = -q\n"
    ),
    "templates/CONTRIBUTING.md.j2": (
        "# Contributing to {{ project }}\n\nAsk the {{ team }} team for a review."
    ),
}
