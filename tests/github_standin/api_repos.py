"""REST handlers for accounts, repositories, search, branches, refs, commits and checks."""

from __future__ import annotations

from typing import Any

from . import tracker
from .errors import ApiError, invalid, not_found
from .routing import Request, Response, page_response, paginate
from .state import CheckRun, Repo, Status, now

R = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
STATUS_STATES = ("error", "failure", "pending", "success")


def _repo(req: Request, owner: str, name: str, write: bool = False) -> Repo:
    return req.state.repo_for(req.who, f"{owner}/{name}", write=write)


def _commit_sha(repo: Repo, ref: str) -> str:
    sha = repo.bare.resolve(ref)
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {ref}")
    return sha


def get_authenticated_user(req: Request) -> Response:
    """``GET /user``."""
    if not req.who.authenticated:
        raise ApiError(401, "Requires authentication")
    if req.who.kind != "user":
        raise ApiError(403, "Resource not accessible by integration")
    return Response(200, req.render.user(req.who.login))


def get_user(req: Request, login: str) -> Response:
    """``GET /users/{login}``."""
    return Response(200, req.render.user(req.state.find_user(login).login))


def get_org(req: Request, login: str) -> Response:
    """``GET /orgs/{org}``."""
    user = req.state.find_user(login)
    if user.type != "Organization":
        raise not_found()
    return Response(200, req.render.user(user.login))


def get_rate_limit(req: Request) -> Response:
    """``GET /rate_limit`` (it does not spend the budget)."""
    b = req.budget
    core = {
        "limit": b.limit,
        "remaining": b.remaining,
        "reset": b.reset,
        "used": b.limit - b.remaining,
    }
    search = {**core, "limit": 30, "remaining": 30, "used": 0}
    return Response(
        200, {"resources": {"core": core, "search": search, "graphql": core}, "rate": core}
    )


def _repo_list(req: Request, repos: list[Repo], default_sort: str) -> Response:
    kind = req.param("type", "all")
    if kind in ("public", "private"):
        repos = [r for r in repos if r.private == (kind == "private")]
    sort = req.param("sort", default_sort)
    if sort == "full_name":
        repos.sort(key=lambda r: r.full_name.lower())
    elif sort in ("updated", "pushed"):
        repos.sort(key=lambda r: (r.pushed_at, r.id))
    else:
        repos.sort(key=lambda r: r.id)
    if req.param("direction", "asc" if sort == "full_name" else "desc") == "desc":
        repos.reverse()
    return page_response(req, repos, req.render.repo)


def list_owner_repos(req: Request, login: str) -> Response:
    """``GET /orgs/{org}/repos`` and ``GET /users/{user}/repos``."""
    req.state.find_user(login)
    repos = [r for r in req.state.visible_repos(req.who) if r.owner.lower() == login.lower()]
    return _repo_list(req, repos, "created")


def list_my_repos(req: Request) -> Response:
    """``GET /user/repos``: repositories the caller owns or collaborates on."""
    get_authenticated_user(req)
    me = req.who.login
    repos = [r for r in req.state.visible_repos(req.who) if r.is_collaborator(me)]
    return _repo_list(req, repos, "full_name")


def list_installation_repos(req: Request) -> Response:
    """``GET /installation/repositories``."""
    if req.who.kind != "installation" or req.who.repos is None:
        raise ApiError(403, "This endpoint requires you to be authenticated as an installation.")
    repos = [r for r in req.state.repos.values() if r.full_name.lower() in req.who.repos]
    chunk, headers = paginate(req, repos)
    body = {"total_count": len(repos), "repositories": [req.render.repo(r) for r in chunk]}
    return Response(200, body, headers)


def _matches(repo: Repo, term: str) -> bool:
    key, sep, value = term.partition(":")
    value = value.lower()
    if not sep:
        return term.lower() in f"{repo.name} {repo.description or ''}".lower()
    if key in ("org", "user"):
        return repo.owner.lower() == value
    if key == "topic":
        return value in [t.lower() for t in repo.topics]
    if key == "archived":
        return repo.archived == (value == "true")
    if key == "is":
        return value not in ("public", "private") or repo.private == (value == "private")
    if key == "repo":
        return repo.full_name.lower() == value
    return True  # qualifiers the stand-in does not model (fork:, in:, language: ...)


