"""The GitHub stand-in, exercised with the real PyGithub client and the real git CLI/GitPython."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import git
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    GithubIntegration,
    RateLimitExceededException,
    UnknownObjectException,
)

from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn
from tests.github_standin.fixtures import standin_retry

REPO = "acme/widgets"
GIT_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def run_git(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the git CLI with an isolated config and a fixed identity."""
    return subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=check
    )


def client(server: GitHubStandIn, auth: Auth.Auth | None = None, retry: object = None) -> Github:
    """Return a PyGithub client without throttling (and without retries unless given)."""
    return Github(
        base_url=server.base_url,
        auth=auth,
        seconds_between_requests=None,
        seconds_between_writes=None,
        retry=retry,  # type: ignore[arg-type]
    )


@pytest.fixture
def repo(github_server: GitHubStandIn) -> str:
    """Create ``acme/widgets`` with a ``feature`` branch one commit ahead of ``main``."""
    github_server.create_repo(
        REPO, {"README.md": "hello\n"}, topics=["python"], collaborators=["alice"]
    )
    github_server.commit(REPO, "feature", {"feature.txt": "new\n"}, "Add feature")
    return REPO


def test_repository_metadata(github_server: GitHubStandIn, github_client: Github, repo: str):
    github_server.create_repo("acme/old", archived=True, topics=["python"])
    github_server.create_repo("acme/secret", private=True)
    got = github_client.get_repo(repo)
    assert (got.full_name, got.default_branch, got.archived, got.private) == (
        repo,
        "main",
        False,
        False,
    )
    assert got.clone_url == f"{github_server.web_url}/{repo}.git"
    assert got.owner.login == "acme" and got.owner.type == "Organization"
    assert got.get_topics() == ["python"]
    assert got.get_branch("feature").commit.sha == github_server.branch_sha(repo, "feature")
    names = [r.full_name for r in github_client.get_organization("acme").get_repos()]
    assert sorted(names) == ["acme/old", "acme/secret", "acme/widgets"]
    found = github_client.search_repositories("org:acme topic:python archived:false")
    assert [r.full_name for r in found] == [repo]
    assert found.totalCount == 1
    with pytest.raises(GithubException) as err:
        got.get_branch("nope")
    assert err.value.status == 404 and err.value.data["message"] == "Branch not found"
    with pytest.raises(UnknownObjectException):
        client(github_server).get_repo("acme/secret")  # anonymous callers cannot see it


def test_create_list_edit_close_pull(github_server: GitHubStandIn, github_client: Github, repo):
    gh_repo = github_client.get_repo(repo)
    pr = gh_repo.create_pull(base="main", head="feature", title="Add", body="Body", draft=True)
    assert (pr.number, pr.state, pr.draft, pr.user.login) == (1, "open", True, "hammurabi-bot")
    assert pr.head.sha == github_server.branch_sha(repo, "feature")
    assert pr.head.label == "acme:feature" and pr.base.ref == "main"
    assert [p.number for p in gh_repo.get_pulls(state="open")] == [1]
    pr.edit(title="Add feature", body="New body")
    assert github_server.pull(repo, 1)["title"] == "Add feature"
    pr.edit(state="closed")
    assert gh_repo.get_pulls(state="open").totalCount == 0
    closed = gh_repo.get_pull(1)
    assert closed.state == "closed" and closed.closed_at is not None
    assert [p.title for p in gh_repo.get_pulls(state="closed")] == ["Add feature"]
    writes = [(r.method, r.path, r.status) for r in github_server.writes()]
    assert writes == [
        ("POST", f"/repos/{repo}/pulls", 201),
        ("PATCH", f"/repos/{repo}/pulls/1", 200),
        ("PATCH", f"/repos/{repo}/pulls/1", 200),
    ]
    assert github_server.writes()[0].json["head"] == "feature"


