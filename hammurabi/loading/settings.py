"""Settings: ``[tool.hammurabi]`` in pyproject.toml or ``.hammurabi.toml``, then ``HAMMURABI_*``
environment variables, then command-line options — each overriding the one before.

Unknown keys are errors (the original Hammurabi ignored some keys silently). Sections are
nested tables (``[tool.hammurabi.github]``); their environment variables join the names
(``HAMMURABI_GITHUB_TOKEN``).
"""

# Annotations are evaluated here (no ``from __future__ import annotations``): each run reads
# the field types, which as strings would each be compiled first.

import dataclasses
import difflib
import functools
import logging
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hammurabi.core import masking
from hammurabi.core.errors import ConfigError

log = logging.getLogger(__name__)

ENV_PREFIX = "HAMMURABI_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass
class GitSettings:
    """``[tool.hammurabi.git]``: branches, commits and pushes (see hammurabi.integrations.git)."""

    #: Build the bot branch and commit per law when the path is the top of a git work
    #: tree; false: only edit the files in place (also ``--no-git``).
    enabled: bool = True
    #: The bot branch (also ``--branch``); empty means ``hammurabi/<name>``, the name of
    #: the law source (file stem, folder or module; ``laws`` for several or plugins).
    branch: str = ""
    #: The branch to start from; empty means the remote's default branch, or the current
    #: branch when the repository has no remote.
    base: str = ""
    #: The remote to fetch from and push to.
    remote: str = "origin"
    #: Push the bot branch and sync its pull request (also ``--push/--no-push``); false,
    #: or no remote: commit on the local branch only.
    push: bool = True
    #: Run although the working tree has uncommitted changes (also ``--allow-dirty``).
    #: They are never touched: the bot branch is built in a separate work tree.
    allow_dirty: bool = False
    #: Propose the change again although a reviewer closed the pull request proposing it
    #: (also ``--re-propose``; a reviewer can set the ``hammurabi:re-propose`` label).
    re_propose: bool = False
    #: Rebuild the bot branch although it holds commits Hammurabi did not make, dropping
    #: them (also ``--rebuild``; a reviewer can set the ``hammurabi:rebuild`` label).
    rebuild: bool = False
    #: Commit author; the committer too unless ``committer_*`` are set.
    author_name: str = "Hammurabi"
    #: Commit author's email.
    author_email: str = "hammurabi-bot@users.noreply.github.com"
    #: Committer name; empty: the author's.
    committer_name: str = ""
    #: Committer email; empty: the author's.
    committer_email: str = ""
    #: Commit signing: empty follows git config, ``off``, ``gpg``, ``ssh`` or ``x509``.
    sign: str = ""
    #: Signing key (``user.signingkey``) when ``sign`` is set; empty: git config's.
    signing_key: str = ""


#: The REST API of github.com.
DEFAULT_API_URL = "https://api.github.com"


@dataclass
class GitHubSettings:
    """``[tool.hammurabi.github]``: pull requests on GitHub (see ``integrations.forges.github``)."""

    #: API token; ``GITHUB_TOKEN`` is used when empty. Never printed or written to disk.
    token: str = field(default="", repr=False)
    #: REST API base URL; empty: ``GITHUB_API_URL`` or ``https://api.github.com``. For
    #: GitHub Enterprise: ``https://HOST/api/v3``.
    api_url: str = ""
    #: GitHub App authentication instead of a token: the App id (with ``private_key`` or
    #: ``private_key_path``).
    app_id: str = ""
    #: The App's private key (PEM text). Never printed or written to disk.
    private_key: str = field(default="", repr=False)
    #: A file holding the App's private key (PEM), instead of ``private_key``.
    private_key_path: str = ""
    #: The App installation to act as; 0: looked up from the repository or organization.
    installation_id: int = 0
    #: ``owner/name``; empty: taken from the remote URL (same host as the API only).
    repository: str = ""
    #: Pull request title template: {summary}, {count}, {laws}, {branch}, {base}, {repository}.
    title: str = "Hammurabi: {summary}"
    #: Labels put on the pull request.
    labels: list[str] = field(default_factory=lambda: ["hammurabi"])
    #: Reviewers to request: user logins, or ``org/team-slug`` for teams.
    reviewers: list[str] = field(default_factory=list)
    #: User logins to assign the pull request to.
    assignees: list[str] = field(default_factory=list)
    #: Open pull requests as drafts.
    draft: bool = False
    #: Seconds to wait for one API answer.
    timeout: float = 15.0
    #: Retries on 5xx answers and rate limits.
    retries: int = 5
    #: Exponential backoff factor between retries (seconds).
    backoff: float = 1.0
    #: Longest wait for a rate-limit reset before giving up (seconds; 0: no limit).
    max_rate_limit_wait: float = 300.0
    #: Pause between two API requests (seconds; 0: none), as GitHub asks of integrators.
    seconds_between_requests: float = 0.25
    #: Pause between two API writes (seconds; 0: none).
    seconds_between_writes: float = 1.0
    #: Fleet runs read the bot pull requests of this many repositories in one GraphQL query
    #: (0: REST reads per repository, as on a GitHub Enterprise without GraphQL).
    graphql_batch: int = 50

    def api_base(self, environ: Mapping[str, str]) -> str:
        """The REST API base URL: ``api_url``, else ``GITHUB_API_URL``, else github.com's."""
        return (self.api_url or environ.get("GITHUB_API_URL", "") or DEFAULT_API_URL).rstrip("/")