def search_repos(req: Request) -> Response:
    """``GET /search/repositories?q=org:X topic:Y archived:false ...``."""
    query = req.param("q")
    if not query:
        raise invalid("Search", "q", "missing")
    terms = query.split()
    repos = [r for r in req.state.visible_repos(req.who) if all(_matches(r, t) for t in terms)]
    if req.param("sort") == "updated":
        repos.sort(key=lambda r: (r.pushed_at, r.id), reverse=req.param("order", "desc") == "desc")
    chunk, headers = paginate(req, repos)
    items = [{**req.render.repo(r), "score": 1.0} for r in chunk]
    body = {"total_count": len(repos), "incomplete_results": False, "items": items}
    return Response(200, body, headers)


def get_repo(req: Request, owner: str, name: str) -> Response:
    """``GET /repos/{owner}/{repo}``."""
    return Response(200, req.render.repo(_repo(req, owner, name), req.who))


def get_topics(req: Request, owner: str, name: str) -> Response:
    """``GET /repos/{owner}/{repo}/topics``."""
    return Response(200, {"names": list(_repo(req, owner, name).topics)})


def put_topics(req: Request, owner: str, name: str) -> Response:
    """``PUT /repos/{owner}/{repo}/topics``."""
    repo = _repo(req, owner, name, write=True)
    names = req.json_dict().get("names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise invalid("Repository", "names")
    repo.topics = [n.lower() for n in names]
    return Response(200, {"names": list(repo.topics)})


def list_branches(req: Request, owner: str, name: str) -> Response:
    """``GET /repos/{owner}/{repo}/branches``."""
    repo = _repo(req, owner, name)
    tips = sorted(repo.bare.branches().items())
    chunk, headers = paginate(req, tips)
    body = [
        {
            "name": b,
            "commit": {"sha": s, "url": f"{req.render.repo_api(repo)}/commits/{s}"},
            "protected": b in repo.protections,
        }
        for b, s in chunk
    ]
    return Response(200, body, headers)


def get_branch(req: Request, owner: str, name: str, branch: str) -> Response:
    """``GET /repos/{owner}/{repo}/branches/{branch}``, read live from the bare repository."""
    repo = _repo(req, owner, name)
    sha = repo.bare.tip(branch)
    if sha is None:
        raise not_found("Branch not found")
    return Response(200, req.render.branch(repo, branch, sha))


def _refs(repo: Repo) -> dict[str, str]:
    return {
        n: s for n, s in repo.bare.refs().items() if n.startswith(("refs/heads/", "refs/tags/"))
    }


def get_ref(req: Request, owner: str, name: str, ref: str) -> Response:
    """``GET /repos/{owner}/{repo}/git/ref/{ref}``: one exact reference."""
    repo = _repo(req, owner, name)
    sha = _refs(repo).get(f"refs/{ref}")
    if sha is None:
        raise not_found()
    return Response(200, req.render.ref(repo, f"refs/{ref}", sha))


def match_refs(req: Request, owner: str, name: str, ref: str = "") -> Response:
    """``GET /repos/{owner}/{repo}/git/refs[/{ref}]``: exact match object, else prefix list."""
    repo = _repo(req, owner, name)
    refs = _refs(repo)
    full = f"refs/{ref}" if ref else "refs/"
    if ref and full in refs:
        return Response(200, req.render.ref(repo, full, refs[full]))
    found = sorted((r, s) for r, s in refs.items() if r.startswith(full.rstrip("/") + "/"))
    if ref and not found:
        raise not_found()
    return page_response(req, found, lambda item: req.render.ref(repo, *item))


def create_ref(req: Request, owner: str, name: str) -> Response:
    """``POST /repos/{owner}/{repo}/git/refs`` with ``{"ref", "sha"}``."""
    repo = _repo(req, owner, name, write=True)
    body = req.json_dict()
    ref, sha = body.get("ref"), body.get("sha")
    if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if not isinstance(sha, str) or repo.bare.resolve(sha) != sha:
        raise ApiError(422, "Object does not exist")
    if ref in _refs(repo):
        raise ApiError(422, "Reference already exists")
    repo.bare.update_ref(ref, sha)
    headers = {"Location": f"{req.render.repo_api(repo)}/git/{ref}"}
    return Response(201, req.render.ref(repo, ref, sha), headers)


def update_ref(req: Request, owner: str, name: str, ref: str) -> Response:
    """``PATCH /repos/{owner}/{repo}/git/refs/{ref}`` with ``{"sha", "force"}``."""
    repo = _repo(req, owner, name, write=True)
    body = req.json_dict()
    full, sha = f"refs/{ref}", body.get("sha")
    old = _refs(repo).get(full)
    if old is None:
        raise ApiError(422, "Reference does not exist")
    if not isinstance(sha, str) or repo.bare.resolve(sha) != sha:
        raise ApiError(422, "Object does not exist")
    if not body.get("force") and not repo.bare.is_ancestor(old, sha):
        raise ApiError(422, "Update is not a fast forward")
    repo.bare.update_ref(full, sha, old)
    tracker.sync(repo)
    return Response(200, req.render.ref(repo, full, sha))


def delete_ref(req: Request, owner: str, name: str, ref: str) -> Response:
    """``DELETE /repos/{owner}/{repo}/git/refs/{ref}``: really deletes it (open pulls close)."""
    repo = _repo(req, owner, name, write=True)
    full = f"refs/{ref}"
    if full not in _refs(repo):
        raise ApiError(422, "Reference does not exist")
    repo.bare.delete_ref(full)
    tracker.sync(repo)
    return Response(204)


def get_commit(req: Request, owner: str, name: str, ref: str) -> Response:
    """``GET /repos/{owner}/{repo}/commits/{ref}``."""
    repo = _repo(req, owner, name)
    return Response(200, req.render.commit(repo, _commit_sha(repo, ref)))


def create_status(req: Request, owner: str, name: str, sha: str) -> Response:
    """``POST /repos/{owner}/{repo}/statuses/{sha}``."""
    repo = _repo(req, owner, name, write=True)
    full_sha = _commit_sha(repo, sha)
    body = req.json_dict()
    if body.get("state") not in STATUS_STATES:
        raise invalid("Status", "state")
    stamp = now()
    status = Status(
        id=req.state.next_id(),
        sha=full_sha,
        state=body["state"],
        context=body.get("context") or "default",
        description=body.get("description"),
        target_url=body.get("target_url"),
        creator=req.who.login,
        created_at=stamp,
        updated_at=stamp,
    )
    repo.statuses.append(status)
    return Response(201, req.render.status(repo, status))


def _latest_statuses(repo: Repo, sha: str) -> list[Status]:
    latest: dict[str, Status] = {}
    for status in repo.statuses:
        if status.sha == sha:
            latest[status.context] = status
    return list(latest.values())


def list_statuses(req: Request, owner: str, name: str, ref: str) -> Response:
    """``GET /repos/{owner}/{repo}/commits/{ref}/statuses`` (newest first)."""
    repo = _repo(req, owner, name)
    sha = _commit_sha(repo, ref)
    found = [s for s in reversed(repo.statuses) if s.sha == sha]
    return page_response(req, found, lambda s: req.render.status(repo, s))


def combined_status(req: Request, owner: str, name: str, ref: str) -> Response:
    """``GET /repos/{owner}/{repo}/commits/{ref}/status``."""
    repo = _repo(req, owner, name)
    sha = _commit_sha(repo, ref)
    latest = _latest_statuses(repo, sha)
    states = {s.state for s in latest}
    if states & {"error", "failure"}:
        overall = "failure"
    elif not latest or "pending" in states:
        overall = "pending"
    else:
        overall = "success"
    body = {
        "state": overall,
        "sha": sha,
        "total_count": len(latest),
        "statuses": [req.render.status(repo, s) for s in latest],
        "repository": req.render.repo(repo),
        "commit_url": f"{req.render.repo_api(repo)}/commits/{sha}",
        "url": f"{req.render.repo_api(repo)}/commits/{sha}/status",
    }
    return Response(200, body)


def _check_fields(run: CheckRun, body: dict[str, Any]) -> None:
    if "status" in body:
        if body["status"] not in ("queued", "in_progress", "completed"):
            raise invalid("CheckRun", "status")
        run.status = body["status"]
    for attr in ("conclusion", "details_url", "external_id", "name"):
        if attr in body:
            setattr(run, attr, body[attr])
    if isinstance(body.get("output"), dict):
        run.output = {k: body["output"].get(k) for k in ("title", "summary", "text")}
    if run.conclusion and run.status != "completed":
        run.status = "completed"
    if run.status == "completed":
        if not run.conclusion:
            raise invalid("CheckRun", "conclusion", "missing_field")
        run.completed_at = run.completed_at or now()


def create_check_run(req: Request, owner: str, name: str) -> Response:
    """``POST /repos/{owner}/{repo}/check-runs``: only GitHub App installations may."""
    repo = _repo(req, owner, name, write=True)
    if req.who.kind != "installation":
        raise ApiError(403, "You must authenticate via a GitHub App.")
    body = req.json_dict()
    if not body.get("name"):
        raise invalid("CheckRun", "name", "missing_field")
    sha = _commit_sha(repo, str(body.get("head_sha") or ""))
    run = CheckRun(
        id=req.state.next_id(),
        app_id=req.who.app_id,
        head_sha=sha,
        name=body["name"],
        status="queued",
        conclusion=None,
        details_url=None,
        external_id=None,
        output={},
        started_at=now(),
        completed_at=None,
    )
    _check_fields(run, body)
    repo.check_runs[run.id] = run
    return Response(201, req.render.check_run(repo, run))


def _check_run(repo: Repo, run_id: str) -> CheckRun:
    try:
        return repo.check_runs[int(run_id)]
    except (KeyError, ValueError):
        raise not_found() from None


def get_check_run(req: Request, owner: str, name: str, run_id: str) -> Response:
    """``GET /repos/{owner}/{repo}/check-runs/{id}``."""
    repo = _repo(req, owner, name)
    return Response(200, req.render.check_run(repo, _check_run(repo, run_id)))


def update_check_run(req: Request, owner: str, name: str, run_id: str) -> Response:
    """``PATCH /repos/{owner}/{repo}/check-runs/{id}``."""
    repo = _repo(req, owner, name, write=True)
    run = _check_run(repo, run_id)
    if req.who.kind != "installation" or req.who.app_id != run.app_id:
        raise ApiError(403, "You must authenticate via a GitHub App.")
    _check_fields(run, req.json_dict())
    return Response(200, req.render.check_run(repo, run))


def list_check_runs(req: Request, owner: str, name: str, ref: str) -> Response:
    """``GET /repos/{owner}/{repo}/commits/{ref}/check-runs``: ``check_name``, ``status``,
    ``app_id`` and ``filter`` (``latest``, the default: the newest run per name and app)."""
    repo = _repo(req, owner, name)
    sha = _commit_sha(repo, ref)
    runs = sorted((r for r in repo.check_runs.values() if r.head_sha == sha), key=lambda r: r.id)
    kind = req.param("filter", "latest")
    if kind not in ("latest", "all"):
        raise invalid("CheckRun", "filter")
    if kind == "latest":
        runs = list({(r.name, r.app_id): r for r in runs}.values())
    if check_name := req.param("check_name"):
        runs = [r for r in runs if r.name == check_name]
    if status := req.param("status"):
        if status not in ("queued", "in_progress", "completed"):
            raise invalid("CheckRun", "status")
        runs = [r for r in runs if r.status == status]
    if app_id := req.param("app_id"):
        runs = [r for r in runs if str(r.app_id) == app_id]
    runs.reverse()  # newest first
    chunk, headers = paginate(req, runs)
    body = {"total_count": len(runs), "check_runs": [req.render.check_run(repo, r) for r in chunk]}
    return Response(200, body, headers)


ROUTES = [
    ("GET", r"/user", get_authenticated_user),
    ("GET", r"/user/repos", list_my_repos),
    ("GET", r"/users/(?P<login>[^/]+)", get_user),
    ("GET", r"/users/(?P<login>[^/]+)/repos", list_owner_repos),
    ("GET", r"/orgs/(?P<login>[^/]+)", get_org),
    ("GET", r"/orgs/(?P<login>[^/]+)/repos", list_owner_repos),
    ("GET", r"/installation/repositories", list_installation_repos),
    ("GET", r"/rate_limit", get_rate_limit),
    ("GET", r"/search/repositories", search_repos),
    ("GET", R, get_repo),
    ("GET", R + r"/topics", get_topics),
    ("PUT", R + r"/topics", put_topics),
    ("GET", R + r"/branches", list_branches),
    ("GET", R + r"/branches/(?P<branch>.+)", get_branch),
    ("GET", R + r"/git/ref/(?P<ref>.+)", get_ref),
    ("GET", R + r"/git/refs", match_refs),
    ("GET", R + r"/git/refs/(?P<ref>.+)", match_refs),
    ("POST", R + r"/git/refs", create_ref),
    ("PATCH", R + r"/git/refs/(?P<ref>.+)", update_ref),
    ("DELETE", R + r"/git/refs/(?P<ref>.+)", delete_ref),
    ("GET", R + r"/commits/(?P<ref>.+)/statuses", list_statuses),
    ("GET", R + r"/commits/(?P<ref>.+)/status", combined_status),
    ("GET", R + r"/commits/(?P<ref>.+)/check-runs", list_check_runs),
    ("GET", R + r"/commits/(?P<ref>.+)", get_commit),
    ("POST", R + r"/statuses/(?P<sha>[^/]+)", create_status),
    ("POST", R + r"/check-runs", create_check_run),
    ("GET", R + r"/check-runs/(?P<run_id>\d+)", get_check_run),
    ("PATCH", R + r"/check-runs/(?P<run_id>\d+)", update_check_run),
]
