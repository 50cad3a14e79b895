"""What a run's start-up costs: the modules a command imports and the git processes it starts.

``enforce --dry-run`` on a small repository should cost little more than importing Typer
and pluggy (bench/bench_startup.py measures it): nothing is imported that the run does not
use, and the repository is read in few git processes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hammurabi.loading import entrypoints
from tests.gitrepos import LAWS, init_repo, isolate_git

#: Imported by nothing a dry run of built-in line rules needs.
NOT_NEEDED = (
    "importlib.metadata",  # entry points are read without it
    "email",
    "socket",
    "sqlite3",  # the GitHub forge's ETag cache, the metrics spool
    "zoneinfo",  # maintenance windows
    "pydantic",
    "git",  # GitPython: no longer imported by the package (pushes are plain git)
    "github",
    "jinja2",
    "ruamel",
    "tomlkit",
    "httpx",
    "rich",  # the summary is printed without it where the bytes are the same
    "questdb",
    "hashlib",  # OpenSSL: for pull-request fingerprints and the command rules' digests
    "json",  # for JSON output and reports: the summary is text
    # Rule and precondition modules its laws do not name (hammurabi.loading.builtins):
    "hammurabi.rules.files",
    "hammurabi.rules.documents",
    "hammurabi.rules.templates",
    "hammurabi.rules.attributes",
    "hammurabi.preconditions.attributes",
    "hammurabi.preconditions.documents",
    "hammurabi.documents",
    "hammurabi.compat.reporting",  # 0.11's reports: for laws of a 0.11 pillar
    "tomllib",  # the repository has no settings file
    "yaml",  # a plain law file is read without PyYAML (hammurabi.loading.plainyaml)
    "hammurabi.rules.commands",  # the commands rules: only whether they are allowed is set
    # Pull-request bodies and labels: what reviewers decided is read only where a forge is
    "hammurabi.integrations.forges.prbody",
    "hammurabi.integrations.forges.base",
    # The github forge: imported only where a token, an App or a key is configured
    "hammurabi.integrations.forges.github_forge",
    "hammurabi.core.forge",
    "hammurabi.core.pullstate",  # a pull request's state: read only from a forge
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)


def _probe(argv: list[str], cwd: Path, *, trace: Path | None = None) -> list[str]:
    """Run the CLI in a fresh interpreter; return the top-level modules it imported."""
    probe = (
        "import sys\nfrom hammurabi.cli.main import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "loaded = sorted(sys.modules)\nimport json\nprint(json.dumps(loaded))"
    )
    env = None
    if trace is not None:
        import os

        env = {**os.environ, "GIT_TRACE": str(trace)}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def _git_commands(trace: Path) -> list[str]:
    found = []
    for line in trace.read_text().splitlines():
        if "trace: built-in: git " in line:
            found.append(line.split("trace: built-in: git ", 1)[1].split()[0])
    return found


def test_a_dry_run_imports_only_what_it_uses(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"app.py": "DEBUG = True\n"})
    (tmp_path / "laws.yml").write_text(LAWS)
    argv = ["enforce", "--dry-run", "--laws", str(tmp_path / "laws.yml"), "-p", "python", "-q"]
    loaded = set(_probe(argv, repo))
    assert "hammurabi.rules.lines" in loaded  # the run did run
    unwanted = sorted(name for name in NOT_NEEDED if name in loaded)
    assert unwanted == []


def test_settings_and_records_hold_types_not_strings_to_evaluate() -> None:
    """Each setting's type is read on every run (and each record's field is checked as its
    class is made): written as strings, each would be compiled at start-up first."""
    import dataclasses

    from hammurabi.core import records
    from hammurabi.loading import settings

    kinds = [f.type for f in dataclasses.fields(settings.Settings)]
    kinds += [f.type for f in dataclasses.fields(records.GitRecord)]
    kinds += list(records.CampaignRecord.__annotations__.values())
    assert [kind for kind in kinds if isinstance(kind, str)] == []


#: A repository set up the 0.11 way (issue 14's workload): settings and a pillar.
PILLAR = """\
from pathlib import Path

