"""The stand-in's data model: users, tokens, apps, repositories, issues and pull requests."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from .errors import ApiError, not_found
from .gitstore import BareRepo

IdentityKind = Literal["user", "installation", "app", "anonymous"]


def now() -> datetime:
    """Return the current UTC time at GitHub's one-second resolution."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class User:
    """A user, bot or organization account."""

    id: int
    login: str
    type: Literal["User", "Organization", "Bot"] = "User"


@dataclass(frozen=True)
class Identity:
    """Who a request authenticates as."""

    login: str
    kind: IdentityKind
    token: str | None = None
    installation_id: int | None = None
    app_id: int | None = None
    repos: frozenset[str] | None = None  # lower-case full names an installation may use
    expires_at: float | None = None  # epoch seconds, for installation tokens

    @property
    def authenticated(self) -> bool:
        """Tell whether the request carried valid credentials."""
        return self.kind != "anonymous"


ANONYMOUS = Identity(login="", kind="anonymous")


@dataclass
class Label:
    """A repository label; issues refer to it by its lower-case name."""

    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class Comment:
    """An issue (or pull request conversation) comment."""

    id: int
    number: int
    body: str
    user: str
    created_at: datetime
    updated_at: datetime


@dataclass
class PullInfo:
    """What a pull request adds to an issue."""

    head_ref: str
    base_ref: str
    head_sha: str
    base_sha: str
    draft: bool = False
    requested_reviewers: list[str] = field(default_factory=list)
    maintainer_can_modify: bool = False
    merged_at: datetime | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    #: The (head, base) tips GitHub last computed mergeability for; until a read asks for the
    #: current pair, ``mergeable`` is null (GitHub computes it in the background).
    mergeable_for: tuple[str, str] | None = None


@dataclass
class Issue:
    """An issue; a pull request is an issue with ``pull`` set (one number sequence)."""

    id: int
    number: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    updated_at: datetime
    state: Literal["open", "closed"] = "open"
    closed_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    pull: PullInfo | None = None


@dataclass
class Status:
    """A commit status."""

    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created_at: datetime
    updated_at: datetime


@dataclass
class Review:
    """A pull request review; ``PENDING`` until submitted (then ``submitted_at`` is set)."""

    id: int
    number: int
    user: str
    state: str
    body: str
    commit_id: str
    submitted_at: datetime | None = None


@dataclass
class CheckRun:
    """A check run (only GitHub Apps may create them)."""

    id: int
    app_id: int | None
    head_sha: str
    name: str
    status: str
    conclusion: str | None
    details_url: str | None
    external_id: str | None
    output: dict[str, Any]
    started_at: datetime
    completed_at: datetime | None


@dataclass
class Protection:
    """A branch's protection rules, as far as they decide whether a pull request may merge."""

    #: Required checks: ``(context, app_id)``; a check run's name or a status's context.
    checks: list[tuple[str, int | None]] = field(default_factory=list)
    #: Whether required checks are on at all (``required_status_checks`` is not null).
    require_checks: bool = False
    #: The head must contain the base's tip ("Require branches to be up to date").
    strict: bool = False
    #: Approving reviews needed from people with write access; None: no review rule.
    approvals: int | None = None
    dismiss_stale_reviews: bool = False
    #: Administrators are held to the rules too (otherwise they may merge regardless).
    enforce_admins: bool = False


