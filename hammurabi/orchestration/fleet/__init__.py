"""Fleet runs: the laws over many repositories, concurrently, resumably, sharded for CI.

* :mod:`~hammurabi.orchestration.fleet.targets` — which repositories (list file, forge
  listing, filters, shards);
* :mod:`~hammurabi.orchestration.fleet.cache` — clones kept between runs;
* :mod:`~hammurabi.orchestration.fleet.state` — the state file that makes a run resumable;
* :mod:`~hammurabi.orchestration.fleet.limits` — limits on forge writes and pull requests per run;
* :mod:`~hammurabi.orchestration.fleet.run` — running the repositories;
* :mod:`~hammurabi.cli.fleet_report` and :mod:`~hammurabi.cli.fleet_progress` — what is shown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from hammurabi.core.errors import ConfigError

if TYPE_CHECKING:
    from hammurabi.orchestration.fleet.records import FleetResult
    from hammurabi.orchestration.fleet.run import FleetOptions, Observer
    from hammurabi.orchestration.fleet.targets import Selection
    from hammurabi.orchestration.repository import Session

__all__ = ["check_run_id", "default_run_id", "enforce_fleet"]

_RUN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if it is 1-64 letters, digits, ``.``, ``_``, ``:`` or ``-``."""
    if not _RUN_ID.match(run_id):
        raise ConfigError(f"--run-id {run_id!r}: use 1 to 64 letters, digits, '.', '_', ':', '-'")
    return run_id


def default_run_id(env: Mapping[str, str] | None = None) -> str:
    """A run id shared by every job of one GitHub Actions run (its shards), else a new one."""
    from hammurabi.core.engine import new_run_id

    environ = os.environ if env is None else env
    run = environ.get("GITHUB_RUN_ID", "").strip()
    if run.isdigit():
        attempt = environ.get("GITHUB_RUN_ATTEMPT", "1").strip() or "1"
        return f"gh-{run}-{attempt}"
    return new_run_id()


def enforce_fleet(
    session: Session,
    selection: Selection,
    options: FleetOptions,
    *,
    observer: Observer | None = None,
    env: Mapping[str, str] | None = None,
) -> FleetResult:
    """Find the repositories of ``selection`` and run the session's laws over them."""
    from hammurabi.orchestration.fleet.run import run_fleet
    from hammurabi.orchestration.fleet.targets import gather

    settings = session.settings
    forge = session.pm.hook.hammurabi_forge(settings=settings) if selection.owner else None
    environ = os.environ if env is None else env
    targets, archived = gather(selection, forge, settings.github.api_base(environ))
    return run_fleet(
        session,
        targets,
        options,
        new_run_id=default_run_id(environ),
        observer=observer,
        archived=archived,
    )
