"""hammurabi.integrations.forges.github: real PyGithub over HTTP against the GitHub stand-in."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import hammurabi.loading.hookspecs  # noqa: F401  (importing hammurabi.loading.plugins first is circular)
from hammurabi.integrations.forges.base import (
    ForgeError,
    PullRequestSpec,
    find_marker,
    marker,
    render_title,
)
from hammurabi.integrations.forges.github import hammurabi_forge
from hammurabi.integrations.forges.github_forge import GitHubForge
from hammurabi.loading.settings import GitHubSettings, Settings
from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn

REPO = "acme/widgets"
BRANCH = "hammurabi/laws"


def settings(server: GitHubStandIn, **values: object) -> GitHubSettings:
    """Fast settings: no pacing, quick retries."""
    base: dict[str, object] = {
        "token": DEFAULT_TOKEN,
        "api_url": server.base_url,
        "seconds_between_requests": 0.0,
        "seconds_between_writes": 0.0,
        "backoff": 0.01,
        "retries": 3,
        "max_rate_limit_wait": 5.0,
        "labels": ["hammurabi"],
    }
    base.update(values)
    return GitHubSettings(**base)  # type: ignore[arg-type]


@pytest.fixture
def repo(github_server: GitHubStandIn) -> str:
    github_server.create_repo(REPO, {"app.py": "DEBUG = True\n"}, collaborators=["alice"])
    github_server.commit(REPO, BRANCH, {"app.py": "DEBUG = False\n"}, "Debug off")
    return REPO


@pytest.fixture
def forge(github_server: GitHubStandIn, repo: str) -> GitHubForge:
    return GitHubForge(settings(github_server, reviewers=["alice"], assignees=["alice"]), env={})


def spec(body: str = "first body", title: str = "Hammurabi: apply Debug off") -> PullRequestSpec:
    return PullRequestSpec(
        head=BRANCH,
        base="main",
        title=title,
        body=f"{marker('pull-request', branch=BRANCH)}\n{body}\n",
        labels=("hammurabi",),
        reviewers=("alice",),
        assignees=("alice",),
    )


def test_hook_answers_only_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert hammurabi_forge(Settings()) is None
    monkeypatch.setenv("GITHUB_TOKEN", "from-env")
    forge = hammurabi_forge(Settings())
    assert isinstance(forge, GitHubForge) and forge.secrets() == ["from-env"]
    assert "from-env" not in repr(forge) and "from-env" not in repr(Settings().github)


def test_repository_from_remote_urls(github_server: GitHubStandIn, repo: str) -> None:
    forge = GitHubForge(settings(github_server), env={})
    assert forge.repository(github_server.clone_url(REPO, token=None)) == REPO
    assert forge.repository(f"{github_server.web_url}/acme/widgets") == REPO
    assert forge.repository("https://gitlab.example.com/acme/widgets.git") is None
    assert forge.repository("/srv/git/widgets.git") is None
    dotcom = GitHubForge(GitHubSettings(token="t"), env={})
    assert dotcom.api_url == "https://api.github.com"
    assert dotcom.repository("git@github.com:acme/widgets.git") == REPO
    assert dotcom.repository("ssh://git@github.com/acme/widgets") == REPO
    ghe = GitHubForge(GitHubSettings(token="t"), env={"GITHUB_API_URL": "https://ghe.corp/api/v3"})
    assert ghe.repository("https://ghe.corp/acme/widgets.git") == REPO
    pinned = GitHubForge(GitHubSettings(token="t", repository="o/r"), env={})
    assert pinned.repository("/anything") == "o/r"


def test_open_find_update_close(github_server: GitHubStandIn, forge: GitHubForge) -> None:
    assert forge.find_pull(REPO, BRANCH, "main") is None
    pull = forge.open_pull(REPO, spec())
    assert (pull.number, pull.state, pull.head, pull.base) == (1, "open", BRANCH, "main")
    assert pull.labels == ("hammurabi",) and pull.reviewers == ("alice",)
    assert pull.assignees == ("alice",) and pull.created_at is not None
    assert pull.url.startswith(github_server.web_url)
    stored = github_server.pull(REPO, 1)
    assert [r["login"] for r in stored["requested_reviewers"]] == ["alice"]
    assert github_server.labels(REPO, 1) == ["hammurabi"]

    found = forge.find_pull(REPO, BRANCH, "main")
    assert found is not None and found.number == 1 and found.hammurabi
    github_server.clear_requests()
    same, changed = forge.update_pull(REPO, found, spec())
    assert changed == [] and same == found
    assert github_server.requests == []  # nothing differs: not even a read

    updated, changed = forge.update_pull(REPO, found, spec(body="second body", title="New"))
    assert changed == ["title", "body"] and updated.title == "New"
    assert [(r.method, r.path) for r in github_server.writes()] == [
        ("PATCH", "/repos/acme/widgets/pulls/1")
    ]
    assert "second body" in github_server.pull(REPO, 1)["body"]

    closed = forge.close_pull(REPO, updated, f"{marker('closed')}\nDone.\n")
    assert closed.state == "closed"
    assert github_server.pull(REPO, 1)["state"] == "closed"
    assert find_marker(github_server.comments(REPO, 1)[0]["body"], "closed") == {}


def test_existing_pull_is_updated_never_duplicated(
    github_server: GitHubStandIn, forge: GitHubForge
) -> None:
    github_server.open_pull(REPO, BRANCH, title="Opened elsewhere")
    pull = forge.open_pull(REPO, spec())  # GitHub answers 422 "already exists"
    assert pull.number == 1 and pull.title == "Hammurabi: apply Debug off"
    assert len(github_server.pulls(REPO, "all")) == 1


def test_uninvitable_reviewer_is_a_warning(github_server: GitHubStandIn, repo: str) -> None:
    forge = GitHubForge(settings(github_server), env={})
    pull = forge.open_pull(REPO, PullRequestSpec(BRANCH, "main", "T", "B", reviewers=("mallory",)))
    assert pull.number == 1 and pull.reviewers == ()
    assert forge.warnings and "collaborators" in forge.warnings[0]


def test_comment_upsert_writes_once(github_server: GitHubStandIn, forge: GitHubForge) -> None:
    pull = forge.open_pull(REPO, spec())
    body = f"{marker('foreign-commits', branch=BRANCH)}\nSomeone pushed.\n"
    assert forge.upsert_comment(REPO, pull, "foreign-commits", body) is True
    github_server.clear_requests()
    assert forge.upsert_comment(REPO, pull, "foreign-commits", body) is False
    assert github_server.writes() == []
    assert forge.upsert_comment(REPO, pull, "foreign-commits", body + "More.\n") is True
    assert len(github_server.comments(REPO, 1)) == 1
    assert "More." in github_server.comments(REPO, 1)[0]["body"]


def test_server_errors_are_retried(github_server: GitHubStandIn, forge: GitHubForge) -> None:
    github_server.inject("GET", r"/pulls$", 502, times=2)
    assert forge.find_pull(REPO, BRANCH, "main") is None
    assert len(github_server.requests_matching("GET", r"/pulls$")) == 3


def test_rate_limits_are_waited_out(github_server: GitHubStandIn, forge: GitHubForge) -> None:
    github_server.inject_rate_limit("GET", r"/pulls$", secondary=True, retry_after=1)
    started = time.monotonic()
    assert forge.find_pull(REPO, BRANCH, "main") is None
    assert time.monotonic() - started >= 1.0
    github_server.inject_rate_limit("POST", r"/pulls$", secondary=False, reset_in=1)
    assert forge.open_pull(REPO, spec()).number == 1
    assert len(github_server.pulls(REPO, "all")) == 1


def test_rate_limit_beyond_the_limit_fails(github_server: GitHubStandIn, repo: str) -> None:
    forge = GitHubForge(settings(github_server, max_rate_limit_wait=1.0), env={})
    github_server.inject_rate_limit("GET", r"/pulls$", secondary=False, reset_in=60)
    with pytest.raises(ForgeError, match="403"):
        forge.find_pull(REPO, BRANCH, "main")


def test_errors_never_carry_the_token(github_server: GitHubStandIn, forge: GitHubForge) -> None:
    github_server.inject(
        "GET", r"/pulls$", 400, body={"message": f"token {DEFAULT_TOKEN} is weird"}
    )
    with pytest.raises(ForgeError) as err:
        forge.find_pull(REPO, BRANCH, "main")
    assert DEFAULT_TOKEN not in str(err.value) and "***" in str(err.value)
    bad = GitHubForge(settings(github_server, token="ghp_wrong_token_123"), env={})
    with pytest.raises(ForgeError, match="401") as err:
        bad.find_pull(REPO, BRANCH, "main")
    assert "ghp_wrong_token_123" not in str(err.value)


def test_github_app_installation(github_server: GitHubStandIn, repo: str, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    github_server.add_app(42, pem, {7: [REPO]})
    key_file = tmp_path / "app.pem"
    key_file.write_text(pem)
    forge = GitHubForge(
        settings(github_server, token="", app_id="42", private_key_path=str(key_file)), env={}
    )
    assert forge.configured
    credentials = forge.git_credentials(REPO)
    assert credentials is not None and credentials.username == "x-access-token"
    assert credentials.password in forge.secrets()
    pull = forge.open_pull(REPO, spec())
    assert pull.author == "hammurabi-app[bot]"
    installation_lookups = github_server.requests_matching("GET", r"/installation$")
    assert len(installation_lookups) == 1
    with pytest.raises(ForgeError, match="private_key"):
        GitHubForge(GitHubSettings(app_id="42"), env={})


def test_title_template() -> None:
    from hammurabi.integrations.forges.base import TitleFields

    fields = TitleFields("apply 2 laws", 2, "A, B", BRANCH, "main", REPO)
    assert render_title("[{repository}] {summary} ({count})", fields) == (
        "[acme/widgets] apply 2 laws (2)"
    )
    with pytest.raises(Exception, match="fields"):
        render_title("{nope}", fields)