def test_pull_validation_errors(github_server: GitHubStandIn, github_client: Github, repo):
    gh_repo = github_client.get_repo(repo)
    gh_repo.create_pull(base="main", head="feature", title="Add")
    with pytest.raises(GithubException) as dup:
        gh_repo.create_pull(base="main", head="acme:feature", title="Again")
    assert dup.value.status == 422
    assert dup.value.data["errors"][0]["message"] == (
        "A pull request already exists for acme:feature."
    )
    gh_repo.create_git_ref("refs/heads/empty", github_server.branch_sha(repo, "main"))
    with pytest.raises(GithubException) as empty:
        gh_repo.create_pull(base="main", head="empty", title="Empty")
    assert empty.value.status == 422
    assert empty.value.data["errors"][0]["message"] == "No commits between main and empty"
    for base, head, field in (("main", "ghost", "head"), ("ghost", "feature", "base")):
        with pytest.raises(GithubException) as bad:
            gh_repo.create_pull(base=base, head=head, title="Bad")
        assert bad.value.status == 422
        assert bad.value.data["errors"] == [
            {"resource": "PullRequest", "field": field, "code": "invalid"}
        ]
    assert len(github_server.pulls(repo)) == 1


def test_issues_and_pulls_share_numbers(github_client: Github, repo: str):
    gh_repo = github_client.get_repo(repo)
    issue = gh_repo.create_issue(title="Bug")
    pr = gh_repo.create_pull(base="main", head="feature", title="Fix")
    assert (issue.number, pr.number) == (1, 2)
    assert gh_repo.get_issue(2).pull_request is not None
    assert gh_repo.get_issue(1).pull_request is None


def test_head_filter_needs_owner(github_server: GitHubStandIn, github_client: Github, repo):
    github_server.commit(repo, "other", {"other.txt": "x\n"}, start="main")
    gh_repo = github_client.get_repo(repo)
    gh_repo.create_pull(base="main", head="feature", title="One")
    gh_repo.create_pull(base="main", head="other", title="Two")
    assert [p.title for p in gh_repo.get_pulls(head="acme:feature")] == ["One"]
    assert [p.title for p in gh_repo.get_pulls(head="feature")] == ["Two", "One"]  # ignored
    assert list(gh_repo.get_pulls(head="someone:feature")) == []
    assert [p.title for p in gh_repo.get_pulls(base="main", sort="created", direction="asc")] == [
        "One",
        "Two",
    ]


def test_pagination_uses_link_header(github_server: GitHubStandIn, repo: str):
    bare = github_server.bare_path(repo)
    sha = github_server.branch_sha(repo, "feature")
    refs = "".join(f"create refs/heads/b{i} {sha}\n" for i in range(105))
    subprocess.run(
        ["git", "--git-dir", str(bare), "update-ref", "--stdin"],
        input=refs,
        text=True,
        check=True,
        env=GIT_ENV,
    )
    for i in range(105):
        github_server.open_pull(repo, f"b{i}", title=f"PR {i}")
    gh = client(github_server, Auth.Token(DEFAULT_TOKEN))
    pulls = gh.get_repo(repo).get_pulls()
    assert pulls.totalCount == 105
    assert [p.number for p in pulls] == list(range(105, 0, -1))
    resp = httpx.get(
        f"{github_server.base_url}/repos/{repo}/pulls",
        params={"per_page": 500, "page": 2},
        headers={"Authorization": f"token {DEFAULT_TOKEN}"},
    )
    assert len(resp.json()) == 5  # per_page is capped at 100
    links = resp.headers["Link"]
    assert 'page=1>; rel="prev"' in links and 'page=1>; rel="first"' in links
    assert 'rel="next"' not in links
    first = httpx.get(
        f"{github_server.base_url}/repos/{repo}/pulls",
        headers={"Authorization": f"token {DEFAULT_TOKEN}"},
    )
    assert len(first.json()) == 30
    assert first.headers["Link"].endswith('page=4>; rel="last"')
    assert first.headers["Link"].startswith(f"<{github_server.base_url}/")


