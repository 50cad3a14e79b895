"""The ``hammurabi`` command line: parse options, call the library, print results.

Heavy libraries are imported inside the commands that need them, so ``--help`` stays fast.
"""

import contextlib
import copy
import logging
import os
import re
import sys
import tempfile
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hammurabi.cli.campaign import campaign as _campaign
from hammurabi.cli.metrics import health as _health
from hammurabi.cli.metrics import metrics_app
from hammurabi.cli.options import Format, FormatOpt, echo_json
from hammurabi.compat import cli as original_cli
from hammurabi.core.errors import ConfigError, HammurabiError, PluginError
from hammurabi.core.exitcodes import ExitCode
from hammurabi.core.masking import clean, output_masked
from hammurabi.core.version import __version__

if TYPE_CHECKING:
    from hammurabi.core.results import RunResult

app = typer.Typer(
    name="hammurabi",
    help="Enforce rules across git repositories and keep them uniform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: importing rich would double the start-up time
    context_settings={"help_option_names": ["-h", "--help"]},
)


PathArg = Annotated[
    Path,
    typer.Argument(metavar="PATH", help="Repository to work on (default: the current directory)."),
]
LawsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--laws",
        "-l",
        metavar="SOURCE",
        help="Law source: a YAML law file, a .py file or module with a Pillar, a folder, or "
        "'plugins'. Repeatable. [env: HAMMURABI_LAWS]",
        show_default=False,
    ),
]
SelectOpt = Annotated[
    list[str] | None, typer.Option("--select", metavar="GLOB", help="Only laws matching this glob.")
]
IgnoreOpt = Annotated[
    list[str] | None, typer.Option("--ignore", metavar="GLOB", help="Skip laws matching this glob.")
]
DisableOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--disable-plugin",
        "-p",
        metavar="NAME",
        help="Do not load this plugin. [env: HAMMURABI_DISABLE_PLUGINS]",
    ),
]
ReportOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--report",
        metavar="NAME=PATH",
        help="Write a report: NAME=PATH (json, markdown; '-' for stdout).",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary.")]
MetricsOpt = Annotated[
    str | None,
    typer.Option(
        "--metrics",
        envvar="HAMMURABI_QUESTDB_CONF",
        metavar="CONF",
        help="Record the run in QuestDB: a client conf like 'http::addr=localhost:9000;'. "
        "[default: the metrics.conf setting]",
        show_default=False,
    ),
]
TrustOpt = Annotated[
    bool | None,
    typer.Option(
        "--trust-repository/--no-trust-repository",
        help="Let the repository's own settings run its code (Python law files or modules, "
        "allow_commands) and set any key. Risky: only for repositories whose every change you "
        "trust. [default: only the current directory, never under pull_request_target; see "
        "SECURITY.md] [env: HAMMURABI_TRUST_REPOSITORY]",
        show_default=False,
    ),
]


# -- fleet runs (see hammurabi.orchestration.fleet) ------------------------------------------------

