"""GitHub pull requests through PyGithub: the forge the built-in ``github`` plugin
(:mod:`hammurabi.integrations.forges.github`) offers when credentials are configured.

This is the only module that imports PyGithub, and it does so lazily, inside functions.

Requests are retried with backoff on 5xx answers and on rate limits (``Retry-After`` and
``X-RateLimit-Reset`` are honoured, up to ``max_rate_limit_wait`` seconds) and paced by
``seconds_between_requests``/``seconds_between_writes``. Tokens never appear in messages:
every error is scrubbed of them before it leaves this module.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from hammurabi.core import masking
from hammurabi.core.forge import (
    ForgeError,
    ListedRepository,
    PullRequest,
    PullRequestOptions,
    PullRequestSpec,
    find_marker,
    missing,
    normalize_body,
    pull_changes,
    redact,
)
from hammurabi.core.pullstate import PullState

if TYPE_CHECKING:
    from hammurabi.core.records import Credentials
    from hammurabi.integrations.forges.batch import Batch
    from hammurabi.integrations.forges.etags import ETagCache  # sqlite3: once a read is made
    from hammurabi.loading.settings import GitHubSettings

log = logging.getLogger(__name__)

#: The user name GitHub expects with a token over HTTPS.
GIT_USERNAME = "x-access-token"


class GitHubForge:
    """Pull requests on github.com or GitHub Enterprise (``api_url``)."""

    name = "github"

    def __init__(self, settings: GitHubSettings, env: Mapping[str, str] | None = None) -> None:
        environ = os.environ if env is None else env
        self.settings = settings
        self._token = settings.token or environ.get("GITHUB_TOKEN", "")
        self._api_url = settings.api_base(environ)
        self._private_key = settings.private_key
        if not self._private_key and settings.private_key_path:
            try:
                self._private_key = Path(settings.private_key_path).expanduser().read_text()
            except OSError as exc:
                raise ForgeError(
                    f"cannot read github.private_key_path {settings.private_key_path!r}: "
                    f"{exc.strerror}"
                ) from None
        masking.register(self._token, self._private_key)
        self._app = bool(settings.app_id)
        if self._app and not self._private_key:
            raise ForgeError("github.app_id is set but neither private_key nor private_key_path")
        self.options = PullRequestOptions(
            title=settings.title,
            labels=tuple(settings.labels),
            reviewers=tuple(settings.reviewers),
            assignees=tuple(settings.assignees),
            draft=settings.draft,
        )
        self.warnings: list[str] = []
        self._clients: dict[str, Any] = {}
        self._installation_auth: dict[str, Any] = {}
        self._raw: dict[tuple[str, int], Any] = {}
        self._issued: list[str] = []
        #: REST requests sent so far (retries of one request not counted), and how many of
        #: them GitHub answered "not modified" (free: not counted against the rate limit).
        self.api_calls = 0
        self.conditional_hits = 0
        self._etags: ETagCache | None = None
        #: False once GitHub answered that it has no GraphQL API (older Enterprise servers).
        self._graphql = True

    def __repr__(self) -> str:
        auth = "app" if self._app else "token" if self._token else "none"
        return f"<GitHubForge {self._api_url} auth={auth}>"

    @property
    def configured(self) -> bool:
        """Whether there are credentials to use."""
        return bool(self._app or self._token)

    @property
    def api_url(self) -> str:
        return self._api_url

    def secrets(self) -> list[str]:
        found = [self._token, *self._issued]
        if self._private_key:
            found.append(self._private_key.strip())
        return [secret for secret in found if secret]

    # -- repositories and credentials ----------------------------------------------------

    def repository(self, remote_url: str) -> str | None:
        """``owner/name`` for a remote on this GitHub (HTTPS, SSH or scp-like URL)."""
        if self.settings.repository:
            return self.settings.repository
        host, path = _split_remote(remote_url)
        if host is None or not self._same_host(host):
            return None
        parts = [part for part in path.strip("/").split("/") if part]
        if len(parts) < 2:
            return None
        owner, name = parts[-2], parts[-1].removesuffix(".git")
        return f"{owner}/{name}" if owner and name else None

    def _same_host(self, host: str) -> bool:
        api = (urlsplit(self._api_url).hostname or "").lower()
        host = host.lower()
        return host == api or api == f"api.{host}"

    def git_credentials(self, repository: str) -> Credentials | None:
        """The token (or a fresh installation token) for HTTPS git as ``x-access-token``."""
        from hammurabi.core.records import Credentials

        if not self._app:
            return Credentials(GIT_USERNAME, self._token) if self._token else None
        self._client(repository)
        auth = self._installation_auth[repository]
        with self._api("creating an installation token"):
            token = auth.token
        if token not in self._issued:
            self._issued.append(token)
            masking.register(token)
        return Credentials(GIT_USERNAME, token)

    def check_access(self, repository: str) -> None:
        """Read the repository: the credentials work, and ``permissions.push`` says they
        may push (and so open pull requests from a branch of it). Conditional, like the
        state reads: unchanged since the last run, it costs no rate limit."""
        with self._api("checking access", repository):
            raw = self._get(repository, f"/repos/{repository}")
        permissions = raw.get("permissions") if isinstance(raw, dict) else None
        if isinstance(permissions, dict) and not permissions.get("push"):
            raise ForgeError(
                f"GitHub: the credentials may read {repository} but not push to it: give the "
                "token (or the GitHub App) write access to its contents and pull requests"
            )

    def list_repositories(self, owner: str) -> list[ListedRepository]:
        """Every repository of the organization (or user) ``owner`` the credentials can see."""
        from github import GithubException

        client = self._client(f"{owner}/-")
        with self._api(f"listing the repositories of {owner}"):
            try:
                raws = list(client.get_organization(owner).get_repos(type="all"))
            except GithubException as exc:
                if exc.status != 404:
                    raise
                raws = list(client.get_user(owner).get_repos(type="all"))
            return [
                ListedRepository(
                    full_name=raw.full_name,
                    clone_url=raw.clone_url,
                    default_branch=raw.default_branch,
                    archived=bool(raw.archived),
                    topics=tuple(raw.topics or ()),
                )
                for raw in raws
            ]

    # -- clients ---------------------------------------------------------------------------

    def _common(self) -> dict[str, Any]:
        from github import GithubRetry

        class Retry(GithubRetry):
            """PyGithub's retries, telling each retry of a server error (``-v``) once; it
            tells those of rate limits (403) itself."""

            def increment(self, method: Any = None, url: Any = None, *args: Any, **kw: Any) -> Any:
                retry = super().increment(method, url, *args, **kw)  # raises when exhausted
                response = kw.get("response", args[0] if args else None)
                status = getattr(response, "status", None)
                if status is not None and status != 403:
                    log.info("GitHub answered %s to %s %s; retrying", status, method, url)
                return retry

        s = self.settings
        retry = Retry(
            total=max(0, s.retries),
            backoff_factor=max(0.0, s.backoff),
            max_rate_limit_wait=s.max_rate_limit_wait if s.max_rate_limit_wait > 0 else None,
            secondary_rate_wait=min(60.0, s.max_rate_limit_wait or 60.0),
            allowed_methods={"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"},
        )
        return {
            "base_url": self._api_url,
            "timeout": max(1, int(s.timeout)),
            "retry": retry,
            "seconds_between_requests": s.seconds_between_requests or None,
            "seconds_between_writes": s.seconds_between_writes or None,
            "user_agent": "hammurabi",
            "lazy": True,
        }

    def _client(self, repository: str) -> Any:
        """A PyGithub client for ``repository`` (one per App installation)."""
        key = "" if not self._app else repository
        if key in self._clients:
            return self._clients[key]
        from github import Auth, Github, GithubIntegration

        common = self._common()
        if not self._app:
            client = Github(auth=_counted(Auth.Token, self)(self._token), **common)
        else:
            app_id = self.settings.app_id
            app_auth = Auth.AppAuth(int(app_id) if app_id.isdigit() else app_id, self._private_key)
            installation = self.settings.installation_id
            if not installation:
                owner, name = repository.split("/", 1)
                with self._api(f"finding the GitHub App installation for {repository}"):
                    integration = GithubIntegration(auth=app_auth, **common)
                    installation = integration.get_repo_installation(owner, name).id
            auth = _counted(Auth.AppInstallationAuth, self)(app_auth, int(installation))
            client = Github(auth=auth, **common)
            self._installation_auth[repository] = auth
        self._clients[key] = client
        return client

    def _repo(self, repository: str) -> Any:
        return self._client(repository).get_repo(repository)

    @contextlib.contextmanager
    def _api(self, what: str, repository: str | None = None) -> Iterator[None]:
        """Turn PyGithub and transport errors into ForgeError: one line naming the
        repository and what to do, scrubbed of secrets."""
        import requests
        from github import GithubException

        where = f" for {repository}" if repository else ""
        try:
            yield
        except GithubException as exc:
            hint = _HINTS.get(exc.status) or (
                _HINTS[500] if isinstance(exc.status, int) and exc.status >= 500 else ""
            )
            text = f"GitHub answered {exc.status}{where} while {what}: {_message(exc)}"
            raise ForgeError(redact(f"{text}{hint}", self.secrets())) from None
        except requests.exceptions.RetryError as exc:
            reason = exc.args[0].reason if exc.args and hasattr(exc.args[0], "reason") else exc
            text = f"GitHub kept failing{where} while {what} ({reason}){_HINTS[500]}"
            raise ForgeError(redact(text, self.secrets())) from None
        except requests.RequestException as exc:
            raise ForgeError(
                redact(
                    f"GitHub could not be reached{where} while {what}: {type(exc).__name__}: "
                    f"{exc}; check github.api_url and the network",
                    self.secrets(),
                )
            ) from None
        except AssertionError as exc:  # PyGithub asserts on malformed answers
            raise ForgeError(
                redact(f"unexpected answer from GitHub while {what}: {exc}", self.secrets())
            ) from None

    # -- pull requests -----------------------------------------------------------------------

    def _convert(self, repository: str, raw: Any) -> PullRequest:
        self._raw[(repository, raw.number)] = raw
        owner = repository.split("/", 1)[0]
        state = "merged" if raw.merged_at else raw.state
        reviewers = [user.login for user in raw.requested_reviewers or ()]
        reviewers += [f"{owner}/{team.slug}" for team in raw.requested_teams or ()]
        return PullRequest(
            number=raw.number,
            url=raw.html_url,
            state=state,
            title=raw.title or "",
            body=raw.body or "",
            head=raw.head.ref,
            base=raw.base.ref,
            head_sha=raw.head.sha,
            draft=bool(raw.draft),
            labels=tuple(label.name for label in raw.labels or ()),
            reviewers=tuple(reviewers),
            assignees=tuple(user.login for user in raw.assignees or ()),
            author=raw.user.login if raw.user else None,
            created_at=raw.created_at,
        )

    def find_pull(self, repository: str, head: str, base: str | None) -> PullRequest | None:
        owner = repository.split("/", 1)[0]
        options: dict[str, Any] = {"state": "open", "head": f"{owner}:{head}"}
        if base:
            options["base"] = base
        with self._api(f"looking for the pull request from {head}", repository):
            found = [
                self._convert(repository, raw)
                for raw in self._repo(repository).get_pulls(**options)
            ]
        found = [pull for pull in found if pull.head == head]
        if not found:
            return None
        ours = [pull for pull in found if pull.hammurabi]
        return (ours or found)[0]

    def find_pulls(
        self, repository: str, head: str, base: str | None
    ) -> tuple[PullRequest | None, PullRequest | None]:
        """What :meth:`find_pull` and :meth:`find_closed_pull` return, in one request: the
        branch's pull requests, open and closed, newest first (more pages only for a branch
        with more than a page of them)."""
        options = _newest_first(repository, head, base, "all")
        opened: list[PullRequest] = []
        closed: PullRequest | None = None
        with self._api(f"looking for the pull requests from {head}", repository):
            for raw in self._repo(repository).get_pulls(**options):
                pull = self._convert(repository, raw)
                if pull.head != head:
                    continue
                if pull.state == "open":
                    opened.append(pull)
                elif closed is None and pull.hammurabi:
                    closed = pull
                if closed is not None and opened and base:  # one open per head and base
                    break
        ours = [pull for pull in opened if pull.hammurabi]
        return next(iter(ours or opened), None), closed

    def find_closed_pull(self, repository: str, head: str, base: str | None) -> PullRequest | None:
        options = _newest_first(repository, head, base, "closed")
        with self._api(f"looking for closed pull requests from {head}", repository):
            for raw in self._repo(repository).get_pulls(**options):
                pull = self._convert(repository, raw)
                if pull.head == head and pull.hammurabi:
                    return pull
        return None

    def remove_label(self, repository: str, pull: PullRequest, label: str) -> None:
        raw = self._raw_pull(repository, pull)
        with self._api(f"removing the label {label!r} from #{pull.number}", repository):
            raw.remove_from_labels(label)

    def open_pull(self, repository: str, spec: PullRequestSpec) -> PullRequest:
        from github import GithubException

        repo = self._repo(repository)
        try:
            with self._api(f"opening a pull request from {spec.head}", repository):
                try:
                    raw = repo.create_pull(
                        base=spec.base,
                        head=spec.head,
                        title=spec.title,
                        body=spec.body,
                        draft=spec.draft,
                    )
                except GithubException as exc:
                    if exc.status == 422 and "already exists" in _message(exc):
                        raise _AlreadyOpen() from None
                    raise
        except _AlreadyOpen:
            existing = self.find_pull(repository, spec.head, spec.base)
            if existing is None:
                raise ForgeError(
                    f"GitHub says a pull request from {spec.head} exists but none was found"
                ) from None
            return self.update_pull(repository, existing, spec)[0]
        pull = self._convert(repository, raw)
        pull, _ = self._add_people(repository, pull, spec)
        return pull

    def update_pull(
        self, repository: str, pull: PullRequest, spec: PullRequestSpec
    ) -> tuple[PullRequest, list[str]]:
        """Bring ``pull`` in line with ``spec``; return it and the fields actually changed."""
        wanted = pull_changes(pull, spec)
        if not wanted:
            return pull, []
        raw = self._raw_pull(repository, pull)
        applied: list[str] = []
        edits: dict[str, str] = {}
        if "title" in wanted:
            edits["title"] = spec.title
        if "body" in wanted:
            edits["body"] = spec.body
        if edits:
            with self._api(f"updating pull request #{pull.number}", repository):
                raw.edit(**edits)
            applied += list(edits)
            pull = _replace(pull, **edits)
        if "draft" in wanted:
            try:
                with self._api(f"changing the draft state of #{pull.number}", repository):
                    if spec.draft:
                        raw.convert_to_draft()
                    else:
                        raw.mark_ready_for_review()
                applied.append("draft")
                pull = _replace(pull, draft=spec.draft)
            except ForgeError as exc:
                self._warn(f"draft state of #{pull.number} left as it is: {exc}")
        pull, people = self._add_people(repository, pull, spec)
        return pull, applied + people

    def _add_people(
        self, repository: str, pull: PullRequest, spec: PullRequestSpec
    ) -> tuple[PullRequest, list[str]]:
        """Add missing labels and assignees, and request missing reviews."""
        raw = self._raw_pull(repository, pull)
        applied: list[str] = []
        labels = missing(spec.labels, pull.labels)
        if labels:
            with self._api(f"labelling #{pull.number}", repository):
                raw.add_to_labels(*labels)
            pull = _replace(pull, labels=(*pull.labels, *labels))
            applied.append("labels")
        assignees = missing(spec.assignees, pull.assignees)
        if assignees:
            try:
                with self._api(f"assigning #{pull.number}", repository):
                    raw.add_to_assignees(*assignees)  # GitHub ignores who cannot be assigned
                    now = tuple(user.login for user in raw.assignees or ())
                ignored = missing(assignees, now)
                if ignored:
                    self._warn(f"could not assign {', '.join(ignored)} to #{pull.number}")
                if len(ignored) < len(assignees):
                    applied.append("assignees")
                pull = _replace(pull, assignees=now)
            except ForgeError as exc:
                self._warn(str(exc))
        reviewers = missing(spec.reviewers, (*pull.reviewers, pull.author or ""))
        if reviewers:
            with self._api(f"reading the reviews of #{pull.number}", repository):
                reviewed = {
                    review.user.login.lower() for review in raw.get_reviews() if review.user
                }
            reviewers = [name for name in reviewers if name.lower() not in reviewed]
        if reviewers:
            users = [name for name in reviewers if "/" not in name]
            teams = [name.split("/", 1)[1] for name in reviewers if "/" in name]
            try:
                with self._api(f"requesting reviews on #{pull.number}", repository):
                    raw.create_review_request(
                        reviewers=users or _not_set(), team_reviewers=teams or _not_set()
                    )
                pull = _replace(pull, reviewers=(*pull.reviewers, *reviewers))
                applied.append("reviewers")
            except ForgeError as exc:
                self._warn(str(exc))
        return pull, applied

    def close_pull(self, repository: str, pull: PullRequest, comment: str) -> PullRequest:
        raw = self._raw_pull(repository, pull)
        with self._api(f"closing pull request #{pull.number}", repository):
            if comment:
                raw.create_issue_comment(comment)
            raw.edit(state="closed")
        return _replace(pull, state="closed")

    def upsert_comment(self, repository: str, pull: PullRequest, key: str, body: str) -> bool:
        raw = self._raw_pull(repository, pull)
        with self._api(f"commenting on #{pull.number}", repository):
            for comment in raw.get_issue_comments():
                if find_marker(comment.body, key) is None:
                    continue
                if normalize_body(comment.body) == normalize_body(body):
                    return False
                comment.edit(body)
                return True
            raw.create_issue_comment(body)
        return True

    def pull_state(self, repository: str, pull: PullRequest) -> PullState:
        """Read a pull request's review decision, combined checks and mergeability: the pull
        request itself, its reviews, and (open ones) its head's combined status and latest
        check runs; one more read when GitHub had not computed ``mergeable`` yet.

        Each read is conditional on the answer kept by the last run (:mod:`.etags`): what did
        not change since costs no rate limit."""
        from hammurabi.core import pullstate

        base = f"/repos/{repository}"
        with self._api(f"reading the state of pull request #{pull.number}", repository):
            raw = self._get(repository, f"{base}/pulls/{pull.number}")
            if raw.get("state") == "open" and raw.get("mergeable") is None:
                raw = self._get(repository, f"{base}/pulls/{pull.number}")  # now computed
            reviews = [
                ((review.get("user") or {}).get("login") or "", str(review.get("state")))
                for review in self._get_all(repository, f"{base}/pulls/{pull.number}/reviews")
            ]
            states: dict[str, str] = {}
            sha = (raw.get("head") or {}).get("sha")
            if raw.get("state") == "open" and sha:
                combined = self._get(repository, f"{base}/commits/{sha}/status?per_page=100")
                for status in combined.get("statuses") or ():
                    states[status["context"]] = pullstate.status_state(status["state"])
                runs = self._get(repository, f"{base}/commits/{sha}/check-runs?per_page=100")
                for run in runs.get("check_runs") or ():
                    states[run["name"]] = pullstate.check_run_state(
                        run["status"], run.get("conclusion")
                    )
        review, approvals = pullstate.review_decision(reviews)
        checks, failing, pending = pullstate.combine_checks(states)
        return PullState(
            number=int(raw["number"]),
            url=str(raw.get("html_url") or pull.url),
            state="merged" if raw.get("merged") or raw.get("merged_at") else str(raw["state"]),
            draft=bool(raw.get("draft")),
            review=review,
            approvals=approvals,
            checks=checks,
            failing=failing,
            pending=pending,
            mergeable=raw.get("mergeable"),
            mergeable_state=raw.get("mergeable_state"),
            head_sha=sha,
            created_at=_time(raw.get("created_at")),
            merged_at=_time(raw.get("merged_at")),
            closed_at=_time(raw.get("closed_at")),
            read_at=datetime.now(UTC),
        )

    def read_pulls(self, repositories: Sequence[str], head: str) -> Batch:
        """Read the pull requests from branch ``head`` of many repositories, and the open
        ones' review, checks and mergeability, in GraphQL queries of ``graphql_batch``
        repositories each (:mod:`.batch`); a second query re-reads those whose
        mergeability GitHub had not computed yet. Repositories it could not read (not
        found, an error, no GraphQL API) are left out: REST reads them as before."""
        from hammurabi.integrations.forges import batch

        found = batch.Batch()
        size = self.settings.graphql_batch
        if size <= 0 or not repositories:
            found.error = "GraphQL reads are off (github.graphql_batch = 0)" if size <= 0 else None
            return found
        by_owner: dict[str, list[str]] = {}
        for repository in repositories:  # an App's installations are per owner
            by_owner.setdefault(repository.split("/", 1)[0].lower(), []).append(repository)
        try:
            for group in by_owner.values():
                for start in range(0, len(group), size):
                    self._read_chunk(group[start : start + size], head, found)
            unknown = [name for name, known in found.known.items() if known.unknown_mergeable]
            for start in range(0, len(unknown), size):
                self._read_chunk(unknown[start : start + size], head, found)
        except ForgeError as exc:
            found.error = str(exc)
            log.info("%s; the rest is read through REST", exc)
        return found

    def _read_chunk(self, repositories: Sequence[str], head: str, found: Batch) -> None:
        from github import GithubException

        from hammurabi.integrations.forges import batch

        if not self._graphql:
            raise ForgeError("this GitHub has no GraphQL API")
        requester = self._client(repositories[0]).requester
        payload = {
            "query": batch.query(len(repositories)),
            "variables": batch.variables(repositories, head),
        }
        try:
            with self._api("reading pull requests through GraphQL"):
                try:
                    _, answer = requester.requestJsonAndCheck(
                        "POST", requester.graphql_url, input=payload
                    )
                except GithubException as exc:
                    if exc.status in (404, 410):
                        raise _NoGraphQL() from None
                    raise
        except _NoGraphQL:
            self._graphql = False
            raise ForgeError("this GitHub has no GraphQL API") from None
        found.queries += 1
        data = answer.get("data") if isinstance(answer, dict) else None
        errors = answer.get("errors") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            messages = "; ".join(
                str(error.get("message")) for error in errors or () if isinstance(error, dict)
            )
            raise ForgeError(
                redact(f"GitHub's GraphQL API refused the query: {messages}", self.secrets())
            )
        rate = data.get("rateLimit") or {}
        found.cost += int(rate.get("cost") or 0)
        found.remaining = rate.get("remaining", found.remaining)
        for error in errors or ():
            log.info("GraphQL: %s (read through REST)", error.get("message"))
        found.known.update(batch.read(data, repositories))

    def merge_pull(self, repository: str, pull: PullRequest, *, sha: str, method: str) -> str:
        """Merge ``pull`` with ``method`` if its head is still ``sha``; return the merge
        commit. GitHub refuses (405, 409) what branch protection or a moved head forbids."""
        raw = self._raw_pull(repository, pull)
        with self._api(f"merging pull request #{pull.number}", repository):
            status = raw.merge(merge_method=method, sha=sha)
        if not status.merged:
            raise ForgeError(f"GitHub did not merge #{pull.number}: {status.message}")
        return str(status.sha)

    def delete_branch(self, repository: str, branch: str) -> None:
        """Delete ``branch`` (one request)."""
        path = f"/repos/{repository}/git/refs/heads/{quote(branch, safe='/')}"
        with self._api(f"deleting the branch {branch}", repository):
            self._client(repository).requester.requestJsonAndCheck("DELETE", path)

    def _get(self, repository: str, path: str) -> Any:
        """GET ``path`` of the API as JSON, conditionally on the answer the last run kept."""
        from github import GithubException

        if self._etags is None:
            from hammurabi.integrations.forges.etags import ETagCache

            self._etags = ETagCache()
        key = f"{self._api_url}{path}"
        kept = self._etags.get(key)
        headers = {"If-None-Match": kept[0]} if kept else {}
        requester = self._client(repository).requester
        status, answer_headers, body = requester.requestJson("GET", path, headers=headers)
        if status == 304 and kept is not None:
            self.conditional_hits += 1
            return kept[1]
        data = json.loads(body) if body else None
        if status != 200:
            raise GithubException(status, data, answer_headers)
        etag = answer_headers.get("etag")
        if etag:
            self._etags.put(key, etag, data)
        return data

    def _get_all(self, repository: str, path: str) -> list[Any]:
        """GET a list of at most 100 items conditionally; a longer one page by page."""
        first = self._get(repository, f"{path}?per_page=100")
        if not isinstance(first, list) or len(first) < 100:
            return list(first or [])
        found, page = list(first), 2
        while True:
            more = self._get(repository, f"{path}?per_page=100&page={page}")
            found += more or []
            if not more or len(more) < 100:
                return found
            page += 1

    def _raw_pull(self, repository: str, pull: PullRequest) -> Any:
        raw = self._raw.get((repository, pull.number))
        if raw is None:
            with self._api(f"reading pull request #{pull.number}", repository):
                raw = self._repo(repository).get_pull(pull.number)
            self._raw[(repository, pull.number)] = raw
        return raw

    def _warn(self, message: str) -> None:
        message = redact(message, self.secrets())
        log.warning("%s", message)
        self.warnings.append(message)


def _newest_first(repository: str, head: str, base: str | None, state: str) -> dict[str, Any]:
    """The arguments of ``get_pulls`` listing the pull requests from branch ``head`` of
    ``repository`` (into ``base``) in ``state``, newest first."""
    owner = repository.split("/", 1)[0]
    options: dict[str, Any] = {
        "state": state,
        "head": f"{owner}:{head}",
        "sort": "created",
        "direction": "desc",
    }
    if base:
        options["base"] = base
    return options


class _AlreadyOpen(Exception):
    pass


class _NoGraphQL(Exception):
    pass


def _time(value: Any) -> datetime | None:
    """A GitHub timestamp (``2024-05-01T12:00:00Z``) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _counted(auth_class: type, forge: GitHubForge) -> type:
    """A subclass of a PyGithub ``Auth`` class that counts each request it authenticates
    (PyGithub authenticates every request it sends) on ``forge.api_calls``."""

    class Counted(auth_class):
        def authentication(self, headers: dict[str, Any]) -> None:
            forge.api_calls += 1
            super().authentication(headers)

    return Counted


