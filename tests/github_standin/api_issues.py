"""REST handlers for pull requests, issues, labels, reviewers, assignees and comments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import merging, tracker
from .errors import invalid, not_found
from .routing import Request, Response, page_response
from .state import Issue, Repo

R = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
N = r"(?P<number>\d+)"
FILE_STATUS = {"A": "added", "M": "modified", "D": "removed", "T": "changed"}


def _repo(req: Request, owner: str, name: str, write: bool = False) -> Repo:
    repo = req.state.repo_for(req.who, f"{owner}/{name}", write=write)
    tracker.sync(repo)
    return repo


def _sorted(req: Request, repo: Repo, issues: list[Issue], pulls: bool) -> list[Issue]:
    """Order issues by ``sort``/``direction`` as GitHub's list endpoints do."""
    keys: dict[str, Callable[[Issue], Any]] = {
        "created": lambda i: (i.created_at, i.number),
        "updated": lambda i: (i.updated_at, i.number),
        "comments": lambda i: (len(tracker.issue_comments(repo, i.number)), i.number),
        "long-running": lambda i: (i.created_at, i.number),
    }
    keys["popularity"] = keys["comments"]
    sort = req.param("sort", "created")
    if sort not in keys:
        raise invalid("Issue", "sort")
    default = "desc" if sort == "created" or not pulls else "asc"
    direction = req.param("direction", default)
    if direction not in ("asc", "desc"):
        raise invalid("Issue", "direction")
    return sorted(issues, key=keys[sort], reverse=direction == "desc")


def _state_filter(req: Request, issues: list[Issue]) -> list[Issue]:
    state = req.param("state", "open")
    if state not in ("open", "closed", "all"):
        raise invalid("Issue", "state")
    return [i for i in issues if state in ("all", i.state)]


def list_pulls(req: Request, owner: str, name: str) -> Response:
    """``GET /repos/{o}/{r}/pulls``: ``head=owner:branch`` filters, a bare branch is ignored."""
    repo = _repo(req, owner, name)
    pulls = _state_filter(req, [i for i in repo.issues.values() if i.pull])
    head = req.param("head")
    if head and ":" in head:
        head_owner, _, ref = head.partition(":")
        pulls = [
            p
            for p in pulls
            if head_owner.lower() == repo.owner.lower() and p.pull and p.pull.head_ref == ref
        ]
    if base := req.param("base"):
        pulls = [p for p in pulls if p.pull and p.pull.base_ref == base]
    tips = repo.bare.branches()
    ordered = _sorted(req, repo, pulls, pulls=True)
    return page_response(req, ordered, lambda i: req.render.pull(repo, i, tips, full=False))


def create_pull(req: Request, owner: str, name: str) -> Response:
    """``POST /repos/{o}/{r}/pulls``."""
    repo = _repo(req, owner, name, write=True)
    body = req.json_dict()
    issue = tracker.create_pull(
        req.state,
        repo,
        req.who.login,
        head=body.get("head"),
        base=body.get("base"),
        title=body.get("title"),
        body=body.get("body"),
        draft=bool(body.get("draft")),
        maintainer_can_modify=bool(body.get("maintainer_can_modify")),
    )
    data = req.render.pull(repo, issue)
    return Response(201, data, {"Location": data["url"]})


def get_pull(req: Request, owner: str, name: str, number: str) -> Response:
    """``GET /repos/{o}/{r}/pulls/{n}``."""
    repo = _repo(req, owner, name)
    return Response(200, req.render.pull(repo, repo.pull(int(number))))


def edit_pull(req: Request, owner: str, name: str, number: str) -> Response:
    """``PATCH /repos/{o}/{r}/pulls/{n}``: title, body, state, base, maintainer_can_modify."""
    repo = _repo(req, owner, name, write=True)
    issue = repo.pull(int(number))
    tracker.edit_issue(repo, issue, req.json_dict())
    return Response(200, req.render.pull(repo, issue))