ReposOpt = Annotated[
    Path | None,
    typer.Option(
        "--repos",
        metavar="FILE",
        help="Run over the repositories in this file: one owner/name, clone URL or path a "
        "line. PATH then only says where settings are read from.",
        show_default=False,
    ),
]
OrgOpt = Annotated[
    str | None,
    typer.Option(
        "--org",
        metavar="ORG",
        help="Run over the repositories of this organization (or user); archived ones are skipped.",
        show_default=False,
    ),
]
TopicOpt = Annotated[
    list[str] | None,
    typer.Option("--topic", metavar="TOPIC", help="With --org: only repositories with this topic."),
]
IncludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--include",
        metavar="GLOB",
        help="Only repositories matching this glob (name or owner/name).",
    ),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option("--exclude", metavar="GLOB", help="Skip repositories matching this glob."),
]
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        metavar="N",
        help="Repositories worked on at once. [default: 4] [env: HAMMURABI_FLEET_JOBS]",
        show_default=False,
    ),
]
ApiJobsOpt = Annotated[
    int | None,
    typer.Option(
        "--api-jobs",
        min=1,
        metavar="N",
        help="Pull-request writes in flight at once. [default: 1]",
        show_default=False,
    ),
]
MaxPrsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-prs",
        min=0,
        metavar="N",
        help="Open at most this many pull requests in this run "
        "(0: no cap); the others open on a later run.",
        show_default=False,
    ),
]
CanaryOpt = Annotated[
    int | None,
    typer.Option(
        "--canary",
        min=0,
        metavar="N",
        help="Canary rollout: open pull requests in N repositories first, in the rest only "
        "once their checks pass (a later run continues). [default: 0, everywhere at once]",
        show_default=False,
    ),
]
CanaryFailingOpt = Annotated[
    float | None,
    typer.Option(
        "--canary-failing",
        min=0.0,
        max=1.0,
        metavar="SHARE",
        help="Stop widening a canary rollout when more than this share of the proposed pull "
        "requests have failing checks. [default: 0.2]",
        show_default=False,
    ),
]
PrIntervalOpt = Annotated[
    float | None,
    typer.Option(
        "--pr-interval",
        min=0.0,
        metavar="SECONDS",
        help="Seconds between two pull requests opened. [default: 0]",
        show_default=False,
    ),
]
ShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="K/N",
        help="Only shard K of N (K/N): a stable split of the repositories for a CI matrix.",
        show_default=False,
    ),
]
StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state",
        metavar="FILE",
        help="State file: re-running after an interruption skips the repositories that finished.",
        show_default=False,
    ),
]
RunIdOpt = Annotated[
    str | None,
    typer.Option(
        "--run-id",
        envvar="HAMMURABI_RUN_ID",
        metavar="ID",
        help="The fleet run's id, shared by CI shards. [default: from GITHUB_RUN_ID, else new]",
        show_default=False,
    ),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        metavar="DIR",
        help="Where clones are kept between runs. [default: "
        "$XDG_CACHE_HOME/hammurabi/repos] [env: HAMMURABI_FLEET_CACHE]",
        show_default=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hammurabi {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logging.")] = 0,
    config: Annotated[Path | None, typer.Option("--config", "-c", hidden=True)] = None,
    repository: Annotated[str | None, typer.Option("--repository", hidden=True)] = None,
    token: Annotated[str | None, typer.Option("--token", hidden=True)] = None,
    log_level: Annotated[str | None, typer.Option("--log-level", hidden=True)] = None,
) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # Retries of HTTP requests are told by PyGithub (INFO, with -v); urllib3's own warnings
    # about the same retries would repeat them, and say nothing a user can act on.
    logging.getLogger("urllib3").setLevel(logging.ERROR if verbose < 2 else logging.DEBUG)
    _state["verbose"] = verbose
    _state["original"] = original_cli.global_options(config, repository, token, log_level)


_state: dict[str, Any] = {"verbose": 0, "original": original_cli.Options()}


def _automerge(flag: bool | None) -> dict[str, Any] | None:
    """``--automerge`` turns automerge on; ``--no-automerge`` off, even for laws that ask."""
    if flag is None:
        return None
    return {"enabled": True} if flag else {"enabled": False, "laws": False}


def _overrides(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value}


@app.command()
def enforce(
    ctx: typer.Context,
    path: PathArg = Path("."),
    laws: LawsOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Show the diff; change nothing.")
    ] = False,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    disable_plugin: DisableOpt = None,
    report: ReportOpt = None,
    output_format: FormatOpt = Format.text,
    quiet: QuietOpt = False,
    push: Annotated[
        bool | None,
        typer.Option(
            "--push/--no-push",
            help="Push the bot branch and sync its pull request, or only commit locally. "
            "[default: push when there is a remote] [env: HAMMURABI_GIT_PUSH]",
            show_default=False,
        ),
    ] = None,
    branch: Annotated[
        str | None,
        typer.Option(
            "--branch",
            metavar="BRANCH",
            help="Bot branch name. [default: hammurabi/<law source name>] "
            "[env: HAMMURABI_GIT_BRANCH]",
            show_default=False,
        ),
    ] = None,
    allow_dirty: Annotated[
        bool,
        typer.Option(
            "--allow-dirty",
            help="Run although the working tree has uncommitted changes (never touched).",
        ),
    ] = False,
    re_propose: Annotated[
        bool,
        typer.Option(
            "--re-propose",
            help="Propose the change again although a reviewer closed its pull request "
            "(a reviewer can also label that pull request hammurabi:re-propose).",
        ),
    ] = False,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Rebuild the bot branch although it holds commits Hammurabi did not make, "
            "dropping them (a reviewer can also label the pull request hammurabi:rebuild).",
        ),
    ] = False,
    automerge: Annotated[
        bool | None,
        typer.Option(
            "--automerge/--no-automerge",
            help="Merge the bot pull request once its checks pass and branch protection "
            "allows it (never bypassing it); see [tool.hammurabi.automerge]. "
            "--no-automerge: not even when its laws ask (automerge: true). "
            "[default: off, on where every law asks] [env: HAMMURABI_AUTOMERGE_ENABLED]",
            show_default=False,
        ),
    ] = None,
    use_git: Annotated[
        bool | None,
        typer.Option(
            "--git/--no-git",
            help="In a git repository, build the bot branch (one commit per law) instead of "
            "editing files in place. [default: git] [env: HAMMURABI_GIT_ENABLED]",
            show_default=False,
        ),
    ] = None,
    metrics: MetricsOpt = None,
    repos: ReposOpt = None,
    org: OrgOpt = None,
    topic: TopicOpt = None,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    jobs: JobsOpt = None,
    api_jobs: ApiJobsOpt = None,
    max_prs: MaxPrsOpt = None,
    pr_interval: PrIntervalOpt = None,
    canary: CanaryOpt = None,
    canary_failing: CanaryFailingOpt = None,
    shard: ShardOpt = None,
    state: StateOpt = None,
    run_id: RunIdOpt = None,
    cache: CacheOpt = None,
    trust: TrustOpt = None,
    allow_push: Annotated[
        bool | None, typer.Option("--allow-push/--no-allow-push", hidden=True)
    ] = None,
    no_dry_run: Annotated[bool, typer.Option("--no-dry-run", hidden=True)] = False,
    no_report: Annotated[bool, typer.Option("--no-report", hidden=True)] = False,
) -> None:
    """Apply the laws: in a git repository as a bot branch with one commit per law, pushed
    and opened as a pull request when configured; elsewhere by editing the files. With
    --repos or --org: over every repository of a fleet."""
    _state["original"].enforce_options(allow_push, no_dry_run, no_report)
    if push is None:
        push = _state["original"].push
    git = {
        "push": push,
        "branch": branch,
        "allow_dirty": allow_dirty or None,
        "enabled": use_git,
        "re_propose": re_propose or None,
        "rebuild": rebuild or None,
    }
    fleet = _fleet_options(
        repos,
        org,
        topic,
        include,
        exclude,
        jobs,
        api_jobs,
        max_prs,
        pr_interval,
        shard,
        state,
        run_id,
        cache,
        canary=canary,
        canary_failing=canary_failing,
    )
    _enforce(
        path,
        laws,
        select,
        ignore,
        disable_plugin,
        report,
        output_format,
        quiet,
        dry_run,
        check=False,
        ctx=ctx,
        git={k: v for k, v in git.items() if v is not None},
        automerge=_automerge(automerge),
        metrics=metrics,
        fleet=fleet,
        trust=trust,
    )