from hammurabi import Law, LineNotExists, LineReplaced, Pillar

pillar = Pillar()
pillar.register(
    Law(
        name="Debug off",
        description="The module is configured for production.",
        rules=(
            LineReplaced(name="debug off", path=Path("app.py"), match=r"^DEBUG = True",
                         text="DEBUG = False"),
            LineNotExists(name="no todo", path=Path("app.py"), text=r"^# TODO"),
        ),
    )
)
"""


def test_a_dry_run_of_a_0_11_pillar_imports_no_forge(tmp_path: Path) -> None:
    """A pillar without notifications imports none, nor the forge they are redacted by."""
    files = {
        "app.py": "DEBUG = True\n# TODO remove\n",
        "pyproject.toml": '[tool.hammurabi]\npillar_config = "pillar.conf.py"\n',
        "pillar.conf.py": PILLAR,
    }
    repo = init_repo(tmp_path / "repo", files)
    loaded = set(_probe(["enforce", "--dry-run", "-p", "python", "-q"], repo))
    assert "hammurabi.compat.pillar" in loaded  # the pillar was read
    assert "hammurabi.core.forge" not in loaded
    assert "hammurabi.compat.notifications" not in loaded


#: Frozen dataclasses a dry run may still define; each costs 0.3-0.5 ms to create at import
#: (its methods are compiled from source), a named tuple a fifth of that.
FROZEN_DATACLASSES = {
    "hammurabi.core.results.FileChange",  # a cached diff, fields left out of equality
    "hammurabi.core.records.Credentials",  # a tuple would hand its password to any unpacking
}


def test_a_dry_run_defines_few_frozen_dataclasses(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"app.py": "DEBUG = True\n"})
    (tmp_path / "laws.yml").write_text(LAWS)
    argv = ["enforce", "--dry-run", "--laws", str(tmp_path / "laws.yml"), "-p", "python", "-q"]
    probe = (
        "import dataclasses, json, sys\nfrom hammurabi.cli.main import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "found = [f'{v.__module__}.{v.__qualname__}' for m in list(sys.modules.values())"
        " for v in list(vars(m).values()) if isinstance(v, type)"
        " and v.__module__ == m.__name__ and m.__name__.startswith('hammurabi')"
        " and dataclasses.is_dataclass(v) and v.__dataclass_params__.frozen]\n"
        "print(json.dumps(sorted(found)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    frozen = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "hammurabi.core.results.FileChange" in frozen  # the probe sees them
    assert sorted(frozen - FROZEN_DATACLASSES) == []


@pytest.mark.parametrize(
    "start",
    [
        "from hammurabi.cli import run\nrun()",
        "import runpy\nrunpy.run_module('hammurabi', run_name='__main__')",
    ],
)
def test_the_command_freezes_what_start_up_made(start: str, tmp_path: Path) -> None:
    """The objects imports make live as long as the process: the garbage collector is held
    back while they are made, then leaves them out of every later collection (the one at
    exit too), but is on for what the command makes."""
    probe = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print(gc.get_freeze_count(), gc.isenabled()))\n"
        "sys.argv = ['hammurabi', '--version']\n"
        f"{start}\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    frozen, enabled = out.stdout.split()[-2:]
    assert int(frozen) > 10_000 and enabled == "True"


def test_a_dry_run_reads_the_repository_in_few_git_processes(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"app.py": "DEBUG = True\n"})
    (tmp_path / "laws.yml").write_text(LAWS)
    trace = tmp_path / "trace.txt"
    argv = ["enforce", "--dry-run", "--laws", str(tmp_path / "laws.yml"), "-p", "python", "-q"]
    _probe(argv, repo, trace=trace)
    started = _git_commands(trace)
    assert "check-ref-format" not in started  # a plain branch name is checked in Python
    assert started.count("rev-parse") <= 2, started
    assert len(started) <= 7, started


def test_entry_points_are_those_importlib_metadata_finds(tmp_path: Path) -> None:
    from importlib import metadata

    def dist(name: str, version: str, eps: str) -> None:
        info = tmp_path / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nName: not this\n"
        )
        (info / "entry_points.txt").write_text(eps)

    dist("Alpha.Plugin", "1.0", "# a comment\n[hammurabi]\nalpha = alpha_mod:Thing [extra]\n")
    dist("beta", "2.0", "[console_scripts]\nb = b:main\n\n[hammurabi]\n beta=beta_mod\n")
    sys.path.insert(0, str(tmp_path))
    try:
        ours = {
            (ep.name, ep.value, ep.module, ep.distribution())
            for ep in entrypoints.entry_points("hammurabi")
        }
        theirs = {
            (ep.name, ep.value, ep.module, (ep.dist.metadata["Name"], ep.dist.metadata["Version"]))
            for ep in metadata.entry_points(group="hammurabi")
            if ep.dist is not None
        }
    finally:
        sys.path.remove(str(tmp_path))
    assert ours == theirs
    assert ("alpha", "alpha_mod:Thing [extra]", "alpha_mod", ("Alpha.Plugin", "1.0")) in ours


def test_a_zip_on_the_path_is_left_to_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("zipped-1.0.dist-info/METADATA", "Name: zipped\nVersion: 1.0\n")
        zipped.writestr("zipped-1.0.dist-info/entry_points.txt", "[hammurabi]\nzipped = zp\n")
    monkeypatch.syspath_prepend(str(archive))
    found = {ep.name: ep.distribution() for ep in entrypoints.entry_points("hammurabi")}
    assert found["zipped"] == ("zipped", "1.0")


@pytest.mark.parametrize(
    "argv",
    [
        ["rules"],
        ["-v", "plugins", "--format", "json"],
        ["--log-level", "rules", "laws", "--help"],
        ["report", "--help"],
        ["metrics", "--help"],
    ],
)
def test_every_command_still_runs(argv: list[str], tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hammurabi", *argv], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


def test_an_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hammurabi", "-v", "nosuch"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "No such command 'nosuch'" in out.stderr


def test_a_branch_name_git_refuses_is_still_refused(tmp_path: Path) -> None:
    """A branch name outside the plain subset is still asked of git (and refused by it)."""
    repo = init_repo(tmp_path / "repo", {"app.py": "DEBUG = True\n"})
    (tmp_path / "laws.yml").write_text(LAWS)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "hammurabi",
            "enforce",
            "--dry-run",
            "--laws",
            str(tmp_path / "laws.yml"),
            "-p",
            "python",
            "--branch",
            "bad..name",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and "not a valid git branch name" in out.stderr


PLAIN_LAWS = """\
laws:
  - name: {name}
    description: Git ignores bytecode caches.
    rules:
      - line-exists: {{name: pycache ignored, path: .gitignore, text: __pycache__/, create: true}}
  - name: Debug off
    description: No DEBUG in production.
    rules:
      - line-replaced: {{name: debug off, path: app.py, target: '^DEBUG = .*', text: {text}}}
  - name: Broken
    description: A rule that fails.
    rules:
      - line-exists: {{name: missing file, path: nothere/x.txt, text: x}}
