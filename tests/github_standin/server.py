"""The stand-in server: HTTP on a loopback port, REST under ``/api/v3``, git beside it."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import shlex
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import api_apps, api_issues, api_protection, api_repos, api_reviews, githttp, tracker
from .api_graphql import GraphQL, QueryRecord
from .auth import RateLimiter, identify, public_key
from .errors import ApiError
from .faults import SECONDARY_MESSAGE, Fault, Faults, RequestRecord, Stall
from .gitstore import BareRepo
from .render import Renderer
from .routing import Request, Response, Router
from .state import (
    ANONYMOUS,
    App,
    CheckRun,
    Identity,
    Installation,
    Protection,
    Repo,
    State,
    Status,
    now,
)

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "ghp_standin_token"
DEFAULT_LOGIN = "hammurabi-bot"
API_PREFIX = "/api/v3"
#: Where GitHub Enterprise answers GraphQL (``/api/graphql`` beside ``/api/v3``).
GRAPHQL_PATH = "/api/graphql"


class GitHubStandIn:
    """A stateful GitHub (REST + git smart HTTP) on ``127.0.0.1``, for PyGithub and git.

    Use it as a context manager or call ``start()``/``stop()``. ``base_url`` is what
    ``github.Github(base_url=...)`` wants; ``clone_url("o/r")`` what ``git clone`` wants.
    """

    def __init__(
        self,
        root: Path,
        *,
        rate_limit: int = 5000,
        rate_window: int = 3600,
        graphql: bool = True,
    ) -> None:
        """``graphql=False``: an older GitHub Enterprise without the GraphQL API (404)."""
        root.mkdir(parents=True, exist_ok=True)
        self.state = State(root)
        self.limiter = RateLimiter(limit=rate_limit, window=rate_window)
        self.faults = Faults()
        self.stalls: list[Stall] = []
        self.router = Router()
        for method, pattern, handler in [
            *api_apps.ROUTES,
            *api_protection.ROUTES,  # before GET /branches/{b}, which would take "b/protection"
            *api_repos.ROUTES,
            *api_issues.ROUTES,
            *api_reviews.ROUTES,
        ]:
            self.router.route(method, pattern)(handler)
        self._log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.render = Renderer(self.state, "http://127.0.0.1:0")
        self.graphql: GraphQL | None = (
            GraphQL(self.state, "http://127.0.0.1:0") if graphql else None
        )

    # lifecycle

    def start(self) -> GitHubStandIn:
        """Listen on a free loopback port in a background thread."""
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.standin = self
        self.render = Renderer(self.state, f"http://127.0.0.1:{self.port}")
        if self.graphql is not None:
            self.graphql.web = self.web_url
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="github-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> GitHubStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """Return the port the server listens on."""
        assert self._httpd is not None, "start() the server first"
        return self._httpd.server_address[1]

    @property
    def web_url(self) -> str:
        """Return ``http://127.0.0.1:PORT`` (git and html URLs live here)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Return the REST base URL, ``http://127.0.0.1:PORT/api/v3``."""
        return f"{self.web_url}{API_PREFIX}"

    # accounts

    def add_token(self, token: str, login: str = DEFAULT_LOGIN) -> None:
        """Accept ``token`` (REST and git) as the user ``login``."""
        with self.state.lock:
            self.state.user(login, "User")
            self.state.tokens[token] = Identity(login=login, kind="user", token=token)

    def add_user(self, login: str, type: str = "User") -> None:
        """Make an account known (``User``, ``Organization`` or ``Bot``)."""
        self.state.user(login, type)  # type: ignore[arg-type]

    def add_app(
        self,
        app_id: int,
        key: Any,
        installations: Mapping[int, Iterable[str]] | None = None,
        *,
        slug: str = "hammurabi-app",
        owner: str | None = None,
    ) -> None:
        """Register a GitHub App whose RS256 JWTs ``key`` (private or public) verifies."""
        with self.state.lock:
            installs = {int(i): list(repos) for i, repos in (installations or {}).items()}
            first = next((r for repos in installs.values() for r in repos), f"{slug}/x")
            app = App(app_id, slug, owner or first.split("/")[0], public_key(key))
            for inst_id, repos in installs.items():
                account = repos[0].split("/")[0] if repos else app.owner
                self._known_owner(account)
                app.installations[inst_id] = Installation(inst_id, app_id, account, repos)
            self._known_owner(app.owner)
            self.state.user(f"{slug}[bot]", "Bot")
            self.state.apps[app_id] = app

    def set_rate_limit(self, limit: int, window: int = 3600) -> None:
        """Give every caller ``limit`` requests per ``window`` seconds, starting now."""
        self.limiter.configure(limit, window)

    # repositories

    def _known_owner(self, login: str) -> None:
        if login.lower() not in self.state.users:
            self.state.user(login, "Organization")

    def create_repo(
        self,
        full_name: str,
        files: Mapping[str, str | bytes] | None = None,
        *,
        default_branch: str = "main",
        archived: bool = False,
        topics: Iterable[str] = (),
        private: bool = False,
        collaborators: Iterable[str] = (),
        description: str | None = None,
        readers: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Create a bare repository whose first commit holds ``files``; return its REST JSON."""
        owner, name = full_name.split("/")
        with self.state.lock:
            if full_name.lower() in self.state.repos:
                raise ValueError(f"repository {full_name} exists")
            self._known_owner(owner)
            for login in collaborators:
                self.state.user(login)
            bare = BareRepo(self.state.root / owner / f"{name}.git")
            bare.init(default_branch)
            content = {"README.md": f"# {name}\n"} if files is None else files
            bare.commit_files(default_branch, content, "Initial commit")
            repo = Repo(
                id=self.state.next_id(),
                owner=owner,
                name=name,
                bare=bare,
                default_branch=default_branch,
                private=private,
                archived=archived,
                description=description,
                topics=list(topics),
                collaborators=list(collaborators),
                readers=list(readers),
            )
            self.state.repos[full_name.lower()] = repo
            return self.render.repo(repo)

    def repo(self, full_name: str) -> Repo:
        """Return the live model of a repository (hold ``state.lock`` to change it)."""
        return self.state.repo(full_name)

    def bare_path(self, full_name: str) -> Path:
        """Return the directory of a repository's bare git repository."""
        return self.repo(full_name).bare.path

    def clone_url(self, full_name: str, token: str | None = DEFAULT_TOKEN) -> str:
        """Return the smart-HTTP URL, with ``x-access-token:<token>@`` unless token is None."""
        creds = f"x-access-token:{token}@" if token else ""
        return f"http://{creds}127.0.0.1:{self.port}/{self.repo(full_name).full_name}.git"

    def commit(
        self,
        full_name: str,
        branch: str,
        files: Mapping[str, str | bytes | None],
        message: str = "Update files",
        *,
        start: str | None = None,
    ) -> str:
        """Commit on ``branch`` (created from ``start`` or the default branch) as if pushed."""
        with self.state.lock:
            repo = self.repo(full_name)
            parent = repo.bare.tip(branch) or repo.bare.resolve(start or repo.default_branch)
            sha = repo.bare.commit_files(branch, files, message, parent)
            tracker.sync(repo)
            return sha

    def delete_branch(self, full_name: str, branch: str) -> None:
        """Delete a branch as a push would (open pull requests from it close)."""
        with self.state.lock:
            repo = self.repo(full_name)
            repo.bare.delete_ref(f"refs/heads/{branch}")
            tracker.sync(repo)

    def reject_pushes(self, full_name: str, message: str | None = None) -> None:
        """Install a ``pre-receive`` hook that prints ``message`` (default GH006) and exits 1."""
        if message is None:
            script = (
                "while read old new ref; do\n"
                '  echo "error: GH006: Protected branch update failed for $ref." >&2\n'
                "done\n"
            )
        else:
            script = f"cat >/dev/null\nprintf '%s\\n' {shlex.quote(message)} >&2\n"
        self.repo(full_name).bare.set_pre_receive(f"#!/bin/sh\n{script}exit 1\n")

    def accept_pushes(self, full_name: str) -> None:
        """Remove the rejecting ``pre-receive`` hook."""
        self.repo(full_name).bare.set_pre_receive(None)

    def open_pull(
        self,
        full_name: str,
        head: str,
        base: str | None = None,
        title: str = "Stand-in pull request",
        body: str | None = None,
        *,
        user: str = DEFAULT_LOGIN,
        draft: bool = False,
    ) -> dict[str, Any]:
        """Open a pull request directly (same rules as the API); return its REST JSON."""
        with self.state.lock:
            repo = self.repo(full_name)
            issue = tracker.create_pull(
                self.state,
                repo,
                user,
                head=head,
                base=base or repo.default_branch,
                title=title,
                body=body,
                draft=draft,
            )
            return self.render.pull(repo, issue)

    def close_pull(self, full_name: str, number: int) -> None:
        """Close a pull request without merging it, as a reviewer would."""
        with self.state.lock:
            repo = self.repo(full_name)
            tracker.edit_issue(repo, repo.pull(number), {"state": "closed"})

    def label(self, full_name: str, number: int, *labels: str) -> None:
        """Add labels to an issue or pull request (open or closed), as a reviewer would."""
        with self.state.lock:
            repo = self.repo(full_name)
            tracker.add_labels(self.state, repo, repo.issue(number), list(labels))

    def review(
        self, full_name: str, number: int, user: str, event: str | None, body: str = ""
    ) -> dict[str, Any]:
        """Review a pull request as ``user`` would (same rules as the API); return its JSON.

        ``event`` is ``APPROVE``, ``REQUEST_CHANGES``, ``COMMENT`` or None (pending)."""
        with self.state.lock:
            repo = self.repo(full_name)
            tracker.sync(repo)
            issue = repo.pull(number)
            payload = {"body": body} if event is None else {"body": body, "event": event}
            review = api_reviews.create(self.state, repo, issue, user, payload)
            return self.render.review(repo, review)

    def reviews(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """Return every review of a pull request (pending ones too), oldest first."""
        with self.state.lock:
            repo = self.repo(full_name)
            found = [r for r in repo.reviews.values() if r.number == number]
            return [self.render.review(repo, r) for r in found]

    # continuous integration and branch protection, as CI and admins would set them

    def set_status(
        self,
        full_name: str,
        sha: str,
        context: str,
        state: str,
        *,
        creator: str = "ci-bot",
        description: str | None = None,
    ) -> None:
        """Record a commit status on ``sha`` (``success``, ``failure``, ``error``, ``pending``)."""
        with self.state.lock:
            repo = self.repo(full_name)
            stamp = now()
            repo.statuses.append(
                Status(
                    self.state.next_id(),
                    sha,
                    state,
                    context,
                    description,
                    None,
                    creator,
                    stamp,
                    stamp,
                )
            )

    def set_check_run(
        self,
        full_name: str,
        sha: str,
        name: str,
        status: str = "completed",
        conclusion: str | None = "success",
        *,
        app_id: int | None = None,
    ) -> int:
        """Record a check run on ``sha`` (as a CI app would); return its id."""
        with self.state.lock:
            repo = self.repo(full_name)
            stamp = now()
            run = CheckRun(
                self.state.next_id(),
                app_id,
                sha,
                name,
                status,
                conclusion if status == "completed" else None,
                None,
                None,
                {},
                stamp,
                stamp if status == "completed" else None,
            )
            repo.check_runs[run.id] = run
            return run.id

    def protect(
        self,
        full_name: str,
        branch: str | None = None,
        *,
        checks: Iterable[str] | None = None,
        strict: bool = False,
        approvals: int | None = None,
        dismiss_stale_reviews: bool = False,
        enforce_admins: bool = False,
    ) -> None:
        """Protect ``branch`` (default: the default branch) as an admin would: required checks
        (``checks``, None for none), required approving reviews, ``enforce_admins``."""
        with self.state.lock:
            repo = self.repo(full_name)
            repo.protections[branch or repo.default_branch] = Protection(
                checks=[(c, None) for c in checks or ()],
                require_checks=checks is not None,
                strict=strict,
                approvals=approvals,
                dismiss_stale_reviews=dismiss_stale_reviews,
                enforce_admins=enforce_admins,
            )

    def configure_repo(self, full_name: str, **settings: Any) -> None:
        """Change repository settings (``allow_squash_merge``, ``delete_branch_on_merge``,
        ``admins`` ...)."""
        with self.state.lock:
            repo = self.repo(full_name)
            for key, value in settings.items():
                if not hasattr(repo, key):
                    raise AttributeError(key)
                setattr(repo, key, value)

    # state accessors

    def branches(self, full_name: str) -> dict[str, str]:
        """Return ``{branch: tip sha}`` read live from the bare repository."""
        return self.repo(full_name).bare.branches()

    def branch_sha(self, full_name: str, branch: str) -> str | None:
        """Return a branch tip, or None."""
        return self.branches(full_name).get(branch)

    def pulls(self, full_name: str, state: str = "all") -> list[dict[str, Any]]:
        """Return the pull requests (REST JSON, oldest first) in ``state`` open/closed/all."""
        with self.state.lock:
            repo = self.repo(full_name)
            tracker.sync(repo)
            tips = repo.bare.branches()
            return [
                self.render.pull(repo, i, tips)
                for i in sorted(repo.issues.values(), key=lambda i: i.number)
                if i.pull and state in ("all", i.state)
            ]

    def pull(self, full_name: str, number: int) -> dict[str, Any]:
        """Return one pull request as REST JSON."""
        with self.state.lock:
            repo = self.repo(full_name)
            tracker.sync(repo)
            return self.render.pull(repo, repo.pull(number))

    def issue(self, full_name: str, number: int) -> dict[str, Any]:
        """Return one issue (or pull request) as the issues API shows it."""
        with self.state.lock:
            repo = self.repo(full_name)
            return self.render.issue(repo, repo.issue(number))

    def comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """Return the comments of an issue or pull request, oldest first."""
        with self.state.lock:
            repo = self.repo(full_name)
            return [self.render.comment(repo, c) for c in tracker.issue_comments(repo, number)]

    def labels(self, full_name: str, number: int | None = None) -> list[str]:
        """Return label names on issue ``number``, or every label of the repository."""
        with self.state.lock:
            repo = self.repo(full_name)
            if number is None:
                return [label.name for label in repo.labels.values()]
            return [repo.labels[k].name for k in repo.issue(number).labels]

    def statuses(self, full_name: str, sha: str | None = None) -> list[dict[str, Any]]:
        """Return commit statuses (of one sha, or all), oldest first."""
        with self.state.lock:
            repo = self.repo(full_name)
            return [self.render.status(repo, s) for s in repo.statuses if sha in (None, s.sha)]

    def check_runs(self, full_name: str) -> list[dict[str, Any]]:
        """Return every check run of a repository."""
        with self.state.lock:
            repo = self.repo(full_name)
            return [self.render.check_run(repo, r) for r in repo.check_runs.values()]

    # faults and the request log

    def inject(
        self,
        method: str | None = None,
        path: str = r".",
        status: int = 502,
        *,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Fault:
        """Answer the next ``times`` requests matching ``method`` and ``path`` (regex searched
        in the path relative to ``/api/v3``, or the git path) with ``status``."""
        fault = Fault(method, re.compile(path), status, times, dict(headers or {}), body)
        return self.faults.add(fault)

    def stall(self, method: str, path: str, seconds: float = 30.0) -> Stall:
        """Hold git requests matching ``method`` and ``path`` (a slow network) until released
        or ``seconds`` pass; the returned stall tells when the first one arrived."""
        stall = Stall(method, re.compile(path), seconds)
        self.stalls.append(stall)
        return stall

    def inject_rate_limit(
        self,
        method: str | None = None,
        path: str = r".",
        *,
        secondary: bool = True,
        retry_after: int | None = 1,
        reset_in: int = 1,
        times: int | None = 1,
    ) -> Fault:
        """Answer with GitHub's 403 secondary (``Retry-After``) or primary (reset) rate limit."""
        if secondary:
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            body = {"message": SECONDARY_MESSAGE}
        else:
            reset = int(time.time()) + reset_in
            headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
            body = {"message": "API rate limit exceeded for user ID 1."}
        return self.inject(method, path, 403, times=times, headers=headers, body=body)

    @property
    def requests(self) -> list[RequestRecord]:
        """Return every answered request, oldest first."""
        with self._log_lock:
            return list(self._log)

    def writes(self) -> list[RequestRecord]:
        """Return the REST requests that were not GET or HEAD (GraphQL queries read: they
        are POSTs, and the stand-in has no mutations)."""
        return [
            r
            for r in self.requests
            if r.api and r.method not in ("GET", "HEAD") and r.path != "/graphql"
        ]

    def requests_matching(self, method: str | None, path: str) -> list[RequestRecord]:
        """Return the requests with ``method`` (None: any) whose path matches regex ``path``."""
        pattern = re.compile(path)
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and pattern.search(r.path)
        ]

    def clear_requests(self) -> None:
        """Forget the request log (and the GraphQL queries')."""
        with self._log_lock:
            self._log.clear()
            if self.graphql is not None:
                self.graphql.log.clear()

    # request handling

    def answer(
        self, method: str, target: str, headers: dict[str, str], raw: bytes, client: str
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request (REST or git) and log it before the client sees the reply."""
        url = urlsplit(target)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        path, body, api = url.path, None, False
        if path == API_PREFIX or path.startswith(f"{API_PREFIX}/"):
            path, body, api = path[len(API_PREFIX) :] or "/", _json_or_none(raw), True
            response, who = self.handle_api(method, path, query, headers, raw, client)
            payload = b"" if response.body is None else json.dumps(response.body).encode()
            status = response.status
            reply_headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
        elif path == GRAPHQL_PATH and self.graphql is not None:
            path, body, api = "/graphql", _json_or_none(raw), True
            response, who = self.handle_graphql(method, headers, raw)
            payload = json.dumps(response.body).encode()
            status = response.status
            reply_headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
        elif githttp.is_git_path(path):
            for stall in list(self.stalls):
                stall.hold(method, path)
            fault = self.faults.take(method, path)
            if fault is not None:
                reply = githttp.GitReply(fault.status, b"", dict(fault.headers))
            else:
                reply = githttp.serve(self.state, method, path, url.query, headers, raw)
            status, reply_headers, payload = reply.status, reply.headers, reply.body
            who = reply.who or ANONYMOUS
        else:
            status, reply_headers, payload = 404, {"Content-Type": "text/plain"}, b"Not Found\n"
            who = ANONYMOUS
        record = RequestRecord(
            method, path, query, status, body, api, who.login or None, dict(headers)
        )
        with self._log_lock:
            self._log.append(record)
        return status, reply_headers, payload

    def handle_api(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        raw: bytes,
        client: str,
    ) -> tuple[Response, Identity]:
        """Answer one REST request: faults, credentials, rate limit, then the route."""
        body = _json_or_none(raw)
        who, budget = ANONYMOUS, None
        fault = self.faults.take(method, path)
        try:
            who = identify(self.state, headers.get("authorization"))
            if fault is not None:
                response = Response(fault.status, fault.response_body(), dict(fault.headers))
            elif method == "GET" and headers.get("if-none-match"):
                response, budget = self._conditional(path, query, who, headers, client)
            else:
                budget = self._spend(who, path, client)
                if raw.strip() and body is None:
                    raise ApiError(400, "Problems parsing JSON")
                request = Request(method, path, query, body, who, self.state, self.render, budget)
                with self.state.lock:
                    response = self.router.dispatch(request)
                if method == "GET" and response.status == 200:
                    response.headers["ETag"] = _etag(response, who)
        except ApiError as error:
            response = Response(error.status, error.body(), dict(error.headers))
            if fault is not None:
                response = Response(fault.status, fault.response_body(), dict(fault.headers))
        except Exception:
            log.exception("stand-in failed on %s %s", method, path)
            response = Response(500, {"message": "Server Error"})
        budget = budget or self.limiter.budget(who, client)
        response.headers = {**RateLimiter.headers(budget), **response.headers}
        return response, who

    def handle_graphql(
        self, method: str, headers: dict[str, str], raw: bytes
    ) -> tuple[Response, Identity]:
        """Answer one GraphQL request (POST only; faults apply as to REST paths)."""
        assert self.graphql is not None
        who = ANONYMOUS
        fault = self.faults.take(method, "/graphql")
        try:
            who = identify(self.state, headers.get("authorization"))
        except ApiError as error:
            return Response(error.status, error.body(), dict(error.headers)), who
        if fault is not None:
            return Response(fault.status, fault.response_body(), dict(fault.headers)), who
        if method != "POST":
            return Response(404, {"message": "Not Found"}), who
        try:
            status, body = self.graphql.answer(who, _json_or_none(raw))
        except Exception:
            log.exception("stand-in failed on a GraphQL query")
            status, body = 500, {"message": "Server Error"}
        points = self.graphql.points.get(who.token or who.login)
        limits = {}
        if points is not None:
            limits = {
                "X-RateLimit-Limit": str(points.limit),
                "X-RateLimit-Remaining": str(points.limit - points.used),
                "X-RateLimit-Used": str(points.used),
                "X-RateLimit-Reset": str(int(points.reset)),
                "X-RateLimit-Resource": "graphql",
            }
        return Response(status, body, limits), who

    @property
    def graphql_queries(self) -> list[QueryRecord]:
        """Return the GraphQL queries answered (cost, nodes, aliases, errors), oldest first."""
        return list(self.graphql.log) if self.graphql is not None else []

    def _conditional(
        self, path: str, query: dict[str, str], who: Identity, headers: dict[str, str], client: str
    ) -> tuple[Response, Any]:
        """Answer a GET with ``If-None-Match``: 304 (free, as on GitHub) while the ETag holds."""
        budget = self.limiter.budget(who, client)
        request = Request("GET", path, query, None, who, self.state, self.render, budget)
        with self.state.lock:
            response = self.router.dispatch(request)
        if response.status != 200:
            return response, self._spend(who, path, client)
        tag = _etag(response, who)
        wanted = {t.strip() for t in headers["if-none-match"].split(",")}
        if tag in wanted or tag.removeprefix("W/") in wanted or "*" in wanted:
            return Response(304, None, {"ETag": tag}), budget
        budget = self._spend(who, path, client)
        response.headers["ETag"] = tag
        return response, budget

    def _spend(self, who: Identity, path: str, client: str) -> Any:
        """Spend one request of the caller's budget (``/rate_limit`` is free)."""
        if path == "/rate_limit":
            return self.limiter.budget(who, client)
        user = self.state.users.get(who.login.lower())
        return self.limiter.take(who, client, user.id if user else None)


def _etag(response: Response, who: Identity) -> str:
    """A weak ETag of a JSON answer for this caller (GitHub varies them by credentials)."""
    data = json.dumps(response.body, sort_keys=True).encode() + who.login.encode()
    return f'W/"{hashlib.sha256(data).hexdigest()[:40]}"'


def _json_or_none(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    standin: GitHubStandIn


class _Handler(BaseHTTPRequestHandler):
    """Read one HTTP request, route it to git or the REST API, write the answer."""

    protocol_version = "HTTP/1.1"
    server_version = "GitHubStandIn/1.0"
    timeout = 60
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            data = b"".join(chunks)
        else:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding", "").lower() in ("gzip", "x-gzip"):
            data = gzip.decompress(data)
        return data

    def _handle(self) -> None:
        raw = self._body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, reply_headers, payload = self.server.standin.answer(
            self.command, self.path, headers, raw, self.client_address[0]
        )
        self._send(status, reply_headers, payload)

    def _send(self, status: int, headers: Mapping[str, str], payload: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _handle