@app.command()
def check(
    ctx: typer.Context,
    path: PathArg = Path("."),
    laws: LawsOpt = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    disable_plugin: DisableOpt = None,
    report: ReportOpt = None,
    output_format: FormatOpt = Format.text,
    quiet: QuietOpt = False,
    metrics: MetricsOpt = None,
    repos: ReposOpt = None,
    org: OrgOpt = None,
    topic: TopicOpt = None,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    jobs: JobsOpt = None,
    shard: ShardOpt = None,
    run_id: RunIdOpt = None,
    cache: CacheOpt = None,
    trust: TrustOpt = None,
) -> None:
    """Exit 3 if enforce would change anything (a CI gate); print the diff. Changes nothing.
    With --repos or --org: over every repository of a fleet."""
    fleet = _fleet_options(
        repos, org, topic, include, exclude, jobs, None, None, None, shard, None, run_id, cache
    )
    _enforce(
        path,
        laws,
        select,
        ignore,
        disable_plugin,
        report,
        output_format,
        quiet,
        True,
        check=True,
        ctx=ctx,
        metrics=metrics,
        fleet=fleet,
        trust=trust,
    )


def _fleet_options(
    repos: Path | None,
    org: str | None,
    topic: list[str] | None,
    include: list[str] | None,
    exclude: list[str] | None,
    jobs: int | None,
    api_jobs: int | None,
    max_prs: int | None,
    pr_interval: float | None,
    shard: str | None,
    state: Path | None,
    run_id: str | None,
    cache: Path | None,
    *,
    canary: int | None = None,
    canary_failing: float | None = None,
) -> dict[str, Any] | None:
    """The fleet options given, or None when no fleet was asked for (one repository)."""
    if repos is None and org is None:
        extra = {
            "--topic": topic,
            "--include": include,
            "--exclude": exclude,
            "--shard": shard,
            "--state": state,
            "--canary": canary,
        }
        given = [name for name, value in extra.items() if value]
        if given:
            raise ConfigError(f"{', '.join(given)} need --repos or --org")
        return None
    settings = {
        "jobs": jobs,
        "api_jobs": api_jobs,
        "max_prs": max_prs,
        "pr_interval": pr_interval,
        "cache": str(cache) if cache else None,
        "canary": canary,
        "canary_failing": canary_failing,
    }
    return {
        "repos": str(repos) if repos else None,
        "org": org,
        "topics": tuple(topic or ()),
        "include": tuple(include or ()),
        "exclude": tuple(exclude or ()),
        "shard": shard,
        "state": state,
        "run_id": run_id,
        "settings": {k: v for k, v in settings.items() if v is not None},
    }


