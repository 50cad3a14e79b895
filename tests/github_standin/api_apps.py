"""REST handlers a GitHub App calls with its JWT: itself, its installations, their tokens."""

from __future__ import annotations

from datetime import UTC, datetime

from .auth import JWT_ERROR, issue_installation_token
from .errors import ApiError, not_found
from .render import stamp
from .routing import Request, Response, page_response
from .state import App, Installation


def _app(req: Request) -> App:
    if req.who.kind != "app" or req.who.app_id not in req.state.apps:
        raise ApiError(401, JWT_ERROR)
    return req.state.apps[req.who.app_id]


def _installation(app: App, installation_id: str) -> Installation:
    try:
        return app.installations[int(installation_id)]
    except (KeyError, ValueError):
        raise not_found() from None


def get_app(req: Request) -> Response:
    """``GET /app``."""
    return Response(200, req.render.app(_app(req)))


def list_installations(req: Request) -> Response:
    """``GET /app/installations``."""
    app = _app(req)
    return page_response(req, list(app.installations.values()), req.render.installation)


def get_installation(req: Request, installation_id: str) -> Response:
    """``GET /app/installations/{id}``."""
    return Response(200, req.render.installation(_installation(_app(req), installation_id)))


def create_access_token(req: Request, installation_id: str) -> Response:
    """``POST /app/installations/{id}/access_tokens``: a token for REST and git, valid 1 h."""
    app = _app(req)
    inst = _installation(app, installation_id)
    who = issue_installation_token(req.state, app, inst)
    assert who.expires_at is not None
    expires = datetime.fromtimestamp(who.expires_at, UTC)
    body = {
        "token": who.token,
        "expires_at": stamp(expires),
        "permissions": {"contents": "write", "pull_requests": "write", "checks": "write"},
        "repository_selection": "selected",
    }
    return Response(201, body)


def repo_installation(req: Request, owner: str, name: str) -> Response:
    """``GET /repos/{o}/{r}/installation``: the calling app's installation covering the repo."""
    app = _app(req)
    full = f"{owner}/{name}".lower()
    for inst in app.installations.values():
        if full in {r.lower() for r in inst.repos}:
            return Response(200, req.render.installation(inst))
    raise not_found()


def account_installation(req: Request, login: str) -> Response:
    """``GET /orgs/{org}/installation`` and ``GET /users/{user}/installation``."""
    app = _app(req)
    for inst in app.installations.values():
        if inst.account.lower() == login.lower():
            return Response(200, req.render.installation(inst))
    raise not_found()


ROUTES = [
    ("GET", r"/app", get_app),
    ("GET", r"/app/installations", list_installations),
    ("GET", r"/app/installations/(?P<installation_id>\d+)", get_installation),
    ("POST", r"/app/installations/(?P<installation_id>\d+)/access_tokens", create_access_token),
    ("GET", r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/installation", repo_installation),
    ("GET", r"/orgs/(?P<login>[^/]+)/installation", account_installation),
    ("GET", r"/users/(?P<login>[^/]+)/installation", account_installation),
]