"""


@pytest.mark.parametrize(
    ("name", "text", "columns", "plain"),
    [
        ("Ignore caches", "DEBUG = False", "100", True),
        ("Ignore caches", "DEBUG = False", "80", False),  # the details do not fit: rich folds
        ("Ignore caches", "DEBUG = False", "200", True),
        ("Ignore caches", "DEBUG\\tFalse", "80", False),  # a tab in the diff
        ("Caches ignorés", "DEBUG = False", "80", False),  # not ASCII
        ("A law with a long name " * 3, "DEBUG = False", "80", False),  # wider than 80
        ("A law with a long name " * 3, "DEBUG = False", "300", True),
    ],
)
@pytest.mark.parametrize("quiet", [False, True])
def test_the_summary_without_rich_is_what_rich_prints(
    name: str,
    text: str,
    columns: str,
    plain: bool,
    quiet: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from hammurabi.cli import display
    from hammurabi.cli import plain as plain_output
    from hammurabi.orchestration import repository as runner
    from tests.helpers import make_tree

    monkeypatch.setenv("COLUMNS", columns)
    for key in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(key, raising=False)
    root = make_tree(tmp_path / "tree", {"app.py": "DEBUG = True\n"})
    laws = tmp_path / "laws.yml"
    laws.write_text(PLAIN_LAWS.format(name=name.strip(), text=f'"{text}"'))
    session = runner.prepare(root, overrides={"laws": [str(laws)], "disable_plugins": ["python"]})
    result = runner.enforce(session, dry_run=True, git=False)
    assert result.diff and any(row[4] for row in plain_output.run_rows(result))  # details
    capsys.readouterr()
    display.show_run(result, diff=not quiet)
    by_rich = capsys.readouterr().out
    assert plain_output.show_run(result, diff=not quiet) is plain
    assert capsys.readouterr().out == (by_rich if plain else "")


#: The module each runtime dependency is imported as.
IMPORTED_AS = {
    "pluggy": "pluggy",
    "typer": "typer",
    "rich": "rich",
    "pyyaml": "yaml",
    "ruamel.yaml": "ruamel",
    "tomlkit": "tomlkit",
    "configupdater": "configupdater",
    "jinja2": "jinja2",
    "pygithub": "github",
    "httpx": "httpx",
}


def test_every_runtime_dependency_is_imported_by_the_package() -> None:
    """An install carries only what the package imports (GitPython is for the tests only)."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    names = [re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower() for d in project["dependencies"]]
    assert set(names) == set(IMPORTED_AS), "say here how a new dependency is imported"
    source = "\n".join(p.read_text() for p in (root / "hammurabi").rglob("*.py"))
    unused = [
        name
        for name in names
        if not re.search(rf"^\s*(import|from) {re.escape(IMPORTED_AS[name])}\b", source, re.M)
    ]
    assert unused == []