def _enforce(
    path: Path,
    laws: list[str] | None,
    select: list[str] | None,
    ignore: list[str] | None,
    disable: list[str] | None,
    report: list[str] | None,
    output_format: Format,
    quiet: bool,
    dry_run: bool,
    *,
    check: bool,
    ctx: typer.Context,
    git: dict[str, Any] | None = None,
    automerge: dict[str, Any] | None = None,
    metrics: str | None = None,
    fleet: dict[str, Any] | None = None,
    trust: bool | None = None,
) -> None:
    from hammurabi.core.results import Outcome, Status
    from hammurabi.orchestration import repository as runner

    if fleet is not None:
        from hammurabi.cli.fleet_report import check_specs

        check_specs(report or [])
    original = _state["original"]
    session = runner.prepare(
        path,
        overrides=_overrides(
            laws=laws,
            select=select,
            ignore=ignore,
            disable_plugins=disable,
            reports=None if fleet is not None else report,
            git=git,
            automerge=automerge,
            metrics={"conf": metrics} if metrics else None,
            fleet=fleet["settings"] if fleet else None,
            github=original.github or None,
        ),
        trust=trust,
        env=original.environment(),
        settings_folder=fleet is not None,  # PATH holds the fleet's settings: the runner's
    )
    dry_run = original.apply(session, dry_run=dry_run, check=check)
    _send_metrics_after_output(ctx, session)
    if fleet is not None:
        _run_fleet(session, fleet, report or [], output_format, quiet, dry_run, check=check)
        return
    from hammurabi.cli.summary import quiet_line, window_note

    result = runner.enforce(session, dry_run=dry_run, git=not check)
    for line in result.failures():
        typer.echo(f"hammurabi: failed: {clean(line)}", err=True)
    if output_format is Format.json:
        typer.echo(result.to_json(), nl=False)
    elif (noop := quiet_line(result)) is not None:
        typer.echo(noop)
    else:
        from hammurabi.cli import plain

        if not plain.show_run(result, diff=not quiet, check=check):
            from hammurabi.cli import display  # rich: for a terminal, and unusual text

            display.show_run(result, diff=not quiet, check=check)
        _show_workflow(result, quiet=quiet)
        _show_metrics(session.settings, quiet=quiet)
    if (held := window_note(result)) is not None:
        typer.echo(held, err=output_format is Format.json)
    if result.outcome is Outcome.FAILED:
        raise typer.Exit(ExitCode.RULES_FAILED)
    if check and result.changed:
        raise typer.Exit(ExitCode.CHANGES_NEEDED)
    if result.status is Status.BLOCKED:
        raise typer.Exit(ExitCode.BLOCKED)
    if result.status is Status.OUTSIDE_WINDOW:
        raise typer.Exit(ExitCode.OUTSIDE_WINDOW)