@dataclass
class Repo:
    """A repository: its bare git repository plus its issues, labels, comments and statuses."""

    id: int
    owner: str
    name: str
    bare: BareRepo
    default_branch: str
    private: bool = False
    archived: bool = False
    description: str | None = None
    topics: list[str] = field(default_factory=list)
    collaborators: list[str] = field(default_factory=list)
    #: Users whose tokens may only read the repository (``permissions.push`` is false).
    readers: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=now)
    pushed_at: datetime = field(default_factory=now)
    issues: dict[int, Issue] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    statuses: list[Status] = field(default_factory=list)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    reviews: dict[int, Review] = field(default_factory=dict)
    protections: dict[str, Protection] = field(default_factory=dict)
    #: Users with admin rights (they may bypass protection unless it is enforced for admins).
    admins: list[str] = field(default_factory=list)
    allow_merge_commit: bool = True
    allow_squash_merge: bool = True
    allow_rebase_merge: bool = True
    delete_branch_on_merge: bool = False

    @property
    def full_name(self) -> str:
        """Return ``owner/name``."""
        return f"{self.owner}/{self.name}"

    def may_write(self, who: Identity) -> bool:
        """Tell whether ``who`` has more than read access (users listed as readers do not)."""
        return who.kind != "user" or who.login.lower() not in {r.lower() for r in self.readers}

    def is_admin(self, login: str) -> bool:
        """Tell whether ``login`` administers the repository (its owner or a listed admin)."""
        return login.lower() in {a.lower() for a in [*self.admins, self.owner]}

    def is_collaborator(self, login: str) -> bool:
        """Tell whether ``login`` may be asked for reviews and assigned."""
        return login.lower() in {c.lower() for c in [*self.collaborators, self.owner]}

    def issue(self, number: int) -> Issue:
        """Return an issue or pull request by number, or raise 404."""
        try:
            return self.issues[number]
        except KeyError:
            raise not_found() from None

    def pull(self, number: int) -> Issue:
        """Return a pull request by number, or raise 404."""
        issue = self.issue(number)
        if issue.pull is None:
            raise not_found()
        return issue


@dataclass
class Installation:
    """An installation of a GitHub App on some repositories."""

    id: int
    app_id: int
    account: str
    repos: list[str]


@dataclass
class App:
    """A GitHub App: its id, slug and public key for verifying JWTs."""

    id: int
    slug: str
    owner: str
    public_key: Any
    installations: dict[int, Installation] = field(default_factory=dict)


class State:
    """Everything the stand-in knows; hold ``lock`` while reading or changing it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repo] = {}
        self.tokens: dict[str, Identity] = {}
        self.apps: dict[int, App] = {}
        self._ids = itertools.count(1001)

    def next_id(self) -> int:
        """Return a fresh id (one sequence for every object kind)."""
        return next(self._ids)

    def user(self, login: str, type: Literal["User", "Organization", "Bot"] = "User") -> User:
        """Return the account ``login``, creating it if needed."""
        with self.lock:
            key = login.lower()
            if key not in self.users:
                self.users[key] = User(id=self.next_id(), login=login, type=type)
            return self.users[key]

    def find_user(self, login: str) -> User:
        """Return a known account or raise 404."""
        try:
            return self.users[login.lower()]
        except KeyError:
            raise not_found() from None

    def repo(self, full_name: str) -> Repo:
        """Return a repository by ``owner/name`` (case-insensitive) or raise 404."""
        try:
            return self.repos[full_name.lower()]
        except KeyError:
            raise not_found() from None

    def can_see(self, who: Identity, repo: Repo) -> bool:
        """Tell whether ``who`` may read ``repo``."""
        if not repo.private:
            return True
        if who.kind == "user":
            return True
        return who.repos is not None and repo.full_name.lower() in who.repos

    def repo_for(self, who: Identity, full_name: str, write: bool = False) -> Repo:
        """Return a repository ``who`` may read (or write), raising GitHub's errors otherwise."""
        repo = self.repo(full_name)
        if who.kind == "app":
            raise ApiError(403, "Resource not accessible by integration")
        if not self.can_see(who, repo):
            raise not_found()
        if write:
            if not who.authenticated:
                raise ApiError(401, "Requires authentication")
            if who.repos is not None and repo.full_name.lower() not in who.repos:
                raise ApiError(403, "Resource not accessible by integration")
            if repo.archived:
                raise ApiError(403, "Repository was archived so is read-only.")
            if not repo.may_write(who):
                raise ApiError(403, "Resource not accessible by personal access token")
        return repo

    def visible_repos(self, who: Identity) -> list[Repo]:
        """Return every repository ``who`` may read, oldest first."""
        return [r for r in self.repos.values() if self.can_see(who, r)]
