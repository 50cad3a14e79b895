"""Shape state objects as GitHub's JSON, with every URL on the stand-in's own host and port."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from . import merging
from .state import (
    App,
    CheckRun,
    Comment,
    Identity,
    Installation,
    Issue,
    Label,
    Repo,
    Review,
    State,
    Status,
)


def stamp(moment: datetime | None) -> str | None:
    """Format a time as GitHub does (``2024-05-01T12:00:00Z``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


class Renderer:
    """Turn state into JSON dicts; ``web`` is ``http://host:port``, ``api`` adds ``/api/v3``."""

    def __init__(self, state: State, web: str) -> None:
        self.state = state
        self.web = web
        self.api = f"{web}/api/v3"

    def repo_api(self, repo: Repo) -> str:
        """Return a repository's API URL."""
        return f"{self.api}/repos/{repo.full_name}"

    def user(self, login: str) -> dict[str, Any]:
        """Render an account (created on first mention)."""
        user = self.state.user(login)
        url = f"{self.api}/users/{user.login}"
        return {
            "login": user.login,
            "id": user.id,
            "node_id": f"U_{user.id}",
            "type": user.type,
            "site_admin": False,
            "url": url,
            "html_url": f"{self.web}/{user.login}",
            "repos_url": f"{url}/repos",
            "avatar_url": f"{self.web}/avatars/{user.login}",
        }

    def repo(self, repo: Repo, who: Identity | None = None) -> dict[str, Any]:
        """Render a repository (``permissions`` are those of ``who`` when given)."""
        url = self.repo_api(repo)
        write = who is None or repo.may_write(who)
        admin = who is None or who.kind != "user" or repo.is_admin(who.login)
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": self.user(repo.owner),
            "private": repo.private,
            "visibility": "private" if repo.private else "public",
            "description": repo.description,
            "fork": False,
            "archived": repo.archived,
            "disabled": False,
            "topics": list(repo.topics),
            "default_branch": repo.default_branch,
            "url": url,
            "html_url": f"{self.web}/{repo.full_name}",
            "clone_url": f"{self.web}/{repo.full_name}.git",
            "git_url": f"{self.web}/{repo.full_name}.git",
            "ssh_url": f"git@127.0.0.1:{repo.full_name}.git",
            "pulls_url": f"{url}/pulls{{/number}}",
            "issues_url": f"{url}/issues{{/number}}",
            "branches_url": f"{url}/branches{{/branch}}",
            "created_at": stamp(repo.created_at),
            "updated_at": stamp(repo.pushed_at),
            "pushed_at": stamp(repo.pushed_at),
            "open_issues_count": sum(i.state == "open" for i in repo.issues.values()),
            "permissions": {
                "admin": write and admin,
                "maintain": write,
                "push": write,
                "triage": write,
                "pull": True,
            },
            "allow_merge_commit": repo.allow_merge_commit,
            "allow_squash_merge": repo.allow_squash_merge,
            "allow_rebase_merge": repo.allow_rebase_merge,
            "delete_branch_on_merge": repo.delete_branch_on_merge,
        }

    def label(self, repo: Repo, label: Label) -> dict[str, Any]:
        """Render a label."""
        return {
            "id": label.id,
            "node_id": f"LA_{label.id}",
            "url": f"{self.repo_api(repo)}/labels/{quote(label.name, safe='')}",
            "name": label.name,
            "color": label.color,
            "description": label.description,
            "default": False,
        }

    def issue(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        """Render an issue (pull requests carry a ``pull_request`` link)."""
        url = f"{self.repo_api(repo)}/issues/{issue.number}"
        data: dict[str, Any] = {
            "id": issue.id,
            "node_id": f"I_{issue.id}",
            "number": issue.number,
            "url": url,
            "html_url": f"{self.web}/{repo.full_name}/issues/{issue.number}",
            "repository_url": self.repo_api(repo),
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "title": issue.title,
            "body": issue.body,
            "state": issue.state,
            "state_reason": ("completed" if issue.state == "closed" else None),
            "locked": False,
            "user": self.user(issue.user),
            "labels": [self.label(repo, repo.labels[k]) for k in issue.labels],
            "assignee": self.user(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self.user(a) for a in issue.assignees],
            "milestone": None,
            "comments": sum(c.number == issue.number for c in repo.comments.values()),
            "created_at": stamp(issue.created_at),
            "updated_at": stamp(issue.updated_at),
            "closed_at": stamp(issue.closed_at),
            "author_association": "MEMBER" if repo.is_collaborator(issue.user) else "NONE",
        }
        if issue.pull is not None:
            pulls = f"{self.repo_api(repo)}/pulls/{issue.number}"
            html = f"{self.web}/{repo.full_name}/pull/{issue.number}"
            data["pull_request"] = {
                "url": pulls,
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": stamp(issue.pull.merged_at),
            }
            data["draft"] = issue.pull.draft
        return data

    def _branch_end(self, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
        """Render the ``head`` or ``base`` of a pull request."""
        return {
            "label": f"{repo.owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user(repo.owner),
            "repo": self.repo(repo),
        }

    def pull(
        self, repo: Repo, issue: Issue, tips: dict[str, str] | None = None, full: bool = True
    ) -> dict[str, Any]:
        """Render a pull request; ``head.sha`` is the live tip (from ``tips`` if given).

        Lists show GitHub's short form (no ``merged``, ``mergeable``, ``mergeable_state`` ...).
        ``mergeable`` is null until a read asks for it once for the current head and base, as
        GitHub computes it in the background."""
        pull = issue.pull
        assert pull is not None
        tips = repo.bare.branches() if tips is None else tips
        head_sha = tips.get(pull.head_ref, pull.head_sha)
        base_sha = tips.get(pull.base_ref, pull.base_sha)
        issue_data = self.issue(repo, issue)
        url = f"{self.repo_api(repo)}/pulls/{issue.number}"
        html = f"{self.web}/{repo.full_name}/pull/{issue.number}"
        data: dict[str, Any] = {
            **{
                k: issue_data[k]
                for k in (
                    "id",
                    "number",
                    "title",
                    "body",
                    "state",
                    "locked",
                    "user",
                    "labels",
                    "assignee",
                    "assignees",
                    "milestone",
                    "created_at",
                    "updated_at",
                    "closed_at",
                    "author_association",
                    "comments_url",
                    "draft",
                )
            },
            "node_id": f"PR_{issue.id}",
            "url": url,
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": issue_data["url"],
            "commits_url": f"{url}/commits",
            "review_comments_url": f"{url}/comments",
            "review_comment_url": f"{self.repo_api(repo)}/pulls/comments{{/number}}",
            "statuses_url": f"{self.repo_api(repo)}/statuses/{head_sha}",
            "head": self._branch_end(repo, pull.head_ref, head_sha),
            "base": self._branch_end(repo, pull.base_ref, base_sha),
            "requested_reviewers": [self.user(r) for r in pull.requested_reviewers],
            "requested_teams": [],
            "merged_at": stamp(pull.merged_at),
            "merge_commit_sha": pull.merge_commit_sha,
            "auto_merge": None,
            "active_lock_reason": None,
        }
        if full:
            data.update(self._merge_fields(repo, issue, head_sha, base_sha))
        return data

    def _merge_fields(self, repo: Repo, issue: Issue, head: str, base: str) -> dict[str, Any]:
        """The fields only ``GET /pulls/{n}`` shows: merge state, counts, mergeability."""
        pull = issue.pull
        assert pull is not None
        merged = pull.merged_at is not None
        mergeable: bool | None = None
        state = "unknown"
        if issue.state == "open":
            if pull.mergeable_for == (head, base):
                verdict = merging.assess(repo, issue)
                mergeable, state = verdict.mergeable, verdict.state
            pull.mergeable_for = (head, base)
        return {
            "merged": merged,
            "merged_by": self.user(pull.merged_by) if pull.merged_by else None,
            "mergeable": mergeable,
            "mergeable_state": state,
            "rebaseable": mergeable,
            "maintainer_can_modify": pull.maintainer_can_modify,
            "comments": sum(c.number == issue.number for c in repo.comments.values()),
            "review_comments": 0,
            "commits": len(repo.bare.commits_between(pull.base_sha, pull.head_sha)),
        }

    def comment(self, repo: Repo, comment: Comment) -> dict[str, Any]:
        """Render an issue comment."""
        number = comment.number
        return {
            "id": comment.id,
            "node_id": f"IC_{comment.id}",
            "url": f"{self.repo_api(repo)}/issues/comments/{comment.id}",
            "html_url": f"{self.web}/{repo.full_name}/issues/{number}#issuecomment-{comment.id}",
            "issue_url": f"{self.repo_api(repo)}/issues/{number}",
            "body": comment.body,
            "user": self.user(comment.user),
            "created_at": stamp(comment.created_at),
            "updated_at": stamp(comment.updated_at),
            "author_association": "MEMBER" if repo.is_collaborator(comment.user) else "NONE",
        }

    def review(self, repo: Repo, review: Review) -> dict[str, Any]:
        """Render a pull request review (``submitted_at`` is absent while pending)."""
        pull_url = f"{self.repo_api(repo)}/pulls/{review.number}"
        html = f"{self.web}/{repo.full_name}/pull/{review.number}#pullrequestreview-{review.id}"
        data = {
            "id": review.id,
            "node_id": f"PRR_{review.id}",
            "user": self.user(review.user),
            "body": review.body,
            "state": review.state,
            "html_url": html,
            "pull_request_url": pull_url,
            "author_association": "MEMBER" if repo.is_collaborator(review.user) else "NONE",
            "commit_id": review.commit_id,
            "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
        }
        if review.submitted_at is not None:
            data["submitted_at"] = stamp(review.submitted_at)
        return data

    def commit(self, repo: Repo, sha: str) -> dict[str, Any]:
        """Render a commit as ``GET /repos/o/r/commits/{sha}`` does."""
        info = repo.bare.commit_info(sha)
        url = f"{self.repo_api(repo)}/commits/{sha}"
        git_url = f"{self.repo_api(repo)}/git"
        return {
            "sha": sha,
            "node_id": f"C_{sha}",
            "url": url,
            "html_url": f"{self.web}/{repo.full_name}/commit/{sha}",
            "comments_url": f"{url}/comments",
            "commit": {
                "url": f"{git_url}/commits/{sha}",
                "message": info.message,
                "tree": {"sha": info.tree, "url": f"{git_url}/trees/{info.tree}"},
                "author": {
                    "name": info.author_name,
                    "email": info.author_email,
                    "date": info.author_date,
                },
                "committer": {
                    "name": info.committer_name,
                    "email": info.committer_email,
                    "date": info.committer_date,
                },
                "comment_count": 0,
            },
            "author": None,
            "committer": None,
            "parents": [
                {
                    "sha": p,
                    "url": f"{self.repo_api(repo)}/commits/{p}",
                    "html_url": f"{self.web}/{repo.full_name}/commit/{p}",
                }
                for p in info.parents
            ],
        }

    def branch(self, repo: Repo, name: str, sha: str) -> dict[str, Any]:
        """Render a branch."""
        url = f"{self.repo_api(repo)}/branches/{quote(name)}"
        return {
            "name": name,
            "commit": self.commit(repo, sha),
            "protected": name in repo.protections,
            "protection_url": f"{url}/protection",
            "_links": {"self": url, "html": f"{self.web}/{repo.full_name}/tree/{quote(name)}"},
        }

    def ref(self, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
        """Render a git reference."""
        return {
            "ref": ref,
            "node_id": f"REF_{sha}",
            "url": f"{self.repo_api(repo)}/git/{quote(ref)}",
            "object": {
                "sha": sha,
                "type": "commit",
                "url": f"{self.repo_api(repo)}/git/commits/{sha}",
            },
        }

    def status(self, repo: Repo, status: Status) -> dict[str, Any]:
        """Render a commit status."""
        return {
            "id": status.id,
            "node_id": f"SC_{status.id}",
            "url": f"{self.repo_api(repo)}/statuses/{status.sha}",
            "state": status.state,
            "context": status.context,
            "description": status.description,
            "target_url": status.target_url,
            "creator": self.user(status.creator),
            "created_at": stamp(status.created_at),
            "updated_at": stamp(status.updated_at),
        }

    def check_run(self, repo: Repo, run: CheckRun) -> dict[str, Any]:
        """Render a check run."""
        return {
            "id": run.id,
            "node_id": f"CR_{run.id}",
            "head_sha": run.head_sha,
            "external_id": run.external_id,
            "url": f"{self.repo_api(repo)}/check-runs/{run.id}",
            "html_url": f"{self.web}/{repo.full_name}/runs/{run.id}",
            "details_url": run.details_url,
            "status": run.status,
            "conclusion": run.conclusion,
            "started_at": stamp(run.started_at),
            "completed_at": stamp(run.completed_at),
            "output": {
                "title": None,
                "summary": None,
                "text": None,
                "annotations_count": 0,
                **run.output,
            },
            "name": run.name,
            "check_suite": {"id": run.id},
            "app": self.app(self.state.apps[run.app_id]) if run.app_id in self.state.apps else None,
            "pull_requests": [],
        }

    def app(self, app: App) -> dict[str, Any]:
        """Render a GitHub App."""
        return {
            "id": app.id,
            "slug": app.slug,
            "node_id": f"A_{app.id}",
            "name": app.slug,
            "owner": self.user(app.owner),
            "description": "",
            "external_url": f"{self.web}/{app.slug}",
            "html_url": f"{self.web}/apps/{app.slug}",
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
            "permissions": {"contents": "write", "pull_requests": "write", "checks": "write"},
            "events": [],
        }

    def installation(self, inst: Installation) -> dict[str, Any]:
        """Render an app installation."""
        return {
            "id": inst.id,
            "app_id": inst.app_id,
            "account": self.user(inst.account),
            "target_type": self.state.user(inst.account).type,
            "repository_selection": "selected",
            "access_tokens_url": f"{self.api}/app/installations/{inst.id}/access_tokens",
            "repositories_url": f"{self.api}/installation/repositories",
            "html_url": f"{self.web}/settings/installations/{inst.id}",
            "permissions": {"contents": "write", "pull_requests": "write", "checks": "write"},
            "events": [],
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
        }