def list_pull_commits(req: Request, owner: str, name: str, number: str) -> Response:
    """``GET /repos/{o}/{r}/pulls/{n}/commits``."""
    repo = _repo(req, owner, name)
    pull = repo.pull(int(number)).pull
    assert pull is not None
    shas = repo.bare.commits_between(pull.base_sha, pull.head_sha)
    return page_response(req, shas, lambda sha: req.render.commit(repo, sha))


def list_pull_files(req: Request, owner: str, name: str, number: str) -> Response:
    """``GET /repos/{o}/{r}/pulls/{n}/files``."""
    repo = _repo(req, owner, name)
    pull = repo.pull(int(number)).pull
    assert pull is not None
    files = repo.bare.changed_files(pull.base_sha, pull.head_sha)
    web = f"{req.render.web}/{repo.full_name}"

    def render(item: tuple[str, str, int, int]) -> dict[str, Any]:
        letter, path, added, deleted = item
        return {
            "sha": pull.head_sha,
            "filename": path,
            "status": FILE_STATUS.get(letter[0], "modified"),
            "additions": added,
            "deletions": deleted,
            "changes": added + deleted,
            "blob_url": f"{web}/blob/{pull.head_sha}/{path}",
            "raw_url": f"{web}/raw/{pull.head_sha}/{path}",
            "contents_url": f"{req.render.repo_api(repo)}/contents/{path}?ref={pull.head_sha}",
        }

    return page_response(req, files, render)


def empty_list(req: Request, owner: str, name: str, number: str) -> Response:
    """Review comments: the stand-in never has any."""
    repo = _repo(req, owner, name)
    repo.pull(int(number))
    return page_response(req, [], lambda item: item)


def is_merged(req: Request, owner: str, name: str, number: str) -> Response:
    """``GET /repos/{o}/{r}/pulls/{n}/merge``: 204 when merged, else 404."""
    repo = _repo(req, owner, name)
    pull = repo.pull(int(number)).pull
    if pull is None or pull.merged_at is None:
        raise not_found()
    return Response(204)


def merge_pull(req: Request, owner: str, name: str, number: str) -> Response:
    """``PUT /repos/{o}/{r}/pulls/{n}/merge``: a real merge, refused as GitHub refuses it."""
    repo = _repo(req, owner, name, write=True)
    body = req.json_dict()
    sha = merging.merge(
        repo,
        repo.pull(int(number)),
        req.who.login,
        sha=body.get("sha"),
        title=body.get("commit_title"),
        message=body.get("commit_message"),
        method=body.get("merge_method") or "merge",
    )
    return Response(
        200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}
    )


def update_branch(req: Request, owner: str, name: str, number: str) -> Response:
    """``PUT /repos/{o}/{r}/pulls/{n}/update-branch``: merge the base into the head (202)."""
    repo = _repo(req, owner, name, write=True)
    issue = repo.pull(int(number))
    merging.update_branch(repo, issue, req.json_dict().get("expected_head_sha"))
    tracker.sync(repo)
    url = f"{req.render.web}/{repo.full_name}/pull/{issue.number}"
    return Response(202, {"message": "Updating pull request branch.", "url": url})


def get_reviewers(req: Request, owner: str, name: str, number: str) -> Response:
    """``GET /repos/{o}/{r}/pulls/{n}/requested_reviewers``."""
    repo = _repo(req, owner, name)
    pull = repo.pull(int(number)).pull
    assert pull is not None
    users = [req.render.user(r) for r in pull.requested_reviewers]
    return Response(200, {"users": users, "teams": []})