def _run_fleet(
    session: Any,
    fleet: dict[str, Any],
    report: list[str],
    output_format: Format,
    quiet: bool,
    dry_run: bool,
    *,
    check: bool,
) -> None:
    """Run over a fleet; print the summary, write the reports, exit with the outcome."""
    from hammurabi.cli import fleet_report
    from hammurabi.cli.fleet_progress import ProgressBar
    from hammurabi.core.results import Status
    from hammurabi.orchestration.fleet import cache as fleet_cache
    from hammurabi.orchestration.fleet import check_run_id, enforce_fleet
    from hammurabi.orchestration.fleet.run import FleetOptions
    from hammurabi.orchestration.fleet.targets import Selection, Shard

    settings = session.settings.fleet
    shard = Shard.parse(fleet["shard"]) if fleet["shard"] else None
    selection = Selection(
        repos_file=fleet["repos"],
        owner=fleet["org"],
        topics=fleet["topics"],
        include=fleet["include"],
        exclude=fleet["exclude"],
        shard=shard,
    )
    scratch = contextlib.ExitStack()
    if settings.cache:
        cache = Path(settings.cache).expanduser()
    elif dry_run:  # a dry run writes nothing that outlives it: clones go to a scratch folder
        cache = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="hammurabi-")))
    else:
        cache = fleet_cache.default_dir()
    options = FleetOptions(
        cache=cache,
        jobs=settings.jobs,
        api_jobs=settings.api_jobs,
        max_prs=settings.max_prs,
        pr_interval=settings.pr_interval,
        canary=settings.canary,
        canary_failing=settings.canary_failing,
        dry_run=dry_run,
        state=None if dry_run else fleet["state"],
        run_id=check_run_id(fleet["run_id"]) if fleet["run_id"] else None,
        shard=str(shard) if shard else None,
    )
    with scratch, ProgressBar(enabled=None if output_format is Format.text else False) as bar:
        result = enforce_fleet(session, selection, options, observer=bar)
    for repo in result.failed:
        typer.echo(f"hammurabi: failed: {repo.name}: {clean(repo.reason or '')}", err=True)
    if output_format is Format.json:
        typer.echo(fleet_report.to_json(result), nl=False)
    else:
        fleet_report.show(result, diff=not quiet)
        _show_metrics(session.settings, quiet=quiet)
    fleet_report.write(result, report)
    _show_window(result, output_format)
    if result.interrupted:
        typer.echo("hammurabi: interrupted; re-run with the same --state to resume", err=True)
        raise typer.Exit(ExitCode.INTERRUPTED)
    if result.failed:
        raise typer.Exit(ExitCode.RULES_FAILED)
    if check and result.changed:
        raise typer.Exit(ExitCode.CHANGES_NEEDED)
    if any(repo.status is Status.BLOCKED for repo in result.repos):
        raise typer.Exit(ExitCode.BLOCKED)
    if any(repo.status is Status.OUTSIDE_WINDOW for repo in result.repos):
        raise typer.Exit(ExitCode.OUTSIDE_WINDOW)