def test_labels_reviewers_assignees_comments(
    github_server: GitHubStandIn, github_client: Github, repo: str
):
    pr = github_client.get_repo(repo).create_pull(base="main", head="feature", title="Add")
    pr.add_to_labels("bug", "Hammurabi")
    pr.add_to_labels("BUG")
    assert [label.name for label in pr.get_labels()] == ["bug", "Hammurabi"]
    pr.remove_from_labels("HAMMURABI")
    with pytest.raises(GithubException) as missing:
        pr.remove_from_labels("nope")
    assert missing.value.status == 404 and missing.value.data["message"] == "Label does not exist"
    pr.set_labels("automated")
    assert github_server.labels(repo, 1) == ["automated"]
    assert sorted(github_server.labels(repo)) == ["Hammurabi", "automated", "bug"]

    pr.create_review_request(reviewers=["alice"])
    for reviewer in ("mallory", "hammurabi-bot"):
        with pytest.raises(GithubException) as refused:
            pr.create_review_request(reviewers=[reviewer])
        assert refused.value.status == 422
    users, _teams = pr.get_review_requests()
    assert [u.login for u in users] == ["alice"]
    pr.delete_review_request(reviewers=["alice"])
    assert github_server.pull(repo, 1)["requested_reviewers"] == []

    pr.add_to_assignees("alice", "mallory")  # mallory cannot be assigned: ignored
    assert [a.login for a in github_client.get_repo(repo).get_pull(1).assignees] == ["alice"]

    first = pr.create_issue_comment("first")
    pr.create_issue_comment("second")
    first.edit("edited")
    assert [c["body"] for c in github_server.comments(repo, 1)] == ["edited", "second"]
    first.delete()
    assert [c.body for c in pr.get_issue_comments()] == ["second"]


def test_many_comments_paginate(github_server: GitHubStandIn, repo: str):
    github_server.open_pull(repo, "feature")
    gh = client(github_server, Auth.Token(DEFAULT_TOKEN))
    issue = gh.get_repo(repo).get_issue(1)
    for i in range(35):
        issue.create_comment(f"c{i}")
    comments = issue.get_comments()
    assert [c.body for c in comments] == [f"c{i}" for i in range(35)]
    assert len(github_server.requests_matching("GET", r"/issues/1/comments$")) == 2


def test_delete_branch_closes_pull(github_server: GitHubStandIn, github_client: Github, repo):
    gh_repo = github_client.get_repo(repo)
    gh_repo.create_pull(base="main", head="feature", title="Add")
    ref = gh_repo.get_git_ref("heads/feature")
    assert ref.object.sha == github_server.branch_sha(repo, "feature")
    ref.delete()
    assert "feature" not in github_server.branches(repo)
    refs = run_git("--git-dir", str(github_server.bare_path(repo)), "for-each-ref").stdout
    assert "refs/heads/feature" not in refs and "refs/heads/main" in refs
    assert gh_repo.get_pull(1).state == "closed"
    with pytest.raises(GithubException) as gone:
        ref.delete()
    assert gone.value.status == 422 and gone.value.data["message"] == "Reference does not exist"


def test_clone_push_and_force_push(
    github_server: GitHubStandIn, github_client: Github, repo: str, tmp_path: Path
):
    work = tmp_path / "work"
    run_git("clone", github_server.clone_url(repo), str(work))
    assert (work / "README.md").read_text() == "hello\n"
    run_git("checkout", "-b", "rule/fix", cwd=work)
    (work / "fix.txt").write_text("one\n")
    run_git("add", "fix.txt", cwd=work)
    run_git("commit", "-m", "Fix", cwd=work)
    run_git("push", "origin", "rule/fix", cwd=work)
    first = run_git("rev-parse", "HEAD", cwd=work).stdout.strip()
    assert github_server.branch_sha(repo, "rule/fix") == first

    pr = github_client.get_repo(repo).create_pull(base="main", head="rule/fix", title="Fix")
    assert pr.head.sha == first
    (work / "fix.txt").write_text("two\n")
    run_git("commit", "-am", "Fix again", "--amend", cwd=work)
    run_git("push", "--force", "origin", "rule/fix", cwd=work)
    second = run_git("rev-parse", "HEAD", cwd=work).stdout.strip()
    assert second != first
    assert github_client.get_repo(repo).get_pull(pr.number).head.sha == second
    assert github_client.get_repo(repo).get_branch("rule/fix").commit.sha == second
    pushes = github_server.requests_matching("POST", r"/git-receive-pack$")
    assert [r.login for r in pushes] == ["hammurabi-bot", "hammurabi-bot"]


def test_large_push_is_chunked(github_server: GitHubStandIn, repo: str, tmp_path: Path):
    work = tmp_path / "work"
    run_git("clone", github_server.clone_url(repo), str(work))
    (work / "big.bin").write_bytes(os.urandom(1_500_000))  # beyond git's 1 MiB post buffer
    run_git("add", "big.bin", cwd=work)
    run_git("commit", "-m", "Big", cwd=work)
    run_git("push", "origin", "HEAD:refs/heads/big", cwd=work)
    assert (
        github_server.branch_sha(repo, "big")
        == run_git("rev-parse", "HEAD", cwd=work).stdout.strip()
    )
    pushes = github_server.requests_matching("POST", r"/git-receive-pack$")
    assert any(r.headers.get("transfer-encoding") == "chunked" for r in pushes)