def _logins(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid("PullRequest", key)
    return value


def request_reviewers(req: Request, owner: str, name: str, number: str) -> Response:
    """``POST /repos/{o}/{r}/pulls/{n}/requested_reviewers``: collaborators only, not the author."""
    repo = _repo(req, owner, name, write=True)
    issue = repo.pull(int(number))
    body = req.json_dict()
    tracker.request_reviewers(
        repo, issue, _logins(body, "reviewers"), _logins(body, "team_reviewers")
    )
    return Response(201, req.render.pull(repo, issue))


def remove_reviewers(req: Request, owner: str, name: str, number: str) -> Response:
    """``DELETE /repos/{o}/{r}/pulls/{n}/requested_reviewers``."""
    repo = _repo(req, owner, name, write=True)
    issue = repo.pull(int(number))
    tracker.remove_reviewers(issue, _logins(req.json_dict(), "reviewers"))
    return Response(200, req.render.pull(repo, issue))


def list_issues(req: Request, owner: str, name: str) -> Response:
    """``GET /repos/{o}/{r}/issues`` (pull requests included, as on GitHub)."""
    repo = _repo(req, owner, name)
    issues = _state_filter(req, list(repo.issues.values()))
    if labels := req.param("labels"):
        wanted = {label.strip().lower() for label in labels.split(",")}
        issues = [i for i in issues if wanted <= set(i.labels)]
    if creator := req.param("creator"):
        issues = [i for i in issues if i.user.lower() == creator.lower()]
    if assignee := req.param("assignee"):
        issues = [i for i in issues if assignee.lower() in {a.lower() for a in i.assignees}]
    ordered = _sorted(req, repo, issues, pulls=False)
    return page_response(req, ordered, lambda i: req.render.issue(repo, i))


def create_issue(req: Request, owner: str, name: str) -> Response:
    """``POST /repos/{o}/{r}/issues``."""
    repo = _repo(req, owner, name, write=True)
    body = req.json_dict()
    issue = tracker.create_issue(
        req.state, repo, req.who.login, body.get("title"), body.get("body")
    )
    if body.get("labels"):
        tracker.add_labels(req.state, repo, issue, body["labels"])
    tracker.add_assignees(repo, issue, _logins(body, "assignees"))
    data = req.render.issue(repo, issue)
    return Response(201, data, {"Location": data["url"]})


def get_issue(req: Request, owner: str, name: str, number: str) -> Response:
    """``GET /repos/{o}/{r}/issues/{n}``."""
    repo = _repo(req, owner, name)
    return Response(200, req.render.issue(repo, repo.issue(int(number))))


def edit_issue(req: Request, owner: str, name: str, number: str) -> Response:
    """``PATCH /repos/{o}/{r}/issues/{n}``."""
    repo = _repo(req, owner, name, write=True)
    issue = repo.issue(int(number))
    body = req.json_dict()
    tracker.edit_issue(repo, issue, body)
    if "labels" in body:
        tracker.add_labels(req.state, repo, issue, body["labels"] or [], replace=True)
    return Response(200, req.render.issue(repo, issue))


def _issue_labels(req: Request, repo: Repo, issue: Issue) -> Response:
    return Response(200, [req.render.label(repo, repo.labels[k]) for k in issue.labels])


def list_issue_labels(req: Request, owner: str, name: str, number: str) -> Response:
    """``GET /repos/{o}/{r}/issues/{n}/labels``."""
    repo = _repo(req, owner, name)
    issue = repo.issue(int(number))
    return page_response(req, issue.labels, lambda k: req.render.label(repo, repo.labels[k]))


def add_issue_labels(req: Request, owner: str, name: str, number: str) -> Response:
    """``POST`` (add) or ``PUT`` (replace) ``/repos/{o}/{r}/issues/{n}/labels``."""
    repo = _repo(req, owner, name, write=True)
    issue = repo.issue(int(number))
    tracker.add_labels(req.state, repo, issue, req.body or [], replace=req.method == "PUT")
    return _issue_labels(req, repo, issue)


def clear_issue_labels(req: Request, owner: str, name: str, number: str) -> Response:
    """``DELETE /repos/{o}/{r}/issues/{n}/labels``."""
    repo = _repo(req, owner, name, write=True)
    tracker.add_labels(req.state, repo, repo.issue(int(number)), [], replace=True)
    return Response(204)


def remove_issue_label(req: Request, owner: str, name: str, number: str, label: str) -> Response:
    """``DELETE /repos/{o}/{r}/issues/{n}/labels/{name}``: 404 "Label does not exist"."""
    repo = _repo(req, owner, name, write=True)
    issue = repo.issue(int(number))
    tracker.remove_label(issue, label)
    return _issue_labels(req, repo, issue)


def add_assignees(req: Request, owner: str, name: str, number: str) -> Response:
    """``POST /repos/{o}/{r}/issues/{n}/assignees``."""
    repo = _repo(req, owner, name, write=True)
    issue = repo.issue(int(number))
    tracker.add_assignees(repo, issue, _logins(req.json_dict(), "assignees"))
    return Response(201, req.render.issue(repo, issue))


def remove_assignees(req: Request, owner: str, name: str, number: str) -> Response:
    """``DELETE /repos/{o}/{r}/issues/{n}/assignees``."""
    repo = _repo(req, owner, name, write=True)
    issue = repo.issue(int(number))
    tracker.remove_assignees(issue, _logins(req.json_dict(), "assignees"))
    return Response(200, req.render.issue(repo, issue))


def list_comments(req: Request, owner: str, name: str, number: str) -> Response:
    """``GET /repos/{o}/{r}/issues/{n}/comments`` (oldest first, paginated)."""
    repo = _repo(req, owner, name)
    repo.issue(int(number))
    found = tracker.issue_comments(repo, int(number))
    return page_response(req, found, lambda c: req.render.comment(repo, c))


def add_comment(req: Request, owner: str, name: str, number: str) -> Response:
    """``POST /repos/{o}/{r}/issues/{n}/comments``."""
    repo = _repo(req, owner, name, write=True)
    issue = repo.issue(int(number))
    made = tracker.add_comment(req.state, repo, issue, req.who.login, req.json_dict().get("body"))
    data = req.render.comment(repo, made)
    return Response(201, data, {"Location": data["url"]})


def get_comment(req: Request, owner: str, name: str, comment_id: str) -> Response:
    """``GET /repos/{o}/{r}/issues/comments/{id}``."""
    repo = _repo(req, owner, name)
    return Response(200, req.render.comment(repo, tracker.comment(repo, int(comment_id))))


def edit_comment(req: Request, owner: str, name: str, comment_id: str) -> Response:
    """``PATCH /repos/{o}/{r}/issues/comments/{id}``."""
    repo = _repo(req, owner, name, write=True)
    found = tracker.edit_comment(repo, int(comment_id), req.json_dict().get("body"))
    return Response(200, req.render.comment(repo, found))


def delete_comment(req: Request, owner: str, name: str, comment_id: str) -> Response:
    """``DELETE /repos/{o}/{r}/issues/comments/{id}``."""
    repo = _repo(req, owner, name, write=True)
    del repo.comments[tracker.comment(repo, int(comment_id)).id]
    return Response(204)


def list_repo_labels(req: Request, owner: str, name: str) -> Response:
    """``GET /repos/{o}/{r}/labels``."""
    repo = _repo(req, owner, name)
    return page_response(req, list(repo.labels.values()), lambda la: req.render.label(repo, la))


def create_repo_label(req: Request, owner: str, name: str) -> Response:
    """``POST /repos/{o}/{r}/labels``: 422 ``already_exists`` for a taken name."""
    repo = _repo(req, owner, name, write=True)
    body = req.json_dict()
    label_name = body.get("name")
    if not isinstance(label_name, str) or not label_name.strip():
        raise invalid("Label", "name", "missing_field")
    if label_name.strip().lower() in repo.labels:
        raise invalid("Label", "name", "already_exists")
    label = tracker.ensure_label(
        req.state,
        repo,
        label_name.strip(),
        str(body.get("color") or "ededed").lstrip("#"),
        body.get("description"),
    )
    return Response(201, req.render.label(repo, label))


def _repo_label(repo: Repo, label: str) -> Any:
    try:
        return repo.labels[label.lower()]
    except KeyError:
        raise not_found() from None


def get_repo_label(req: Request, owner: str, name: str, label: str) -> Response:
    """``GET /repos/{o}/{r}/labels/{name}``."""
    repo = _repo(req, owner, name)
    return Response(200, req.render.label(repo, _repo_label(repo, label)))


def edit_repo_label(req: Request, owner: str, name: str, label: str) -> Response:
    """``PATCH /repos/{o}/{r}/labels/{name}``: new_name, color, description."""
    repo = _repo(req, owner, name, write=True)
    found = _repo_label(repo, label)
    body = req.json_dict()
    new_name = body.get("new_name") or found.name
    if new_name.lower() != found.name.lower():
        if new_name.lower() in repo.labels:
            raise invalid("Label", "name", "already_exists")
        old = found.name.lower()
        del repo.labels[old]
        repo.labels[new_name.lower()] = found
        for issue in repo.issues.values():
            issue.labels = [new_name.lower() if k == old else k for k in issue.labels]
    found.name = new_name
    found.color = str(body.get("color") or found.color).lstrip("#")
    found.description = body.get("description", found.description)
    return Response(200, req.render.label(repo, found))


def delete_repo_label(req: Request, owner: str, name: str, label: str) -> Response:
    """``DELETE /repos/{o}/{r}/labels/{name}`` (removes it from every issue)."""
    repo = _repo(req, owner, name, write=True)
    key = _repo_label(repo, label).name.lower()
    del repo.labels[key]
    for issue in repo.issues.values():
        if key in issue.labels:
            issue.labels.remove(key)
    return Response(204)


ROUTES = [
    ("GET", R + r"/pulls", list_pulls),
    ("POST", R + r"/pulls", create_pull),
    ("GET", R + rf"/pulls/{N}", get_pull),
    ("PATCH", R + rf"/pulls/{N}", edit_pull),
    ("GET", R + rf"/pulls/{N}/commits", list_pull_commits),
    ("GET", R + rf"/pulls/{N}/files", list_pull_files),
    ("GET", R + rf"/pulls/{N}/comments", empty_list),
    ("GET", R + rf"/pulls/{N}/merge", is_merged),
    ("PUT", R + rf"/pulls/{N}/merge", merge_pull),
    ("PUT", R + rf"/pulls/{N}/update-branch", update_branch),
    ("GET", R + rf"/pulls/{N}/requested_reviewers", get_reviewers),
    ("POST", R + rf"/pulls/{N}/requested_reviewers", request_reviewers),
    ("DELETE", R + rf"/pulls/{N}/requested_reviewers", remove_reviewers),
    ("GET", R + r"/issues", list_issues),
    ("POST", R + r"/issues", create_issue),
    ("GET", R + r"/issues/comments/(?P<comment_id>\d+)", get_comment),
    ("PATCH", R + r"/issues/comments/(?P<comment_id>\d+)", edit_comment),
    ("DELETE", R + r"/issues/comments/(?P<comment_id>\d+)", delete_comment),
    ("GET", R + rf"/issues/{N}", get_issue),
    ("PATCH", R + rf"/issues/{N}", edit_issue),
    ("GET", R + rf"/issues/{N}/comments", list_comments),
    ("POST", R + rf"/issues/{N}/comments", add_comment),
    ("GET", R + rf"/issues/{N}/labels", list_issue_labels),
    ("POST", R + rf"/issues/{N}/labels", add_issue_labels),
    ("PUT", R + rf"/issues/{N}/labels", add_issue_labels),
    ("DELETE", R + rf"/issues/{N}/labels", clear_issue_labels),
    ("DELETE", R + rf"/issues/{N}/labels/(?P<label>[^/]+)", remove_issue_label),
    ("POST", R + rf"/issues/{N}/assignees", add_assignees),
    ("DELETE", R + rf"/issues/{N}/assignees", remove_assignees),
    ("GET", R + r"/labels", list_repo_labels),
    ("POST", R + r"/labels", create_repo_label),
    ("GET", R + r"/labels/(?P<label>[^/]+)", get_repo_label),
    ("PATCH", R + r"/labels/(?P<label>[^/]+)", edit_repo_label),
    ("DELETE", R + r"/labels/(?P<label>[^/]+)", delete_repo_label),
]