@dataclass
class MetricsSettings:
    """``[tool.hammurabi.metrics]``: where run metrics go (see hammurabi.integrations.metrics)."""

    #: QuestDB client configuration string (ILP over HTTP), e.g. ``http::addr=localhost:9000;``.
    #: Empty: metrics are off. Also ``--metrics`` and ``HAMMURABI_QUESTDB_CONF``.
    conf: str = ""
    #: Base URL of QuestDB's REST API for reading back (default: derived from ``conf``).
    url: str = ""
    #: The local spool file (default: ``$XDG_STATE_HOME/hammurabi/metrics-spool.sqlite3``).
    spool: str = ""
    #: With no ``conf``: keep every run's rows in the spool, for a later ``metrics flush``.
    spool_only: bool = False
    #: Days QuestDB keeps rows (table TTL); 0 keeps them forever.
    ttl_days: int = 90
    #: Seconds a run's end may wait for QuestDB per request; unsent rows stay spooled.
    drain_timeout: float = 10.0


@dataclass
class FleetSettings:
    """``[tool.hammurabi.fleet]``: runs over many repositories (see ``orchestration.fleet``)."""

    #: Repositories worked on at once (clone, fetch, rules, commits, pushes).
    jobs: int = 4
    #: Forge API writes (opening, updating, closing pull requests) in flight at once.
    api_jobs: int = 1
    #: Pull requests opened per run at most (0: no cap); the others open on a later run.
    max_prs: int = 0
    #: Seconds between two pull requests opened by the fleet (0: no pause).
    pr_interval: float = 0.0
    #: Where clones are kept between runs; empty: ``$XDG_CACHE_HOME/hammurabi/repos``.
    cache: str = ""
    #: Canary rollout: propose to this many repositories first, and to the rest only once
    #: the proposed pull requests' checks pass (0: propose everywhere at once).
    canary: int = 0
    #: Stop widening a canary rollout when more than this share of the proposed pull
    #: requests have failing checks.
    canary_failing: float = 0.2


@dataclass
class WindowSettings:
    """``[tool.hammurabi.window]``: when ``enforce`` may write (see hammurabi.orchestration.window).

    Outside the window a run writes nothing (no push, no pull request opened, updated or
    closed): it reports what it would do and when the window opens. Nothing set: always open.
    Only the runner's settings may set it."""

    #: Week days the window opens on: ``mon`` … ``sun`` (or full names) and ranges like
    #: ``mon-fri``; empty: every day.
    days: list[str] = field(default_factory=list)
    #: Hours of those days, ``HH:MM-HH:MM`` (one or more; a range ending at or before its
    #: start runs past midnight); empty: the whole day.
    hours: list[str] = field(default_factory=list)
    #: The time zone of the days and hours (IANA name, e.g. ``Europe/Berlin``); empty: UTC.
    timezone: str = ""


