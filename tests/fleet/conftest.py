"""A fleet on the GitHub stand-in: 30 generated repositories in six layouts, and a runner."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hammurabi.cli.main import main
from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn
from tests.gitrepos import LAWS, isolate_git

OWNER = "acme"
SIZE = 30
COMPLIANT = {".gitignore": "__pycache__/\n", "app.py": "DEBUG = False\n"}
#: (files, default branch, does it need a pull request?)
LAYOUTS: list[tuple[dict[str, str], str, bool]] = [
    ({"app.py": "DEBUG = True\n", "README.md": "# service\n"}, "main", True),
    (COMPLIANT, "main", False),
    ({".gitignore": "__pycache__/\n", "app.py": "DEBUG = True\n"}, "main", True),
    ({"app.py": "DEBUG = False\n", "README.md": "# service\n"}, "main", True),
    (
        {
            "app.py": "import os\nDEBUG = True\n",
            "src/pkg/__init__.py": "",
            "docs/index.md": "# d\n",
        },
        "main",
        True,
    ),
    ({"app.py": "DEBUG = True\n", "pyproject.toml": "[project]\nname = 'x'\n"}, "master", True),
]


def layout(index: int) -> tuple[dict[str, str], str, bool]:
    return LAYOUTS[index % len(LAYOUTS)]


@dataclass
class Fleet:
    """The stand-in with the fleet, the files a run needs, and a way to run the CLI."""

    hub: GitHubStandIn
    root: Path
    names: list[str]
    capsys: pytest.CaptureFixture[str]
    laws: Path = field(init=False)
    repos: Path = field(init=False)
    cache: Path = field(init=False)

    def __post_init__(self) -> None:
        self.laws = self.root / "laws.yml"
        self.laws.write_text(LAWS)
        self.repos = self.root / "repos.txt"
        self.repos.write_text("# the fleet\n" + "".join(f"{name}\n" for name in self.names))
        self.cache = self.root / "cache"

    @property
    def needing(self) -> list[str]:
        """The repositories whose layout needs a pull request."""
        return [name for i, name in enumerate(self.names) if layout(i)[2]]

    def run(self, *args: str, command: str = "enforce") -> tuple[int, str, dict[str, Any]]:
        """Run the CLI over the fleet; return the exit code, the output and the JSON report."""
        report = self.root / "report.json"
        report.unlink(missing_ok=True)
        argv = [command, str(self.root), "--laws", str(self.laws), "-p", "python"]
        argv += ["--cache", str(self.cache), "--report", f"json={report}", *args]
        if not any(arg in ("--repos", "--org") for arg in args):
            argv += ["--repos", str(self.repos)]
        code = main(argv)
        captured = self.capsys.readouterr()
        data = json.loads(report.read_text()) if report.exists() else {}
        return code, captured.out + captured.err, data


def statuses(data: dict[str, Any]) -> dict[str, str]:
    return {repo["name"]: repo["status"] for repo in data["repos"]}


def pull_actions(data: dict[str, Any]) -> dict[str, str | None]:
    return {repo["name"]: repo["pull"].get("action") for repo in data["repos"]}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_git(monkeypatch)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    for name in ("HAMMURABI_QUESTDB_CONF", "HAMMURABI_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def hub(github_server: GitHubStandIn, monkeypatch: pytest.MonkeyPatch) -> GitHubStandIn:
    """The stand-in, and Hammurabi configured for it (no pacing, quick retries)."""
    monkeypatch.setenv("HAMMURABI_GITHUB_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HAMMURABI_GITHUB_API_URL", github_server.base_url)
    monkeypatch.setenv("HAMMURABI_GITHUB_SECONDS_BETWEEN_REQUESTS", "0")
    monkeypatch.setenv("HAMMURABI_GITHUB_SECONDS_BETWEEN_WRITES", "0")
    monkeypatch.setenv("HAMMURABI_GITHUB_BACKOFF", "0.01")
    monkeypatch.setenv("HAMMURABI_GITHUB_RETRIES", "1")
    return github_server


@pytest.fixture
def fleet(hub: GitHubStandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Fleet:
    """30 repositories of ``acme`` in six layouts (one in six is already compliant)."""
    names = []
    for i in range(SIZE):
        files, branch, _ = layout(i)
        name = f"{OWNER}/svc-{i:02d}"
        hub.create_repo(name, files, default_branch=branch, topics=["python"])
        names.append(name)
    root = tmp_path / "fleet"
    root.mkdir()
    return Fleet(hub, root, names, capsys)