def test_concurrent_writes(github_server: GitHubStandIn, repo: str):
    github_server.open_pull(repo, "feature")
    url = f"{github_server.base_url}/repos/{repo}/issues/1/comments"
    auth = {"Authorization": f"token {DEFAULT_TOKEN}"}

    with httpx.Client(headers=auth) as http, ThreadPoolExecutor(8) as pool:
        statuses = pool.map(lambda i: http.post(url, json={"body": f"c{i}"}).status_code, range(40))
        assert set(statuses) == {201}
    comments = github_server.comments(repo, 1)
    assert sorted(c["body"] for c in comments) == sorted(f"c{i}" for i in range(40))
    assert len({c["id"] for c in comments}) == 40


def test_rejected_push_shows_in_push_info(github_server: GitHubStandIn, repo, tmp_path: Path):
    clone = git.Repo.clone_from(github_server.clone_url(repo), tmp_path / "w", env=GIT_ENV)
    clone.git.update_environment(**GIT_ENV)
    clone.git.checkout("-b", "blocked")
    (tmp_path / "w" / "x.txt").write_text("x\n")
    clone.index.add(["x.txt"])
    clone.index.commit("Blocked change")
    github_server.reject_pushes(repo)
    [info] = clone.remote().push("blocked")
    assert info.flags & (git.PushInfo.ERROR | git.PushInfo.REMOTE_REJECTED | git.PushInfo.REJECTED)
    assert "hook declined" in info.summary
    assert "blocked" not in github_server.branches(repo)
    github_server.accept_pushes(repo)
    [info] = clone.remote().push("blocked")
    assert not info.flags & git.PushInfo.ERROR
    assert "blocked" in github_server.branches(repo)


def test_git_authentication(github_server: GitHubStandIn, repo: str, tmp_path: Path):
    github_server.create_repo("acme/secret", private=True)
    bad_url = github_server.clone_url("acme/secret", token="wrong")
    bad = run_git("clone", bad_url, str(tmp_path / "a"), check=False)
    assert bad.returncode != 0 and "Authentication failed" in bad.stderr
    assert "remote: Invalid username or token" in bad.stderr
    anonymous_private = run_git(
        "clone",
        github_server.clone_url("acme/secret", token=None),
        str(tmp_path / "b"),
        check=False,
    )
    assert anonymous_private.returncode != 0
    run_git("clone", github_server.clone_url(repo, token=None), str(tmp_path / "c"))
    run_git("clone", github_server.clone_url("acme/secret"), str(tmp_path / "d"))
    push = run_git("push", "origin", "HEAD:refs/heads/anon", cwd=tmp_path / "c", check=False)
    assert push.returncode != 0 and "anon" not in github_server.branches(repo)


def test_bad_token_is_bad_credentials(github_server: GitHubStandIn, repo: str):
    with pytest.raises(BadCredentialsException):
        client(github_server, Auth.Token("ghp_wrong")).get_repo(repo)
    assert github_server.requests[-1].status == 401


def test_injected_502_is_retried(github_server: GitHubStandIn, github_client: Github, repo):
    github_server.inject("POST", r"/pulls$", 502, times=1)
    pr = github_client.get_repo(repo).create_pull(base="main", head="feature", title="Add")
    assert pr.number == 1 and len(github_server.pulls(repo)) == 1
    statuses = [r.status for r in github_server.requests_matching("POST", r"/pulls$")]
    assert statuses == [502, 201]


def test_secondary_rate_limit_honours_retry_after(
    github_server: GitHubStandIn, github_client: Github, repo: str
):
    github_server.inject_rate_limit("GET", rf"^/repos/{repo}$", retry_after=1)
    started = time.monotonic()
    assert github_client.get_repo(repo).name == "widgets"
    assert time.monotonic() - started >= 1
    assert [r.status for r in github_server.requests_matching("GET", rf"/{repo}$")] == [403, 200]
    github_server.inject_rate_limit("GET", r"/user$", times=None)
    with pytest.raises(RateLimitExceededException):
        client(github_server, Auth.Token(DEFAULT_TOKEN)).get_user().login  # noqa: B018


