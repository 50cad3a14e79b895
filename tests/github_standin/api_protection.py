"""REST handlers for branch protection: required status checks and required reviews."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .errors import ApiError, not_found
from .routing import Request, Response
from .state import Protection, Repo

R = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/branches/(?P<branch>.+)/protection"
#: The keys GitHub requires in a PUT (each may be null).
REQUIRED_KEYS = (
    "required_status_checks",
    "enforce_admins",
    "required_pull_request_reviews",
    "restrictions",
)


def _branch(req: Request, owner: str, name: str, branch: str, write: bool = False) -> Repo:
    repo = req.state.repo_for(req.who, f"{owner}/{name}", write=write)
    if repo.bare.tip(branch) is None:
        raise not_found("Branch not found")
    if not repo.may_write(req.who):  # protection is only shown to people who may push
        raise not_found()
    return repo


def _rule(repo: Repo, branch: str) -> Protection:
    rule = repo.protections.get(branch)
    if rule is None:
        raise not_found("Branch not protected")
    return rule


def _render(req: Request, repo: Repo, branch: str, rule: Protection) -> dict[str, Any]:
    url = f"{req.render.repo_api(repo)}/branches/{quote(branch, safe='')}/protection"
    data: dict[str, Any] = {
        "url": url,
        "enforce_admins": {"url": f"{url}/enforce_admins", "enabled": rule.enforce_admins},
        "required_linear_history": {"enabled": False},
        "allow_force_pushes": {"enabled": False},
        "allow_deletions": {"enabled": False},
        "required_conversation_resolution": {"enabled": False},
    }
    if rule.require_checks:
        data["required_status_checks"] = _checks(url, rule)
    if rule.approvals is not None:
        data["required_pull_request_reviews"] = _reviews(url, rule)
    return data


def _checks(url: str, rule: Protection) -> dict[str, Any]:
    return {
        "url": f"{url}/required_status_checks",
        "strict": rule.strict,
        "contexts": [context for context, _ in rule.checks],
        "contexts_url": f"{url}/required_status_checks/contexts",
        "checks": [{"context": context, "app_id": app} for context, app in rule.checks],
    }


def _reviews(url: str, rule: Protection) -> dict[str, Any]:
    return {
        "url": f"{url}/required_pull_request_reviews",
        "dismiss_stale_reviews": rule.dismiss_stale_reviews,
        "require_code_owner_reviews": False,
        "required_approving_review_count": rule.approvals,
        "require_last_push_approval": False,
    }


def _invalid(message: str) -> ApiError:
    return ApiError(422, f"Invalid request.\n\n{message}")


def parse(body: dict[str, Any]) -> Protection:
    """Read a ``PUT .../protection`` body as GitHub validates it."""
    for key in REQUIRED_KEYS:
        if key not in body:
            raise _invalid(f'"{key}" wasn\'t supplied.')
    rule = Protection(enforce_admins=bool(body["enforce_admins"]))
    checks = body["required_status_checks"]
    if checks is not None:
        if not isinstance(checks, dict) or not isinstance(checks.get("strict"), bool):
            raise _invalid('"strict" wasn\'t supplied.')
        rule.require_checks, rule.strict = True, checks["strict"]
        if isinstance(checks.get("checks"), list):
            rule.checks = [(str(c["context"]), c.get("app_id")) for c in checks["checks"]]
        elif isinstance(checks.get("contexts"), list):
            rule.checks = [(str(c), None) for c in checks["contexts"]]
        else:
            raise _invalid('"contexts" wasn\'t supplied.')
    reviews = body["required_pull_request_reviews"]
    if reviews is not None:
        if not isinstance(reviews, dict):
            raise _invalid("For 'properties/required_pull_request_reviews', is not an object.")
        count = reviews.get("required_approving_review_count", 1)
        if not isinstance(count, int) or not 0 <= count <= 6:
            raise _invalid("required_approving_review_count must be between 0 and 6")
        rule.approvals = count
        rule.dismiss_stale_reviews = bool(reviews.get("dismiss_stale_reviews"))
    return rule


def get_protection(req: Request, owner: str, name: str, branch: str) -> Response:
    """``GET .../branches/{b}/protection``: 404 "Branch not protected" when it is not."""
    repo = _branch(req, owner, name, branch)
    return Response(200, _render(req, repo, branch, _rule(repo, branch)))


def put_protection(req: Request, owner: str, name: str, branch: str) -> Response:
    """``PUT .../branches/{b}/protection``: replace the branch's rules."""
    repo = _branch(req, owner, name, branch, write=True)
    rule = parse(req.json_dict())
    repo.protections[branch] = rule
    return Response(200, _render(req, repo, branch, rule))


def delete_protection(req: Request, owner: str, name: str, branch: str) -> Response:
    """``DELETE .../branches/{b}/protection``."""
    repo = _branch(req, owner, name, branch, write=True)
    _rule(repo, branch)
    del repo.protections[branch]
    return Response(204)


def get_required_checks(req: Request, owner: str, name: str, branch: str) -> Response:
    """``GET .../protection/required_status_checks``."""
    repo = _branch(req, owner, name, branch)
    rule = _rule(repo, branch)
    if not rule.require_checks:
        raise not_found("Required status checks not enabled")
    url = f"{req.render.repo_api(repo)}/branches/{quote(branch, safe='')}/protection"
    return Response(200, _checks(url, rule))


def get_required_reviews(req: Request, owner: str, name: str, branch: str) -> Response:
    """``GET .../protection/required_pull_request_reviews``."""
    repo = _branch(req, owner, name, branch)
    rule = _rule(repo, branch)
    if rule.approvals is None:
        raise not_found("Required pull request reviews not enabled")
    url = f"{req.render.repo_api(repo)}/branches/{quote(branch, safe='')}/protection"
    return Response(200, _reviews(url, rule))


ROUTES = [
    ("GET", R + "/required_status_checks", get_required_checks),
    ("GET", R + "/required_pull_request_reviews", get_required_reviews),
    ("GET", R, get_protection),
    ("PUT", R, put_protection),
    ("DELETE", R, delete_protection),
]
