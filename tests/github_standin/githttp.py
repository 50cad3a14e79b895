"""Git smart HTTP: authorize like GitHub, then hand the request to ``git http-backend`` (CGI)."""

from __future__ import annotations

import logging
import re
import subprocess
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from . import tracker
from .auth import identify
from .errors import ApiError
from .gitstore import clean_env
from .state import Identity, Repo, State, now

log = logging.getLogger(__name__)

GIT_PATH = re.compile(
    r"^/(?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?"
    r"(?P<rest>/(?:info/refs|git-upload-pack|git-receive-pack|HEAD|objects/.+))$"
)
CHALLENGE = {"WWW-Authenticate": 'Basic realm="GitHub"'}


@dataclass
class GitReply:
    """What to send back to the git client."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    who: Identity | None = None


def is_git_path(path: str) -> bool:
    """Tell whether a URL path is a smart-HTTP git request."""
    return GIT_PATH.match(path) is not None


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> GitReply:
    """Reply with a plain-text message; git shows it as ``remote: ...``."""
    headers = {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
    return GitReply(status, f"{message}\n".encode(), headers)


def _authorize(state: State, who: Identity, repo: Repo | None, write: bool) -> GitReply | None:
    """Return GitHub's refusal for this caller and repository, or None when allowed."""
    if repo is None or not state.can_see(who, repo):
        if not who.authenticated:
            return _text(401, "Authentication required.", CHALLENGE)
        return _text(404, "Repository not found.")
    if not write:
        return None
    if not who.authenticated:
        return _text(401, "Authentication required.", CHALLENGE)
    if not repo.may_write(who):
        return _text(403, f"Permission to {repo.full_name}.git denied to {who.login}.")
    if who.repos is not None and repo.full_name.lower() not in who.repos:
        return _text(403, f"Permission to {repo.full_name}.git denied to {who.login}.")
    if repo.archived:
        return _text(403, "This repository was archived so it is read-only.")
    return None


def serve(
    state: State, method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> GitReply:
    """Answer one smart-HTTP request (``info/refs``, ``git-upload-pack``, ``git-receive-pack``)."""
    match = GIT_PATH.match(path)
    assert match is not None
    try:
        who = identify(state, headers.get("authorization"))
    except ApiError:
        return _text(
            401,
            "Invalid username or token. Password authentication is not supported for Git"
            " operations.",
            CHALLENGE,
        )
    if who.kind not in ("user", "installation", "anonymous"):
        return _text(401, "Authentication required.", CHALLENGE)
    rest = match["rest"]
    service = parse_qs(query).get("service", [""])[0] if rest == "/info/refs" else rest[1:]
    write = service == "git-receive-pack"
    with state.lock:
        repo = state.repos.get(f"{match['owner']}/{match['name']}".lower())
        refusal = _authorize(state, who, repo, write)
    if refusal is not None:
        refusal.who = who
        return refusal
    assert repo is not None
    reply = _run_backend(state, repo, method, rest, query, headers, body, who)
    if write and method == "POST" and reply.status == 200:
        with state.lock:
            repo.pushed_at = now()
            tracker.sync(repo)
    return reply


def _run_backend(
    state: State,
    repo: Repo,
    method: str,
    rest: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    who: Identity,
) -> GitReply:
    """Run ``git http-backend`` as a CGI script and parse its answer."""
    env = clean_env(
        GIT_PROJECT_ROOT=str(state.root),
        GIT_HTTP_EXPORT_ALL="1",
        REQUEST_METHOD=method,
        QUERY_STRING=query,
        PATH_INFO=f"/{repo.bare.path.relative_to(state.root).as_posix()}{rest}",
        CONTENT_TYPE=headers.get("content-type", ""),
        CONTENT_LENGTH=str(len(body)),
        REMOTE_USER=who.login or "",
        REMOTE_ADDR="127.0.0.1",
        SERVER_PROTOCOL="HTTP/1.1",
        GATEWAY_INTERFACE="CGI/1.1",
    )
    if "git-protocol" in headers:
        env["GIT_PROTOCOL"] = headers["git-protocol"]
    proc = subprocess.run(
        ["git", "http-backend"],
        input=body,
        capture_output=True,
        env=env,
        check=False,
        cwd=state.root,  # never the process's working directory: a run may chdir
    )
    if proc.stderr:
        log.debug("git http-backend: %s", proc.stderr.decode(errors="replace").strip())
    head, sep, payload = proc.stdout.partition(b"\r\n\r\n")
    if not sep:
        head, sep, payload = proc.stdout.partition(b"\n\n")
    if not sep:
        return _text(500, "git http-backend failed")
    status, reply_headers = 200, {}
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.split()[0])
        elif key:
            reply_headers[key.strip()] = value.strip()
    return GitReply(status, payload, reply_headers, who)
