"""Clones kept between fleet runs: clone a repository once, fetch it afterwards.

Each repository has its own folder, ``<cache>/<host>/<owner>/<name>``. Its ``origin`` is the
repository's URL without credentials (tokens reach git through the process environment only,
see :func:`hammurabi.integrations.git.credential_env`). A clone is partial where the remote
supports it (blobs are downloaded when a work tree needs them) and has no checkout: the
workflow builds the bot branch in the work tree it keeps in the clone's git dir, so runs
only fetch and reset it. A folder that is not a clone of the expected URL is replaced.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from hammurabi.integrations.git import Credentials, Repository
    from hammurabi.orchestration.fleet.targets import Target

log = logging.getLogger(__name__)

REMOTE = "origin"


def default_dir(env: dict[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/hammurabi/repos`` (``~/.cache`` when unset)."""
    environ = os.environ if env is None else env
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hammurabi" / "repos"


def folder(cache: Path, target: Target) -> Path:
    """Where ``target``'s clone lives in ``cache``."""
    host = urlsplit(target.url).netloc if "://" in target.url else "local"
    parts = [host or "local", *target.name.split("/")]
    return cache.joinpath(*(re.sub(r"[^A-Za-z0-9._-]+", "_", part) or "_" for part in parts))


def checkout(
    cache: Path,
    target: Target,
    credentials: Credentials | None = None,
    *,
    refresh: list[str] | None = None,
) -> tuple[Repository, bool]:
    """Open ``target``'s cached clone, or clone it; return it and whether it was cloned.

    An existing clone fetches the remote's default branch and the branches in ``refresh``
    (the bot branch); those the remote lacks lose their remote-tracking refs. Either way
    the remote-tracking refs are then as fresh as the workflow needs them. The default
    branch is the one the clone recorded (``origin/HEAD``, which the workflow takes as the
    base), so one fetch does it all; a clone without one asks the remote first.
    """
    from hammurabi.integrations import git as gitops

    path = folder(cache, target)
    repo = gitops.open_repository(path) if path.is_dir() else None
    if repo is not None and repo.remote_url(REMOTE) != target.url:
        repo.close()
        repo = None
    if repo is None:
        if path.exists():
            log.info("replacing %s: not a clone of %s", path, gitops.safe_url(target.url))
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return gitops.clone(target.url, path, credentials=credentials, kept=True), True
    if refresh:
        try:
            default = repo.remote_default_branch(REMOTE)
            if default is not None:
                maybe = [name for name in refresh if name != default]
                repo.fetch(REMOTE, [default], credentials, maybe=maybe, kept=True)
                return repo, False
            state = repo.query_remote(REMOTE, refresh, credentials)
            wanted = [name for name in refresh if name in state.heads]
            if state.default_branch and state.default_branch not in wanted:
                wanted.insert(0, state.default_branch)
            repo.fetch(REMOTE, wanted, credentials, kept=True)
            for name in refresh:
                if name not in state.heads:
                    repo.forget_remote_branch(REMOTE, name)
        except BaseException:
            repo.close()
            raise
    return repo, False
