"""Hammurabi 0.11's settings, mapped to the current ones with one deprecation line per run.

0.11 read ``[tool.hammurabi]`` (and ``HAMMURABI_<KEY>`` variables) with these keys:

============================  =====================================================
0.11 key                      now
============================  =====================================================
``pillar_config``             ``laws = ["original:PATH"]`` (its pillar keeps the 0.11
``pillar_name``               meanings; ``original:PATH:NAME`` for another variable)
``git_branch_name``           ``git.branch``
``git_base_name``             ``git.base``
``allow_push``                ``git.push``
``repository``                ``github.repository``
``github_token``              ``github.token`` (better: ``GITHUB_TOKEN``)
``dry_run``                   ``enforce --dry-run``
``report_name``               where the 0.11 JSON report goes (``hammurabi_report.json``)
``rule_can_abort``            once a law fails, the laws after it are skipped
``log_level``                 the log level (``-v``)
``log_path``, ``log_format``  ignored: logs go to stderr
============================  =====================================================

The variables are ``HAMMURABI_PILLAR_CONFIG``, ``HAMMURABI_PILLAR_NAME``,
``HAMMURABI_GIT_BRANCH_NAME``, ``HAMMURABI_GIT_BASE_NAME``, ``HAMMURABI_ALLOW_PUSH``,
``HAMMURABI_REPOSITORY``, ``HAMMURABI_DRY_RUN``, ``HAMMURABI_REPORT_NAME``,
``HAMMURABI_RULE_CAN_ABORT``, ``HAMMURABI_LOG_LEVEL``, ``HAMMURABI_LOG_PATH`` and
``HAMMURABI_LOG_FORMAT`` (``HAMMURABI_GITHUB_TOKEN`` means what it means now).

A repository configured only with 0.11 keys and no ``pillar_config`` used 0.11's default,
``pillar.conf.py``. 0.11 ran on a dirty working tree, so such a repository gets
``git.allow_dirty`` (the changes are never touched). ``HAMMURABI_SETTINGS_PATH`` (0.11's
``-c``) names the settings file to read instead of ``pyproject.toml``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hammurabi.compat.mode import deprecated

if TYPE_CHECKING:
    from hammurabi.loading.settings import Settings

#: The prefix of a law source holding a pillar written for 0.11.
ORIGINAL_PREFIX = "original:"
#: 0.11's default pillar file and variable.
DEFAULT_PILLAR_CONFIG = "pillar.conf.py"
DEFAULT_PILLAR_NAME = "pillar"

#: 0.11 key -> (section, current key) for the keys with a current spelling.
_MAPPED: dict[str, tuple[str, str]] = {
    "git_branch_name": ("git", "branch"),
    "git_base_name": ("git", "base"),
    "allow_push": ("git", "push"),
    "repository": ("github", "repository"),
    "github_token": ("github", "token"),
}
#: 0.11 keys kept in ``Settings.original`` (no current setting).
_KEPT = ("dry_run", "report_name", "rule_can_abort", "log_level", "log_path", "log_format")
#: Every 0.11 key.
KEYS = frozenset({*_MAPPED, *_KEPT, "pillar_config", "pillar_name"})


def translate(
    table: Mapping[str, Any],
    where: str,
    folder: Path,
    original: dict[str, Any],
    *,
    expand: bool = False,
) -> dict[str, Any]:
    """``table`` with 0.11's keys replaced by current ones; the rest goes into ``original``.

    ``folder`` anchors a relative ``pillar_config``; nothing happens without 0.11 keys.
    ``expand`` expands ``$VARIABLES`` and ``~`` in ``pillar_config`` as 0.11 did: only for
    the runner's own environment, so a repository's file cannot spell a secret into a path
    that error messages show.
    """
    found = sorted(key for key in table if key in KEYS)
    if not found:
        return dict(table)
    out = {key: value for key, value in table.items() if key not in KEYS}
    for key in found:
        value = table[key]
        if key in _MAPPED:
            section, name = _MAPPED[key]
            out.setdefault(section, {})
            out[section] = {**out[section], name: value}
        elif key in _KEPT:
            original[key] = value
    # 0.11 ran on a dirty working tree (its report and log are written into it).
    out["git"] = {"allow_dirty": True, **out.get("git", {})}
    if "pillar_config" in table or "pillar_name" in table or "laws" not in table:
        config = table.get("pillar_config")
        if expand and config is not None:
            config = Path(os.path.expandvars(str(config))).expanduser()
        source = pillar_source(config, table.get("pillar_name"), folder)
        if source is not None:
            out["laws"] = [*(table.get("laws") or []), source]
    deprecated(
        f"{where} uses Hammurabi 0.11's settings ({', '.join(found)}); see docs/migration.md "
        "for the current spellings"
    )
    return out


def pillar_source(config: Any, name: Any, folder: Path) -> str | None:
    """The law source for 0.11's ``pillar_config``/``pillar_name`` (None: no such file)."""
    given = config is not None
    path = Path(str(config if given else DEFAULT_PILLAR_CONFIG))
    if not path.is_absolute():
        path = folder / path
    if not given and not name and not path.is_file():
        return None
    suffix = f":{name}" if name and name != DEFAULT_PILLAR_NAME else ""
    return f"{ORIGINAL_PREFIX}{path}{suffix}"


def default_pillar(settings: Settings, folder: Path) -> None:
    """With no laws configured anywhere, 0.11 ran ``pillar.conf.py``: so does a trusted run."""
    source = pillar_source(None, None, folder)
    if source is None:
        return
    deprecated(
        f"{DEFAULT_PILLAR_CONFIG} runs as Hammurabi 0.11 ran it, since no laws are configured; "
        f'set laws = ["{source}"] or see docs/migration.md'
    )
    settings.laws = [source]
    settings.original.setdefault("pillar_config", DEFAULT_PILLAR_CONFIG)
    settings.git.allow_dirty = True


def from_env(env: Mapping[str, str], folder: Path, original: dict[str, Any]) -> dict[str, Any]:
    """0.11's ``HAMMURABI_<KEY>`` variables as a settings table (empty when none is set).

    ``HAMMURABI_GITHUB_TOKEN`` is left to the current settings, where it means the same.
    """
    table: dict[str, Any] = {
        key: env[f"HAMMURABI_{key.upper()}"]
        for key in KEYS - {"github_token"}
        if f"HAMMURABI_{key.upper()}" in env
    }
    if not table:
        return {}
    if "pillar_config" not in table and "pillar_name" not in table:
        table["laws"] = []  # no pillar of 0.11's default from variables alone
    out = translate(table, "the environment", folder, original, expand=True)
    out["git"].pop("allow_dirty", None)  # only a repository configured for 0.11 is assumed dirty
    if not out["git"]:
        del out["git"]
    if out.get("laws") == []:
        del out["laws"]
    return out


def settings_file(env: Mapping[str, str]) -> Path | None:
    """The settings file 0.11's ``HAMMURABI_SETTINGS_PATH`` (its ``-c``) names, if any."""
    raw = env.get("HAMMURABI_SETTINGS_PATH")
    if not raw:
        return None
    return Path(os.path.expandvars(raw)).expanduser()


def split_source(source: str) -> tuple[Path, str | None] | None:
    """``original:PATH[:NAME]`` -> (PATH, NAME); None for any other law source."""
    if not source.startswith(ORIGINAL_PREFIX):
        return None
    rest = source[len(ORIGINAL_PREFIX) :]
    head, sep, tail = rest.rpartition(":")
    if sep and tail.isidentifier() and head:
        return Path(head), tail
    return Path(rest), None
