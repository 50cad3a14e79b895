"""Which repositories a fleet run works on: a list file, a forge listing, filters and shards.

A list file holds one repository a line: ``owner/name`` (cloned from the forge's web host)
or a clone URL or path (``https://host/o/r.git``, ``git@host:o/r.git``, ``/srv/git/o/r.git``).
Blank lines and ``#`` comments are ignored. Credentials written into a URL are taken out of
it at once: the URL kept (and put in ``.git/config``) never carries them; they are used to
clone and fetch (pushes use the forge's credentials).

Shards split the set by a hash of each repository's name, so a repository stays in the same
shard when others are added or removed, and every repository is in exactly one shard.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from hammurabi.core.errors import ConfigError

if TYPE_CHECKING:
    from hammurabi.core.records import Credentials
    from hammurabi.integrations.forges.base import ListedRepository

_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Target:
    """One repository of the fleet."""

    #: ``owner/name``: the key in reports, state files, metrics and shards.
    name: str
    #: Where to clone from; never carries credentials.
    url: str
    #: Credentials that were written into the URL of a list file (never stored).
    credentials: Credentials | None = field(default=None, repr=False, compare=False)


def web_url(api_url: str) -> str:
    """The git host of a GitHub API URL: ``https://github.com`` or ``https://HOST``."""
    parts = urlsplit(api_url.rstrip("/"))
    host = parts.netloc
    if host.lower() == "api.github.com":
        host = "github.com"
    return f"{parts.scheme or 'https'}://{host}"


def parse_line(line: str, host_url: str, *, where: str = "") -> Target | None:
    """Read one line of a list file; None for blank lines and comments."""
    from hammurabi.integrations.git import Credentials, safe_url

    text = line.split("#", 1)[0].strip()
    if not text:
        return None
    if _NAME.match(text) and not os.path.isabs(text):
        name = text.removesuffix(".git")
        return Target(name, f"{host_url.rstrip('/')}/{name}.git")
    credentials = None
    if "://" in text:
        parts = urlsplit(text)
        if parts.password:
            credentials = Credentials(unquote(parts.username or ""), unquote(parts.password))
        elif parts.username:  # a token as the user name (GitHub accepts that too)
            credentials = Credentials(unquote(parts.username), "")
        url = safe_url(text)
        path = parts.path
    elif ":" in text and not text.startswith(("/", ".")) and "@" in text.split(":", 1)[0]:
        url, path = text, text.split(":", 1)[1]
    else:
        url, path = os.path.abspath(text), text
    pieces = [piece for piece in path.rstrip("/").split("/") if piece]
    if not pieces:
        raise ConfigError(f"{where}cannot tell a repository name from {safe_url(text)!r}")
    tail = [piece.removesuffix(".git") for piece in pieces[-2:]]
    return Target("/".join(tail), url, credentials)


def read_list(path: str | os.PathLike[str], host_url: str) -> list[Target]:
    """Read a list file (see the module docstring); duplicates are dropped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the repository list {os.fspath(path)!r}: {exc.strerror}"
        ) from None
    targets = []
    for number, line in enumerate(text.splitlines(), 1):
        target = parse_line(line, host_url, where=f"{os.fspath(path)}:{number}: ")
        if target is not None:
            targets.append(target)
    return unique(targets)


def from_listing(
    listed: Iterable[ListedRepository], *, topics: Sequence[str] = ()
) -> tuple[list[Target], list[str]]:
    """Targets from a forge listing with all of ``topics``; archived ones are left out.

    Return the targets and the names of the archived repositories skipped.
    """
    wanted = {topic.lower() for topic in topics}
    targets, archived = [], []
    for repo in listed:
        if wanted - {topic.lower() for topic in repo.topics}:
            continue
        if repo.archived:
            archived.append(repo.full_name)
            continue
        targets.append(Target(repo.full_name, repo.clone_url))
    return unique(targets), sorted(archived)


def unique(targets: Iterable[Target]) -> list[Target]:
    """Drop later targets with a name already seen (case-insensitive), keep the order."""
    seen: set[str] = set()
    kept = []
    for target in targets:
        key = target.name.lower()
        if key not in seen:
            seen.add(key)
            kept.append(target)
    return kept


def matches(name: str, pattern: str) -> bool:
    """Glob ``pattern`` against ``owner/name``, or against the name alone if it has no ``/``."""
    subject = name if "/" in pattern else name.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(subject.lower(), pattern.lower())


def select(
    targets: Iterable[Target], include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[Target]:
    """Keep targets matching one ``include`` glob (all when none) and no ``exclude`` glob."""
    return [
        target
        for target in targets
        if (not include or any(matches(target.name, p) for p in include))
        and not any(matches(target.name, p) for p in exclude)
    ]


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Read ``K/N`` with 1 <= K <= N."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match:
            raise ConfigError(f"--shard must look like K/N (e.g. 2/8), not {text!r}")
        index, count = int(match[1]), int(match[2])
        if not 1 <= index <= count:
            raise ConfigError(f"--shard {text}: K must be between 1 and N")
        return cls(index, count)

    def holds(self, name: str) -> bool:
        """Tell whether repository ``name`` belongs to this shard."""
        digest = hashlib.sha256(name.lower().encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard(targets: Iterable[Target], part: Shard | None) -> list[Target]:
    """The targets in shard ``part`` (all of them when None)."""
    return [t for t in targets if part is None or part.holds(t.name)]


@dataclass(frozen=True)
class Selection:
    """Which repositories to take: a list file and/or a forge owner, filters, a shard."""

    repos_file: str | None = None
    owner: str | None = None
    topics: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    shard: Shard | None = None

    @property
    def wanted(self) -> bool:
        """Tell whether a fleet was asked for at all."""
        return bool(self.repos_file or self.owner)


def gather(
    selection: Selection, forge: object | None, api_url: str
) -> tuple[list[Target], list[str]]:
    """The targets of ``selection``, in order, and the archived repositories skipped.

    ``forge`` (what the ``hammurabi_forge`` hook returned) lists ``selection.owner``;
    ``api_url`` gives the git host for ``owner/name`` lines of a list file.
    """
    targets: list[Target] = []
    archived: list[str] = []
    if selection.repos_file:
        targets += read_list(selection.repos_file, web_url(api_url))
    if selection.owner:
        lister = getattr(forge, "list_repositories", None)
        if lister is None:
            what = (
                "no forge is configured (set a GitHub token)"
                if forge is None
                else (f"the {getattr(forge, 'name', 'configured')} forge cannot list repositories")
            )
            raise ConfigError(f"--org {selection.owner}: {what}")
        listed, archived = from_listing(lister(selection.owner), topics=selection.topics)
        targets += listed
    elif selection.topics:
        raise ConfigError("--topic needs --org: topics are read from the forge's listing")
    targets = select(unique(targets), selection.include, selection.exclude)
    return shard(targets, selection.shard), archived
