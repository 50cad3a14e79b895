"""docs/github.md, followed as written against the GitHub stand-in (real PyGithub, real pushes).

The variables the page exports and the ``[tool.hammurabi.github]`` block it shows are taken
from the page itself, so the page cannot drift from what works.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hammurabi.cli.main import main
from hammurabi.integrations import git as gitops
from tests.docs.helpers import DOCS, blocks
from tests.github_standin import DEFAULT_LOGIN, DEFAULT_TOKEN, GitHubStandIn
from tests.gitrepos import LAWS, isolate_git

PAGE = DOCS / "github.md"
REPO = "acme/widgets"


def _exports() -> list[str]:
    """The variables the page's shell blocks export, in order."""
    names = []
    for block in blocks(PAGE):
        if block.language == "sh":
            names += re.findall(r"^export (HAMMURABI_\w+)=", block.text, re.MULTILINE)
    return names


def _settings_block() -> str:
    (block,) = [b for b in blocks(PAGE) if b.title == "pyproject.toml"]
    return block.text


@pytest.fixture
def checkout(github_server: GitHubStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """acme/widgets with the page's pull-request settings, cloned over smart HTTP."""
    isolate_git(monkeypatch)
    github_server.create_repo(
        REPO,
        {"app.py": "DEBUG = True\n", "pyproject.toml": _settings_block()},
        collaborators=["octocat"],
    )
    monkeypatch.setenv("HAMMURABI_GITHUB_API_URL", github_server.base_url)
    for name, value in {"SECONDS_BETWEEN_REQUESTS": "0", "SECONDS_BETWEEN_WRITES": "0"}.items():
        monkeypatch.setenv(f"HAMMURABI_GITHUB_{name}", value)
    credentials = gitops.Credentials("x-access-token", DEFAULT_TOKEN)
    url = github_server.clone_url(REPO, token=None)
    gitops.clone(url, tmp_path / "widgets", credentials=credentials).close()
    (tmp_path / "laws.yml").write_text(LAWS)
    return tmp_path / "widgets"


def _enforce(checkout: Path, capsys: pytest.CaptureFixture[str]) -> str:
    laws = checkout.parent / "laws.yml"
    code = main(["enforce", str(checkout), "--laws", str(laws), "-p", "python"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out + captured.err


def _the_pull_request(github_server: GitHubStandIn) -> dict[str, object]:
    (pull,) = github_server.pulls(REPO, state="open")
    wanted = tomllib.loads(_settings_block())["tool"]["hammurabi"]["github"]
    assert str(pull["title"]).startswith(wanted["title"].split("{")[0])
    assert {label["name"] for label in pull["labels"]} == set(wanted["labels"])  # type: ignore[attr-defined]
    assert pull["draft"] is wanted["draft"]
    assert [user["login"] for user in pull["assignees"]] == wanted["assignees"]  # type: ignore[attr-defined]
    return pull


def test_a_token_in_the_environment_opens_the_pull_request_the_page_describes(
    github_server: GitHubStandIn,
    checkout: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _exports()[0] == "HAMMURABI_GITHUB_TOKEN"
    monkeypatch.setenv("HAMMURABI_GITHUB_TOKEN", DEFAULT_TOKEN)
    out = _enforce(checkout, capsys)
    pull = _the_pull_request(github_server)
    assert pull["user"]["login"] == DEFAULT_LOGIN  # type: ignore[index]
    assert DEFAULT_TOKEN not in out
    assert DEFAULT_TOKEN not in (checkout / ".git" / "config").read_text()


def test_a_github_app_from_the_environment_as_the_page_shows(
    github_server: GitHubStandIn,
    checkout: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app_variables = [name for name in _exports() if "APP" in name or "PRIVATE_KEY" in name]
    assert app_variables == ["HAMMURABI_GITHUB_APP_ID", "HAMMURABI_GITHUB_PRIVATE_KEY"]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    github_server.add_app(123456, pem, {7890123: [REPO]})
    monkeypatch.setenv("HAMMURABI_GITHUB_APP_ID", "123456")
    monkeypatch.setenv("HAMMURABI_GITHUB_PRIVATE_KEY", pem)
    out = _enforce(checkout, capsys)
    pull = _the_pull_request(github_server)
    assert pull["user"]["login"] == "hammurabi-app[bot]"  # type: ignore[index]
    assert "PRIVATE KEY" not in out