def _show_window(result: Any, output_format: Format) -> None:
    """Say that the maintenance window held repositories back, and when it opens."""
    from hammurabi.cli.summary import window_note as note
    from hammurabi.core.results import Status

    held = [repo for repo in result.repos if repo.status is Status.OUTSIDE_WINDOW]
    line = next((note(repo.result) for repo in held if repo.result is not None), None)
    if line:
        from hammurabi.core.wording import count

        held_back = count(len(held), "repository", "repositories")
        typer.echo(f"{held_back} held back. {line}", err=output_format is Format.json)


def _send_metrics_after_output(ctx: typer.Context, session: Any) -> None:
    """Have the run's metrics sent once the command's output is out (the rows are spooled as
    each repository run ends; a fleet's go in one replay): a slow QuestDB does not hold the
    summary back."""
    from hammurabi.integrations.metrics.plugin import MetricsPlugin

    plugin = session.pm.get_plugin("metrics")
    if isinstance(plugin, MetricsPlugin):
        plugin.send_later = True

        def send() -> None:
            sys.stdout.flush()  # into a pipe (CI logs) too
            plugin.flush()

        ctx.call_on_close(send)


def _show_metrics(settings: Any, *, quiet: bool) -> None:
    """End the run's summary saying that its metrics are off or only spooled."""
    from hammurabi.integrations.metrics.config import metrics_note

    note = metrics_note(settings.metrics)
    if note and not quiet:
        typer.echo(note)


def _show_workflow(result: "RunResult", *, quiet: bool) -> None:
    """Print what happened to the bot branch and pull request (or would, in a dry run)."""
    from hammurabi.cli.summary import summary_lines
    from hammurabi.core.records import PullAction

    for line in summary_lines(result):
        typer.echo(clean(line))
    pull, git = result.pull_request, result.git
    planned = pull is not None and pull.action in (PullAction.OPEN, PullAction.UPDATE)
    if result.dry_run and not quiet and planned and git is not None:
        from hammurabi.integrations.forges import prbody  # hashlib: only for the body

        typer.echo("")
        typer.echo(prbody.render(result, branch=git.branch, base=git.base, diffs=False))


@app.command("laws")
def list_laws(
    path: PathArg = Path("."),
    laws: LawsOpt = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    disable_plugin: DisableOpt = None,
    output_format: FormatOpt = Format.text,
    trust: TrustOpt = None,
) -> None:
    """List the laws that enforce would apply, with their rules."""
    from hammurabi.cli import display
    from hammurabi.core.errors import NoLawsError
    from hammurabi.orchestration import repository as runner

    try:
        session = runner.prepare(
            path,
            overrides=_overrides(
                laws=laws, select=select, ignore=ignore, disable_plugins=disable_plugin
            ),
            trust=trust,
        )
    except NoLawsError as exc:  # an empty list is an answer here, not an error
        typer.echo(f"hammurabi: {exc}", err=True)
        rows = []
    else:
        rows = [display.law_row(law) for law in session.laws]
    _emit(rows, output_format, display.show_laws)


@app.command("rules")
def list_rules(disable_plugin: DisableOpt = None, output_format: FormatOpt = Format.text) -> None:
    """List the rule types (by id) that law files can use, with their arguments."""
    from hammurabi.cli import display
    from hammurabi.orchestration import repository as runner

    session = runner.prepare(".", overrides=_overrides(disable_plugins=disable_plugin), load=False)
    rows = [display.type_row(cls) for _, cls in sorted(session.registry.rules.items())]
    _emit(rows, output_format, lambda r: display.show_types(r, "Rules"))


