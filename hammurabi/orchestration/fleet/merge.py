"""Join the JSON reports of a fleet run's shards into the report of the whole run.

A CI matrix runs ``hammurabi enforce --shard K/N`` on N machines; each writes its own JSON
report. :func:`merge` reads them back and refuses, naming the file, what would not add up:
a file that is not a fleet report, reports of different runs (run ids, apart from the
attempts of one GitHub Actions run), of different laws (bot branch, law names), of dry and
real runs mixed, of different shard counts, or one repository reported twice. The merged
record has the same counts as one run over all the repositories.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hammurabi.core.errors import ConfigError
from hammurabi.core.results import Status
from hammurabi.orchestration.fleet.records import FleetResult, RepoRun
from hammurabi.orchestration.fleet.targets import Shard

#: Keys of a repository entry kept as they are (the record of a repository's run).
DETAIL_KEYS = ("files", "failures", "diff", "timings")
_GITHUB_RUN = re.compile(r"^gh-(\d+)-\d+$")


def read(path: str | os.PathLike[str]) -> FleetResult:
    """Read one fleet JSON report back; a file that is not one is a one-line error."""
    name = os.fspath(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the report {name!r}: {exc.strerror}") from None
    except ValueError:
        raise ConfigError(f"the report {name!r} is not valid JSON") from None
    try:
        return _result(data)
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise ConfigError(f"{name!r} is not a Hammurabi fleet report ({_why(exc)})") from None


def merge(paths: list[str]) -> FleetResult:
    """The run the reports at ``paths`` are the shards of; see the module docstring."""
    if not paths:
        raise ConfigError("report merge needs at least one JSON fleet report")
    parts = [(path, read(path)) for path in paths]
    first_path, first = parts[0]
    seen: dict[str, str] = {}
    shards: list[Shard] = []
    for path, part in parts:
        _same(first_path, first, path, part)
        if part.shard:
            shards.append(Shard.parse(part.shard))
        for repo in part.repos:
            key = repo.name.lower()
            if key in seen:
                raise ConfigError(
                    f"repository {repo.name!r} is in two reports: {seen[key]!r} and {path!r}"
                )
            seen[key] = path
    counts = {shard.count for shard in shards}
    if len(counts) > 1:
        raise ConfigError(f"the reports split the fleet differently: shards {_list(shards)}")
    ids = sorted({part.run_id for _, part in parts}, key=_attempt)
    merged = FleetResult(
        ids[-1],
        first.dry_run,
        shards=[str(s) for s in sorted(set(shards), key=lambda s: s.index)],
        branch=first.branch,
        laws=first.laws,
        archived=sorted({name for _, part in parts for name in part.archived}),
        started_at=min(part.started_at for _, part in parts),
        interrupted=any(part.interrupted for _, part in parts),
    )
    ended = max(part.started_at + timedelta(seconds=part.seconds) for _, part in parts)
    merged.seconds = (ended - merged.started_at).total_seconds()
    merged.repos = sorted(
        (repo for _, part in parts for repo in part.repos), key=lambda r: r.name.lower()
    )
    return merged


def missing_shards(result: FleetResult) -> list[str]:
    """The shards of the split that no merged report covers (``3/8``, ...)."""
    taken = [Shard.parse(text) for text in result.shards]
    if not taken:
        return []
    count = taken[0].count
    have = {shard.index for shard in taken}
    return [f"{index}/{count}" for index in range(1, count + 1) if index not in have]


def _same(first_path: str, first: FleetResult, path: str, part: FleetResult) -> None:
    """Refuse ``part`` unless it is a shard of the same run, laws and mode as ``first``."""
    checks = (
        ("run", _run_key(first.run_id), _run_key(part.run_id), first.run_id, part.run_id),
        ("bot branch", first.branch, part.branch, first.branch, part.branch),
        ("laws", first.laws, part.laws, ", ".join(first.laws), ", ".join(part.laws)),
        ("dry run", first.dry_run, part.dry_run, first.dry_run, part.dry_run),
    )
    for what, mine, theirs, shown_first, shown in checks:
        if mine != theirs:
            raise ConfigError(
                f"{path!r} is not a shard of the run in {first_path!r}: "
                f"{what} {shown!r}, not {shown_first!r}"
            )


def _run_key(run_id: str) -> str:
    """The run an id belongs to: the attempts of one GitHub Actions run are one run."""
    match = _GITHUB_RUN.match(run_id)
    return f"gh-{match[1]}" if match else run_id


def _attempt(run_id: str) -> int:
    match = _GITHUB_RUN.match(run_id)
    return int(run_id.rsplit("-", 1)[1]) if match else 0


def _result(data: Any) -> FleetResult:
    if not isinstance(data, dict) or not isinstance(data["repos"], list):
        raise TypeError("no list of repositories")
    result = FleetResult(
        _text(data["run_id"]),
        bool(data["dry_run"]),
        shard=data.get("shard"),
        shards=list(data.get("shards") or []),
        branch=data.get("branch"),
        laws=[_text(name) for name in data.get("laws") or []],
        archived=[_text(name) for name in data.get("archived") or []],
        started_at=datetime.fromisoformat(data["started_at"]),
        seconds=float(data.get("seconds") or 0.0),
        interrupted=bool(data.get("interrupted")),
    )
    if result.shard:
        Shard.parse(result.shard)
    result.repos = [_repo(entry) for entry in data["repos"]]
    return result


def _repo(entry: Any) -> RepoRun:
    pull = entry.get("pull") or {}
    if not isinstance(pull, dict):
        raise TypeError(f"repository {entry.get('name')!r}: 'pull' is not an object")
    return RepoRun(
        _text(entry["name"]),
        Status(entry["status"]),
        entry.get("reason"),
        branch=entry.get("branch"),
        pull=pull,
        stage=entry.get("stage") if isinstance(entry.get("stage"), str) else None,
        earlier=bool(entry.get("earlier")),
        seconds=float(entry.get("seconds") or 0.0),
        detail={key: entry[key] for key in DETAIL_KEYS if key in entry},
    )


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{value!r} is not a name")
    return value


def _why(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"no {exc.args[0]!r}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _list(shards: list[Shard]) -> str:
    return ", ".join(str(shard) for shard in shards)
