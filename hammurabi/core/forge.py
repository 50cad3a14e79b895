"""Forges: where pull requests live. A small interface that GitHub and plugins implement.

It is in the core, with the values it trades in, so the hook specifications and the
orchestration name it without importing any forge; GitHub's implementation is
:mod:`hammurabi.integrations.forges.github_forge`.

A forge plugin implements the ``hammurabi_forge(settings)`` hook and returns an object
following :class:`Forge` when it is configured for the run (the first non-None answer
wins). The workflow only ever sees the dataclasses below, never a forge library's objects.

Every method that writes is expected to write only what differs, so a re-run that finds
nothing new makes read requests only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from hammurabi.core.errors import ConfigError, HammurabiError
from hammurabi.core.masking import redact as redact  # the forges' name for it

if TYPE_CHECKING:
    from hammurabi.core.records import Credentials

#: A reviewer sets it on a closed pull request to have the same change proposed again.
RE_PROPOSE_LABEL = "hammurabi:re-propose"
#: A reviewer sets it on the pull request to let Hammurabi rebuild a branch that holds
#: commits it did not make (they are dropped); Hammurabi removes it once done.
REBUILD_LABEL = "hammurabi:rebuild"
#: The prefix of every hidden marker Hammurabi leaves in pull requests and comments.
MARKER_PREFIX = "hammurabi:"
_MARKER = re.compile(r"<!--\s*hammurabi:(?P<kind>[\w.-]+)(?P<data>\s+\{.*?\})?\s*-->", re.S)


class ForgeError(HammurabiError):
    """The forge refused or failed a request (authentication, permissions, validation)."""


@dataclass(frozen=True)
class PullRequest:
    """A pull request as a forge reports it."""

    number: int
    url: str
    #: open, closed or merged.
    state: str
    title: str
    body: str
    head: str
    base: str
    head_sha: str | None = None
    draft: bool = False
    labels: tuple[str, ...] = ()
    #: Requested reviewers: user logins, and teams as ``org/slug``.
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    author: str | None = None
    created_at: datetime | None = None

    @property
    def hammurabi(self) -> bool:
        """Whether the body carries Hammurabi's pull-request marker."""
        return find_marker(self.body, "pull-request") is not None

    @property
    def fingerprint(self) -> str | None:
        """The fingerprint of the change the body says it proposes, if recorded."""
        value = (find_marker(self.body, "pull-request") or {}).get("fingerprint")
        return value if isinstance(value, str) else None

    def has_label(self, name: str) -> bool:
        return name.lower() in {label.lower() for label in self.labels}

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "url": self.url,
            "state": self.state,
            "title": self.title,
            "head": self.head,
            "base": self.base,
            "head_sha": self.head_sha,
            "draft": self.draft,
            "labels": list(self.labels),
            "reviewers": list(self.reviewers),
            "assignees": list(self.assignees),
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


@dataclass(frozen=True)
class PullRequestOptions:
    """What a forge's settings ask of every pull request it opens or updates."""

    #: A ``str.format`` template; see :func:`render_title` for its fields.
    title: str = "Hammurabi: {summary}"
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False


@dataclass(frozen=True)
class PullRequestSpec:
    """The pull request a run wants: the workflow builds it, the forge makes it so."""

    head: str
    base: str
    title: str
    body: str
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False


@dataclass(frozen=True)
class ListedRepository:
    """A repository as a forge lists it (for fleet runs over an organization)."""

    full_name: str
    clone_url: str
    default_branch: str | None = None
    archived: bool = False
    topics: tuple[str, ...] = ()