def test_each_builtin_type_plugin_contributes_what_is_listed_without_importing_it() -> None:
    """The registry knows the built-in types by id before importing them: the list must
    be what the modules' hooks answer, and each listed module an entry point of ours."""
    import importlib
    import tomllib

    from hammurabi.loading.builtins import BUILTIN_TYPES

    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    ours = set(project["entry-points"]["hammurabi"].values())
    hooks = ("hammurabi_rule_types", "hammurabi_precondition_types")
    for module_name, contribution in BUILTIN_TYPES.items():
        assert module_name in ours
        module = importlib.import_module(module_name)
        implemented = {name for name in dir(module) if name.startswith("hammurabi_")}
        assert implemented <= set(hooks), module_name  # nothing else to stand in for
        listed_by_hook = (contribution.rules, contribution.preconditions)
        for hook, listed in zip(hooks, listed_by_hook, strict=True):
            answer = getattr(module, hook)() if hook in implemented else ()
            assert tuple(kind.id for kind in answer) == listed, (module_name, hook)
    deferred = [value for value in ours if value in BUILTIN_TYPES]
    assert len(deferred) == len(BUILTIN_TYPES)


def _session(tmp_path: Path, law: str, **kwargs: object) -> object:
    from hammurabi.orchestration.session import prepare

    (tmp_path / "laws.yml").write_text(f"laws:\n  - name: One\n    rules:\n      - {law}\n")
    return prepare(
        tmp_path,
        overrides={"laws": [str(tmp_path / "laws.yml")], "disable_plugins": ["python"]},
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_run_imports_the_type_modules_its_laws_name(tmp_path: Path) -> None:
    session = _session(tmp_path, "file-exists: {path: a.txt}")
    (law,) = session.laws  # type: ignore[attr-defined]
    assert type(law.rules[0]).__module__ == "hammurabi.rules.files"
    registry = session.registry  # type: ignore[attr-defined]
    assert sorted(registry.rules) == sorted(_eager().rules)  # every id is known
    assert dict(registry.rules.items()) == dict(_eager().rules.items())


def _eager() -> object:
    from hammurabi.loading.plugins import get_plugin_manager
    from hammurabi.loading.registry import Registry

    return Registry.from_plugins(get_plugin_manager(["python"]))


def test_an_unknown_id_is_still_refused_with_a_suggestion(tmp_path: Path) -> None:
    from hammurabi.core.errors import LawFileError

    expected = "unknown rule id 'lines-exists' (did you mean 'line-exists'?)"
    with pytest.raises(LawFileError, match=re.escape(expected)):
        _session(tmp_path, "lines-exists: {path: a.txt, text: x}")


def test_a_plugin_claiming_a_builtin_id_is_refused_before_any_import(tmp_path: Path) -> None:
    from hammurabi.core.errors import PluginError
    from hammurabi.core.hooks import hookimpl

    class Mine:
        id = "template-rendered"

    class Clash:
        @hookimpl
        def hammurabi_rule_types(self) -> tuple[type, ...]:
            return (Mine,)

    with pytest.raises(PluginError, match="'template-rendered' is claimed by plugins"):
        _session(tmp_path, "line-exists: {path: a.txt, text: x}", extra_plugins=(Clash(),))


def test_a_builtin_type_plugin_that_fails_to_import_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hammurabi.core.errors import PluginError

    monkeypatch.setitem(sys.modules, "hammurabi.rules.templates", None)  # import fails
    with pytest.raises(PluginError, match=r"'templates' .*--disable-plugin templates"):
        _session(tmp_path, "template-rendered: {path: a.txt, template: t.j2}")


@pytest.mark.parametrize("package", ["hammurabi.rules", "hammurabi.preconditions"])
def test_the_lazy_packages_export_each_name_from_where_they_import_it(package: str) -> None:
    """Each exported name is the very object its module (in the package's import list for
    type checkers) defines, and it is found without importing the package's other names."""
    import ast
    import importlib

    module = importlib.import_module(package)
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text())
    sources = {
        alias.asname or alias.name: node.module
        for block in tree.body
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    assert sorted(sources) == sorted(module.__all__)
    for name, source in sources.items():
        assert getattr(module, name) is getattr(importlib.import_module(source), name), name
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError):
        module.NoSuchName  # noqa: B018