@dataclass
class AutomergeSettings:
    """``[tool.hammurabi.automerge]``: merge the bot pull request once it may merge (see
    ``orchestration.branch``). Off unless turned on; never bypasses branch protection: only a
    pull request GitHub calls ``clean`` is merged. Only the runner's settings may set it."""

    #: Merge the bot pull request when its checks passed (and, if asked, it is approved).
    enabled: bool = False
    #: Also merge it when every law in it asks for it (``automerge: true`` in a law file,
    #: ``Law(automerge=True)``); false (``--no-automerge``): laws cannot turn it on.
    laws: bool = True
    #: ``merge``, ``squash`` or ``rebase``.
    method: str = "squash"
    #: Also require an approving review (branch protection may require one anyway).
    approved: bool = False
    #: Require at least one check (status or check run), all passing; false: a pull request
    #: no check reports on may merge too.
    require_checks: bool = True
    #: Delete the bot branch once merged.
    delete_branch: bool = True


@dataclass
class LimitsSettings:
    """``[tool.hammurabi.limits]``: resource limits per rule (see ``core.limits``); 0: none."""

    #: Seconds one rule (preconditions and task) may run; then it fails and is rolled back.
    rule_seconds: float = 300.0
    #: Largest file (bytes) a rule reads to parse: lines, documents, templates.
    file_bytes: int = 16 << 20
    #: Largest text (bytes) a template may render.
    template_bytes: int = 8 << 20
    #: Most nodes a YAML file may have, its aliases expanded (parsing costs some 500 bytes
    #: of memory per node).
    yaml_nodes: int = 200_000