@runtime_checkable
class Forge(Protocol):
    """A pull-request host. Repositories are named ``owner/name``."""

    #: Short name, recorded in reports (``github``).
    name: str
    options: PullRequestOptions
    #: Problems that did not stop the run (a reviewer who cannot be requested, ...).
    warnings: list[str]

    def repository(self, remote_url: str) -> str | None:
        """Return the repository a git remote URL points at, or None if not on this forge."""
        ...

    def git_credentials(self, repository: str) -> Credentials | None:
        """Return credentials for HTTPS pushes to ``repository``, or None to use git's own."""
        ...

    def secrets(self) -> list[str]:
        """Return every secret in use, so messages can be scrubbed of them."""
        ...

    def check_access(self, repository: str) -> None:
        """Raise :class:`ForgeError` (naming ``repository`` and what to do) unless the
        credentials work and may push to it and open pull requests; before any push."""
        ...

    def find_pull(self, repository: str, head: str, base: str | None) -> PullRequest | None:
        """Return the open pull request from branch ``head`` (into ``base``), if any."""
        ...

    def find_closed_pull(self, repository: str, head: str, base: str | None) -> PullRequest | None:
        """Return Hammurabi's most recent closed (or merged) pull request from ``head``."""
        ...

    def open_pull(self, repository: str, spec: PullRequestSpec) -> PullRequest:
        """Open a pull request; if one appeared meanwhile for the branch, update that one."""
        ...

    def remove_label(self, repository: str, pull: PullRequest, label: str) -> None:
        """Take ``label`` off ``pull`` (a control label, once it has been acted on)."""
        ...

    def update_pull(
        self, repository: str, pull: PullRequest, spec: PullRequestSpec
    ) -> tuple[PullRequest, list[str]]:
        """Make ``pull`` match ``spec``, sending only what differs (nothing if nothing does).

        Return the updated pull request and the names of the fields that were changed.
        """
        ...

    def close_pull(self, repository: str, pull: PullRequest, comment: str) -> PullRequest:
        """Comment on ``pull`` and close it."""
        ...

    def upsert_comment(self, repository: str, pull: PullRequest, key: str, body: str) -> bool:
        """Leave a comment marked ``key``, or edit Hammurabi's earlier one; False if unchanged."""
        ...

    # Optional: ``list_repositories(owner: str) -> list[ListedRepository]`` lets fleet runs
    # take an organization's (or user's) repositories (``hammurabi enforce --org``).


def pull_changes(pull: PullRequest, spec: PullRequestSpec) -> list[str]:
    """Name the fields ``pull`` would have to change to match ``spec`` (no requests).

    Labels, reviewers and assignees are only ever added: ones people added are kept.
    """
    changes = []
    if pull.title.strip() != spec.title.strip():
        changes.append("title")
    if normalize_body(pull.body) != normalize_body(spec.body):
        changes.append("body")
    if missing(spec.labels, pull.labels):
        changes.append("labels")
    if missing(spec.reviewers, (*pull.reviewers, *((pull.author,) if pull.author else ()))):
        changes.append("reviewers")
    if missing(spec.assignees, pull.assignees):
        changes.append("assignees")
    if pull.draft != spec.draft:
        changes.append("draft")
    return changes


def missing(wanted: Iterable[str], present: Iterable[str]) -> list[str]:
    """The names in ``wanted`` not in ``present`` (compared case-insensitively)."""
    have = {name.lower() for name in present}
    return [name for name in wanted if name.lower() not in have]


def normalize_body(body: str | None) -> str:
    """Compare bodies the way a forge stores them: ``\\n`` newlines, no trailing space."""
    return (body or "").replace("\r\n", "\n").strip()


def marker(kind: str, **data: Any) -> str:
    """A hidden HTML comment naming ``kind`` with JSON data, e.g. for a pull-request body."""
    payload = f" {json.dumps(data, sort_keys=True, separators=(',', ':'))}" if data else ""
    payload = payload.replace("--", "\\u002d\\u002d")
    return f"<!-- {MARKER_PREFIX}{kind}{payload} -->"


def find_marker(text: str | None, kind: str) -> dict[str, Any] | None:
    """The data of the first ``kind`` marker in ``text``, ``{}`` if it has none, else None."""
    for match in _MARKER.finditer(text or ""):
        if match["kind"] != kind:
            continue
        if not match["data"]:
            return {}
        try:
            data = json.loads(match["data"])
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return None


@dataclass(frozen=True)
class TitleFields:
    """The fields a pull-request title template can use."""

    summary: str
    count: int
    laws: str
    branch: str
    base: str
    repository: str
    extra: dict[str, str] = field(default_factory=dict)


def render_title(template: str, fields: TitleFields) -> str:
    """Fill a title template: ``{summary}``, ``{count}``, ``{laws}``, ``{branch}``,
    ``{base}``, ``{repository}``. Unknown fields are a configuration error."""
    values = {
        "summary": fields.summary,
        "count": fields.count,
        "laws": fields.laws,
        "branch": fields.branch,
        "base": fields.base,
        "repository": fields.repository,
        **fields.extra,
    }
    try:
        title = template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        known = ", ".join("{" + name + "}" for name in values)
        raise ConfigError(
            f"pull request title template {template!r} is invalid ({exc}); fields: {known}"
        ) from None
    title = " ".join(title.split())
    return title[:250] or "Hammurabi"