def test_hook_implementations_are_found_as_pluggy_finds_them() -> None:
    import pluggy

    from hammurabi.loading.plugins import get_plugin_manager

    pm = get_plugin_manager()
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        for attr in dir(plugin):
            ours = pm.parse_hookimpl_opts(plugin, attr)
            assert ours == pluggy.PluginManager.parse_hookimpl_opts(pm, plugin, attr), (name, attr)


@pytest.mark.parametrize(
    "github",
    [
        {},
        {"token": "t0ken"},
        {"app_id": "7", "private_key": "PEM"},
        {"private_key": "PEM"},  # no forge, but the key is a secret to mask all the same
    ],
)
def test_a_run_is_offered_the_github_forge_as_the_forge_itself_says(
    github: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hammurabi.integrations.forges.github_forge import GitHubForge
    from hammurabi.loading.plugins import get_plugin_manager
    from hammurabi.loading.settings import load_settings

    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("HAMMURABI_GITHUB_TOKEN", raising=False)
    settings = load_settings(None, env={}, overrides={"github": github})
    offered = get_plugin_manager(defer_types=True).hook.hammurabi_forge(settings=settings)
    forge = GitHubForge(settings.github)
    expected = forge if forge.configured else None
    assert repr(offered) == repr(expected)


def test_an_unreadable_github_key_is_refused_by_a_run(tmp_path: Path) -> None:
    from hammurabi.core.forge import ForgeError
    from hammurabi.loading.plugins import get_plugin_manager
    from hammurabi.loading.settings import load_settings

    missing = str(tmp_path / "no-such-key.pem")
    settings = load_settings(None, env={}, overrides={"github": {"private_key_path": missing}})
    with pytest.raises(ForgeError, match=r"cannot read github\.private_key_path"):
        get_plugin_manager(defer_types=True).hook.hammurabi_forge(settings=settings)