@app.command("preconditions")
def list_preconditions(
    disable_plugin: DisableOpt = None, output_format: FormatOpt = Format.text
) -> None:
    """List the precondition types (by id) that law files can use."""
    from hammurabi.cli import display
    from hammurabi.orchestration import repository as runner

    session = runner.prepare(".", overrides=_overrides(disable_plugins=disable_plugin), load=False)
    rows = [display.type_row(cls) for _, cls in sorted(session.registry.preconditions.items())]
    _emit(rows, output_format, lambda r: display.show_types(r, "Preconditions"))


@app.command("plugins")
def list_plugins(disable_plugin: DisableOpt = None, output_format: FormatOpt = Format.text) -> None:
    """List the plugins found through the 'hammurabi' entry points."""
    from hammurabi.cli import display
    from hammurabi.orchestration import repository as runner

    session = runner.prepare(
        ".",
        overrides=_overrides(disable_plugins=disable_plugin),
        load=False,
        tolerate_broken_plugins=True,
    )
    rows = [display.plugin_row(info, session.pm) for info in session.pm.infos]
    _emit(rows, output_format, display.show_plugins)


@app.command("migrate")
def migrate(
    pillar: Annotated[
        Path, typer.Argument(help="A pillar written for Hammurabi 0.11 (it is run to read it).")
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the law file here. [default: stdout]"),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The pillar's variable. [default: pillar]")
    ] = None,
) -> None:
    """Rewrite a pillar written for Hammurabi 0.11 as a YAML law file. Exits 1 and lists
    what it left out when some rules have no law-file form."""
    from hammurabi.compat.migrate import migrate_file

    if not pillar.is_file():
        raise ConfigError(f"no pillar file {pillar}")
    if output is not None and output.exists():
        raise ConfigError(f"{output} exists; remove it or choose another --output")
    done = migrate_file(pillar, name)
    if output is None:
        typer.echo(done.text, nl=False)
    else:
        output.write_text(done.text, encoding="utf-8")
    for line in done.left_out:
        typer.echo(f"hammurabi: not migrated: {line}", err=True)
    if done.left_out:
        raise typer.Exit(ExitCode.RULES_FAILED)


@app.command("version", hidden=True)
def version_command() -> None:
    """Print the version (Hammurabi 0.11's spelling of --version)."""
    typer.echo(f"hammurabi {__version__}")


report_app = typer.Typer(
    help="Work with fleet reports.", no_args_is_help=True, rich_markup_mode=None
)


@report_app.command("merge")
def report_merge(
    reports: Annotated[
        list[Path],
        typer.Argument(metavar="REPORT.json...", help="The JSON fleet reports of the shards."),
    ],
    report: ReportOpt = None,
    output_format: FormatOpt = Format.text,
    quiet: QuietOpt = False,
) -> None:
    """Join the JSON reports of a fleet run's shards (--shard K/N) into the whole run's
    report: the same counts as one run over every repository. Refuses reports of other runs
    or laws, and a repository reported twice (exit 2)."""
    from hammurabi.cli import fleet_report
    from hammurabi.orchestration.fleet.merge import merge, missing_shards

    fleet_report.check_specs(report or [])
    result = merge([str(path) for path in reports])
    if missing := missing_shards(result):
        typer.echo(f"hammurabi: warning: no report of shard {', '.join(missing)}", err=True)
    if output_format is Format.json:
        typer.echo(fleet_report.to_json(result), nl=False)
    elif quiet:
        typer.echo(clean(fleet_report.headline(result)))
    else:
        fleet_report.show(result, diff=False)
    fleet_report.write(result, report or [])


app.add_typer(report_app, name="report")
app.add_typer(metrics_app, name="metrics")
app.command("health")(_health)
app.command("campaign")(_campaign)