#: What to do about an error status, appended to its message.
_HINTS = {
    401: "; set a valid token in HAMMURABI_GITHUB_TOKEN or GITHUB_TOKEN (or check the App's key)",
    403: "; give the token (or the GitHub App) write access to contents and pull requests",
    404: "; check the remote URL (or github.repository) and that the token can see it",
    422: "; GitHub refused the request as sent (see its message)",
    500: "; GitHub is failing: try again later",
}


def _not_set() -> Any:
    from github.GithubObject import NotSet

    return NotSet


def _replace(pull: PullRequest, **changes: Any) -> PullRequest:
    import dataclasses

    return dataclasses.replace(pull, **changes)


def _message(exc: Any) -> str:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        message = str(data.get("message") or "")
        details = [
            str(error.get("message") or error.get("code") or "")
            for error in data.get("errors") or ()
            if isinstance(error, dict)
        ]
        details = [detail for detail in details if detail]
        if details:
            message = f"{message} ({'; '.join(details)})" if message else "; ".join(details)
        return message or "no message"
    return str(data or getattr(exc, "message", "") or "no message")


def _split_remote(url: str) -> tuple[str | None, str]:
    """(host, path) of a git remote URL: ``https://…``, ``ssh://…`` or ``git@host:path``."""
    if "://" in url:
        parts = urlsplit(url)
        return parts.hostname, parts.path
    if ":" in url and not url.startswith(("/", ".")):
        host, _, path = url.partition(":")
        return host.rsplit("@", 1)[-1], path
    return None, url