@dataclass
class Settings:
    """Everything a run can be told. Field names are the TOML keys."""

    #: Where laws come from: YAML law files, Python files or modules, folders, or
    #: ``plugins`` (laws contributed by installed plugins, the default).
    laws: list[str] = field(default_factory=list)
    #: Only run laws whose names match one of these glob patterns.
    select: list[str] = field(default_factory=list)
    #: Skip laws whose names match one of these glob patterns.
    ignore: list[str] = field(default_factory=list)
    #: Entry-point names of plugins not to load (built-ins included).
    disable_plugins: list[str] = field(default_factory=list)
    #: Reports to write, as ``NAME=PATH`` (``json=report.json``, ``markdown=summary.md``).
    reports: list[str] = field(default_factory=list)
    #: Let ``command-run`` rules and ``command-succeeds`` preconditions run commands.
    #: A repository's own settings may turn this on only when it is trusted (SECURITY.md).
    allow_commands: bool = False
    #: Names of environment variables whose values are secret: masked (``***``) in
    #: everything Hammurabi prints or writes, like the GitHub token and QuestDB password.
    secret_env: list[str] = field(default_factory=list)
    git: GitSettings = field(default_factory=GitSettings)
    github: GitHubSettings = field(default_factory=GitHubSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    fleet: FleetSettings = field(default_factory=FleetSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    window: WindowSettings = field(default_factory=WindowSettings)
    automerge: AutomergeSettings = field(default_factory=AutomergeSettings)
    #: Where the settings were read from (not a setting).
    sources: list[str] = field(default_factory=list, metadata={"internal": True})
    #: Law sources named by an untrusted repository's own settings: YAML only (not a setting).
    untrusted_laws: list[str] = field(default_factory=list, metadata={"internal": True})
    #: Hammurabi 0.11's settings that have no current key (``report_name``, ``dry_run`` …;
    #: see hammurabi.compat.settings); empty unless the repository uses 0.11's settings.
    original: dict[str, Any] = field(default_factory=dict, metadata={"internal": True})


#: What a repository's own settings files may set when the repository is not trusted
#: (see SECURITY.md): choices among law files and laws, and how the bot branch and pull
#: request look. Everything else there (commands, reports, forge and metrics endpoints,
#: credentials, paths outside the repository) is the runner's to set, and refused.
REPOSITORY_KEYS = frozenset(
    {
        "laws",
        "select",
        "ignore",
        "disable_plugins",
        "git.enabled",
        "git.branch",
        "git.base",
        "git.allow_dirty",
        "git.author_name",
        "git.author_email",
        "git.committer_name",
        "git.committer_email",
        "github.title",
        "github.labels",
        "github.reviewers",
        "github.assignees",
        "github.draft",
    }
)
#: How to trust a repository's own settings, for messages.
TRUST_HINT = "pass --trust-repository (or HAMMURABI_TRUST_REPOSITORY=1) to trust it"


def load_settings(
    root: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    trusted: bool = True,
) -> Settings:
    """Read the settings for the repository at ``root`` (the current directory if None).

    ``trusted`` False: the repository's own files may only set :data:`REPOSITORY_KEYS`,
    and only name YAML law files (or folders of them); anything else is a ConfigError.
    """
    from hammurabi.compat import settings as original

    base = Path(root) if root is not None else Path.cwd()
    settings = Settings()
    environ = os.environ if env is None else env
    runner_file = original.settings_file(environ)  # the runner's own, named in its environment
    for path, table in _files(base, runner_file):
        table = original.translate(table, str(path), path.parent, settings.original)
        if isinstance(table.get("laws"), list):
            table = {**table, "laws": [_anchor(item, path.parent) for item in table["laws"]]}
        if not trusted and path != runner_file:
            _check_untrusted(table, path)
            settings.untrusted_laws += [str(item) for item in table.get("laws") or ()]
        _apply(settings, table, str(path))
        settings.sources.append(str(path))
    env_values = original.from_env(environ, base, settings.original)
    if env_values:
        _apply(settings, env_values, "environment")
    _warn_unknown_variables(frozenset(v for v in environ if v.startswith(ENV_PREFIX)))
    env_values = _from_env(Settings, environ)
    if env_values:
        _apply(settings, env_values, "environment")
        settings.sources.append("environment")
    clean = {k: v for k, v in (overrides or {}).items() if v not in (None, [], ())}
    if clean:
        _apply(settings, clean, "command line")
    if trusted and not settings.laws:
        original.default_pillar(settings, base)
    return settings


def _check_untrusted(table: Mapping[str, Any], path: Path, prefix: str = "") -> None:
    """Refuse what an untrusted repository's settings may not choose (one line each)."""
    for key, value in table.items():
        name = f"{prefix}{key.replace('-', '_')}"
        if isinstance(value, Mapping):
            _check_untrusted(value, path, f"{name}.")
        elif (
            name in _known_keys()
            and name not in REPOSITORY_KEYS
            and not (name == "allow_commands" and value is False)
        ):  # unknown keys are left to _apply, which says so
            raise ConfigError(
                f"{path}: setting {name!r} is refused: the repository is not trusted, so its "
                f"own settings cannot set it; {TRUST_HINT}"
            )
    for source in table.get("laws") or () if not prefix else ():
        if isinstance(source, str) and source != "plugins" and not _yaml_source(source, path):
            raise ConfigError(
                f"{path}: law source {source!r} is refused: an untrusted repository may only "
                f"name YAML law files, never Python code; {TRUST_HINT}"
            )
        if isinstance(source, str) and source != "plugins" and not _inside(source, path):
            raise ConfigError(
                f"{path}: law source {source!r} is refused: it is outside the repository, "
                f"which is not trusted; {TRUST_HINT}"
            )


def _inside(source: str, settings_file: Path) -> bool:
    """Whether a law source named by a repository's settings file stays inside it."""
    folder = settings_file.parent.resolve()
    real = (settings_file.parent / source).resolve()
    return real == folder or folder in real.parents


def _known_keys() -> set[str]:
    return {row["key"] for row in describe()}


def _yaml_source(source: str, settings_file: Path) -> bool:
    """Whether a law source is a YAML law file or a folder (whose Python files are refused)."""
    candidate = settings_file.parent / source  # an absolute source stays itself
    return candidate.suffix in (".yml", ".yaml") or (candidate.is_dir() and "/" in source)


def _anchor(source: Any, directory: Path) -> Any:
    """Make a law-file path from a settings file relative to that file's folder."""
    if isinstance(source, str) and source.startswith("original:"):  # a 0.11 pillar
        return "original:" + str(_anchor(source[len("original:") :] or ".py", directory))
    if not isinstance(source, str) or Path(source).is_absolute():
        return source
    if source.endswith((".py", ".yml", ".yaml")) or "/" in source:
        return str(directory / source)
    return source


def _files(base: Path, pyproject: Path | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """The settings tables: ``pyproject.toml`` (or the file given instead), ``.hammurabi.toml``."""
    found = []
    pyproject = pyproject or base / "pyproject.toml"
    if pyproject.is_file():
        table = _read_toml(pyproject).get("tool", {}).get("hammurabi")
        if table is not None:
            found.append((pyproject, table))
    dotfile = base / ".hammurabi.toml"
    if dotfile.is_file():
        data = _read_toml(dotfile)
        found.append((dotfile, data.get("tool", {}).get("hammurabi", data)))
    return found


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # here: a repository without settings files does not pay for it

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=path) from None


def _fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """A settings class's field types (once per class: evaluating them is slow)."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _apply(target: Any, values: Mapping[str, Any], source: str, prefix: str = "") -> None:
    known = _fields(type(target))
    hints = _hints(type(target))
    for key, value in values.items():
        name = key.replace("-", "_")
        if name not in known:
            close = [k for k in known if k.startswith(name[:3])]
            hint = (
                f" (known: {', '.join(sorted(known))})"
                if not close
                else (f" (did you mean {close[0]!r}?)")
            )
            raise ConfigError(f"{source}: unknown setting {prefix}{key!r}{hint}")
        hint_type = hints[name]
        if dataclasses.is_dataclass(hint_type):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{source}: setting {prefix}{key!r} must be a table")
            _apply(getattr(target, name), value, source, f"{prefix}{name}.")
        else:
            setattr(target, name, _convert(value, hint_type, f"{source}: {prefix}{key}"))


def _convert(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(value, inner[0], where)
    if origin is list:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where} must be a list, not {value!r}")
        return [_convert(item, args[0] if args else str, where) for item in value]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} must be a table, not {value!r}")
        return dict(value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ConfigError(f"{where} must be true or false, not {value!r}")
    if hint in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a number, not {value!r}")
        try:
            return hint(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number, not {value!r}") from None
    if hint is str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ConfigError(f"{where} must be a string, not {value!r}")
        return str(value)
    if hint is Path:
        return Path(value)
    return value


def _from_env(cls: type, env: Mapping[str, str], prefix: str = ENV_PREFIX) -> dict[str, Any]:
    values: dict[str, Any] = {}
    hints = _hints(cls)
    for name in _fields(cls):
        hint = hints[name]
        var = f"{prefix}{name.upper()}"
        if dataclasses.is_dataclass(hint):
            nested = _from_env(hint, env, f"{var}_")  # type: ignore[arg-type]
            if nested:
                values[name] = nested
        elif var in env:
            values[name] = env[var]
    return values


#: ``HAMMURABI_*`` variables read outside the settings: by command-line options, the trust
#: gate, and the test suite's QuestDB server.
OTHER_VARIABLES = frozenset(
    {
        "HAMMURABI_QUESTDB_CONF",
        "HAMMURABI_RUN_ID",
        "HAMMURABI_TRUST_REPOSITORY",
        "HAMMURABI_SETTINGS_PATH",
        "HAMMURABI_JAVA",
        "HAMMURABI_QUESTDB_HOME",
    }
)


@functools.cache
def _warn_unknown_variables(names: frozenset[str]) -> None:
    """Warn once per process of ``HAMMURABI_*`` variables no setting reads (likely typos)."""
    from hammurabi.compat import settings as original

    known = {row["env"] for row in describe()} | OTHER_VARIABLES
    known |= {f"{ENV_PREFIX}{key.upper()}" for key in original.KEYS}
    for name in sorted(names - known):
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
        hint = f" (did you mean {close[0]}?)" if close else ""
        log.warning("unknown environment variable %s is ignored%s", name, hint)


def describe() -> list[dict[str, str]]:
    """Every setting with its environment variable, for documentation and ``--help``."""
    rows: list[dict[str, str]] = []

    def walk(cls: type, key: str, var: str) -> None:
        hints = _hints(cls)
        for name in _fields(cls):
            hint = hints[name]
            if dataclasses.is_dataclass(hint):
                walk(hint, f"{key}{name}.", f"{var}{name.upper()}_")  # type: ignore[arg-type]
            else:
                rows.append({"key": f"{key}{name}", "env": f"{var}{name.upper()}"})

    walk(Settings, "", ENV_PREFIX)
    return rows


def register_secrets(settings: Settings, env: Mapping[str, str] | None = None) -> None:
    """Have :mod:`~hammurabi.core.masking` mask the secrets the settings and the environment
    hold: the GitHub token or App key, QuestDB's password or token, ``secret_env``'s values."""
    source = os.environ if env is None else env
    github = settings.github
    values: list[str | None] = [github.token, github.private_key]
    values += [source.get(name) for name in (*masking.SECRET_VARIABLES, *settings.secret_env)]
    for conf in (settings.metrics.conf, source.get("HAMMURABI_QUESTDB_CONF", "")):
        values += masking.conf_secrets(conf)
    masking.register(*values)