def _emit(rows: list[dict[str, Any]], output_format: Format, show: Any) -> None:
    if output_format is Format.json:
        echo_json(rows)
    else:
        show(rows)


#: Options of the whole program, accepted anywhere on the command line (``hammurabi check -v``).
COMMON_OPTIONS = re.compile(r"-v+|--verbose|--version")


def _common_options_first(argv: list[str]) -> list[str]:
    """Move the program's own options before the subcommand, where click expects them."""
    end = argv.index("--") if "--" in argv else len(argv)
    common = [arg for arg in argv[:end] if COMMON_OPTIONS.fullmatch(arg)]
    rest = [arg for arg in argv[:end] if not COMMON_OPTIONS.fullmatch(arg)]
    return [*common, *rest, *argv[end:]]


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn errors into one line and a documented exit code.

    Every secret Hammurabi knows is masked in what it prints (see hammurabi.core.masking)."""
    with output_masked():
        return _main_unmasked(argv)


#: The program's options that take a value (the subcommand is the first word after them).
VALUE_OPTIONS = frozenset({"--config", "-c", "--repository", "--token", "--log-level"})


def _command_app(argv: list[str]) -> typer.Typer:
    """The app with only the subcommand ``argv`` names: Typer builds every command's
    options from its signature at each start, which a run of one command need not pay.
    The whole app for anything else (help, completion, an unknown command)."""
    if any(key.endswith("_COMPLETE") for key in os.environ):
        return app
    words = iter(argv)
    for word in words:
        if word == "--":
            return app
        if word in VALUE_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            break
    else:
        return app
    commands = [
        info
        for info in app.registered_commands
        if (info.name or typer.main.get_command_name(info.callback.__name__))  # type: ignore[union-attr]
        == word
    ]
    groups = [info for info in app.registered_groups if info.name == word]
    if len(commands) + len(groups) != 1:
        return app
    lean = copy.copy(app)
    lean.registered_commands, lean.registered_groups = commands, groups
    return lean


def _main_unmasked(argv: list[str] | None) -> int:
    argv = _common_options_first(sys.argv[1:] if argv is None else list(argv))
    try:
        code = _command_app(argv)(args=argv, standalone_mode=False, prog_name="hammurabi")
        if code == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C into Exit(130)
            typer.echo("hammurabi: interrupted; the rule in progress was rolled back", err=True)
    except typer.Abort:
        typer.echo("hammurabi: interrupted", err=True)
        code = ExitCode.INTERRUPTED
    except typer.TyperException as exc:  # click's usage errors, as vendored by Typer
        exc.show()  # type: ignore[attr-defined]
        no_args = type(exc).__name__ == "NoArgsIsHelpError"
        code = ExitCode.OK if no_args else ExitCode.USAGE_ERROR
    except KeyboardInterrupt:
        typer.echo("hammurabi: interrupted", err=True)
        code = ExitCode.INTERRUPTED
    except (ConfigError, PluginError) as exc:
        typer.echo(f"hammurabi: error: {clean(str(exc))}", err=True)
        code = ExitCode.USAGE_ERROR
    except HammurabiError as exc:
        typer.echo(f"hammurabi: error: {clean(str(exc))}", err=True)
        code = ExitCode.RULES_FAILED
    except Exception as exc:
        if _state["verbose"]:
            traceback.print_exc()
        from hammurabi.loading.plugins import culprit

        blamed = culprit(exc)
        if blamed is not None:
            name, where = blamed
            typer.echo(
                f"hammurabi: error: plugin {name!r} failed in {where}: {type(exc).__name__}: "
                f"{exc}; run without it with --disable-plugin {name}",
                err=True,
            )
            return int(ExitCode.USAGE_ERROR)
        hint = "" if _state["verbose"] else " (run with -v for details)"
        message = clean(f"{type(exc).__name__}: {exc}")
        typer.echo(f"hammurabi: internal error: {message}{hint}", err=True)
        code = ExitCode.INTERNAL_ERROR
    return int(code or 0)


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