def test_primary_rate_limit_budget(github_server: GitHubStandIn, repo: str):
    github_server.set_rate_limit(2)
    gh = client(github_server, Auth.Token(DEFAULT_TOKEN))
    gh.get_repo(repo)
    gh.get_repo(repo)
    with pytest.raises(RateLimitExceededException) as err:
        gh.get_repo(repo)
    assert err.value.status == 403
    assert err.value.headers["x-ratelimit-remaining"] == "0"
    assert int(err.value.headers["x-ratelimit-reset"]) > time.time()
    assert gh.get_rate_limit().resources.core.remaining == 0  # /rate_limit is free


def test_request_bodies_gzip_and_chunked(github_server: GitHubStandIn, repo: str):
    github_server.open_pull(repo, "feature")
    url = f"{github_server.base_url}/repos/{repo}/issues/1/labels"
    auth = {"Authorization": f"token {DEFAULT_TOKEN}"}
    packed = gzip.compress(json.dumps(["zipped"]).encode())
    resp = httpx.post(url, content=packed, headers={**auth, "Content-Encoding": "gzip"})
    assert resp.status_code == 200

    def chunks():
        yield b'{"labels": '
        yield b'["chunked"]}'

    resp = httpx.post(url, content=chunks(), headers=auth)
    assert resp.status_code == 200
    assert github_server.labels(repo, 1) == ["zipped", "chunked"]
    for key in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert resp.headers[key].isdigit()


def test_statuses_checks_and_merge(github_server: GitHubStandIn, github_client: Github, repo):
    gh_repo = github_client.get_repo(repo)
    sha = github_server.branch_sha(repo, "feature")
    status = gh_repo.get_commit(sha).create_status("success", context="hammurabi")
    assert status.state == "success"
    assert [s["context"] for s in github_server.statuses(repo, sha)] == ["hammurabi"]
    with pytest.raises(GithubException) as checks:
        gh_repo.create_check_run(name="hammurabi", head_sha=sha)
    assert checks.value.status == 403
    assert checks.value.data["message"] == "You must authenticate via a GitHub App."
    pr = gh_repo.create_pull(base="main", head="feature", title="Add")
    assert pr.merge().merged
    main = github_server.branch_sha(repo, "main")
    assert gh_repo.get_pull(pr.number).merged and gh_repo.get_commit(main).parents[1].sha == sha


def test_archived_repository_is_read_only(github_server: GitHubStandIn, github_client: Github):
    github_server.create_repo("acme/old", archived=True)
    github_server.commit("acme/old", "feature", {"x": "y"})
    with pytest.raises(GithubException) as err:
        github_client.get_repo("acme/old").create_pull(base="main", head="feature", title="X")
    assert err.value.status == 403


def test_github_app_installation_token(github_server: GitHubStandIn, repo, tmp_path: Path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    github_server.create_repo("acme/private", private=True)
    github_server.add_app(42, pem, {7: [repo]})
    app_auth = Auth.AppAuth(42, pem)
    integration = GithubIntegration(
        base_url=github_server.base_url,
        auth=app_auth,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    assert integration.get_app().slug == "hammurabi-app"
    assert integration.get_repo_installation("acme", "widgets").id == 7
    token = integration.get_access_token(7).token
    gh = client(github_server, app_auth.get_installation_auth(7), retry=standin_retry())
    gh_repo = gh.get_repo(repo)
    sha = github_server.branch_sha(repo, "feature")
    run = gh_repo.create_check_run(
        name="hammurabi", head_sha=sha, status="completed", conclusion="success"
    )
    assert run.status == "completed" and github_server.check_runs(repo)[0]["app"]["id"] == 42
    pr = gh_repo.create_pull(base="main", head="feature", title="From app")
    assert pr.user.login == "hammurabi-app[bot]"
    with pytest.raises(UnknownObjectException):
        gh.get_repo("acme/private")  # not part of the installation
    run_git("clone", github_server.clone_url(repo, token=token), str(tmp_path / "clone"))

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    with pytest.raises(GithubException) as err:
        GithubIntegration(base_url=github_server.base_url, auth=Auth.AppAuth(42, forged)).get_app()
    assert err.value.status == 401
