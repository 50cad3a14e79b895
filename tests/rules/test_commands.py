"""command-run and command-succeeds: opt-in, rollback, timeouts, environment, dry runs."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hammurabi import CommandRun, ConfigError, FileExists, Outcome
from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from hammurabi.loading.lawfile import load_law_file
from hammurabi.loading.plugins import get_plugin_manager
from hammurabi.loading.registry import Registry
from hammurabi.loading.settings import load_settings
from hammurabi.rules.commands import CommandOutput, CommandSucceeds, commands_allowed
from tests.helpers import apply_twice, make_tree, only, run_rules, snapshot

PY = sys.executable


def py(code: str) -> list[str]:
    """A command running ``code`` with this Python (no shell quoting worries)."""
    return [PY, "-c", code]


@pytest.fixture(autouse=True)
def _no_ambient_permission(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAMMURABI_ALLOW_COMMANDS", raising=False)


@pytest.fixture
def allowed() -> Iterator[None]:
    with commands_allowed():
        yield


def test_refused_unless_allowed(tmp_path: Path) -> None:
    rule = CommandRun(name="touch", command=py("open('made', 'w')"))
    result = only(run_rules(tmp_path, rule))
    assert result.outcome is Outcome.FAILED
    assert result.error == (
        "rule 'touch': running commands is not allowed; the runner allows them with "
        "allow_commands = true in its settings or HAMMURABI_ALLOW_COMMANDS=1"
    )
    assert not (tmp_path / "made").exists()
    with commands_allowed(False):
        assert only(run_rules(tmp_path, rule)).outcome is Outcome.FAILED


def test_allowed_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAMMURABI_ALLOW_COMMANDS", "1")
    assert load_settings(tmp_path).allow_commands is True
    result = only(run_rules(tmp_path, CommandRun(name="t", command=py("open('made', 'w')"))))
    assert result.outcome is Outcome.CHANGED and (tmp_path / "made").exists()


def test_the_repository_own_settings_never_allow_commands(tmp_path: Path) -> None:
    make_tree(tmp_path, {".hammurabi.toml": "allow_commands = true\n"})
    rule = CommandRun(name="t", command=py("open('made.txt', 'w').write('hi\\n')"))
    result = only(run_rules(tmp_path, rule))
    assert result.outcome is Outcome.FAILED and "not allowed" in (result.error or "")
    assert not (tmp_path / "made.txt").exists()


def test_allowed_also_in_dry_run(tmp_path: Path, allowed: None) -> None:
    rule = CommandRun(name="t", command=py("open('made.txt', 'w').write('hi\\n')"))
    dry = run_rules(tmp_path, rule, dry_run=True)
    assert only(dry).outcome is Outcome.CHANGED and "+hi" in dry.diff
    assert not (tmp_path / "made.txt").exists()  # the dry run worked on a copy
    _, second = apply_twice(tmp_path, rule)
    assert (tmp_path / "made.txt").read_text() == "hi\n"
    assert only(second).outcome is Outcome.UNCHANGED  # rewrote the same bytes


def test_changes_are_diffed_and_output_kept(tmp_path: Path, allowed: None) -> None:
    make_tree(tmp_path, {"a.txt": "old\n", "sub/b.txt": "b\n"})
    code = (
        "import os; open('a.txt', 'w').write('new\\n'); os.remove('sub/b.txt');"
        "print('did it'); print(os.getcwd())"
    )
    result = only(run_rules(tmp_path, CommandRun(name="edit", command=py(code))))
    assert result.outcome is Outcome.CHANGED
    assert {(c.path, c.kind) for c in result.changes} == {
        ("a.txt", "modified"),
        ("sub/b.txt", "deleted"),
    }
    assert "-old\n+new\n" in result.diff
    assert isinstance(result.output, CommandOutput)
    assert result.output.stdout.splitlines() == ["did it", str(tmp_path.resolve())]
    assert result.output.returncode == 0


def test_failure_rolls_back_and_reports_output_tail(tmp_path: Path, allowed: None) -> None:
    make_tree(tmp_path, {"a.txt": "keep\n", "b.bin": b"\x00\x01", "gone.txt": "x"})
    before = snapshot(tmp_path)
    code = (
        "import os, sys; open('a.txt', 'w').write('broken\\n'); open('new.txt', 'w');"
        "os.chmod('b.bin', 0o700); os.remove('gone.txt');"
        "[print(f'line {i}') for i in range(30)];"
        "print('boom: it failed', file=sys.stderr); sys.exit(3)"
    )
    result = only(run_rules(tmp_path, CommandRun(name="fmt", command=py(code))))
    assert result.outcome is Outcome.FAILED
    assert result.changes == []
    assert snapshot(tmp_path) == before  # contents, modes, added and deleted files restored
    error = result.error or ""
    assert error.splitlines()[0].startswith("command ") and "exited with status 3" in error
    assert "stdout (last 15 lines):\n  line 15\n" in error and "line 14\n" not in error
    assert error.endswith("stderr (last 1 lines):\n  boom: it failed")


def test_timeout_kills_the_process_group_and_rolls_back(tmp_path: Path, allowed: None) -> None:
    make_tree(tmp_path, {"a.txt": "keep\n"})
    before = snapshot(tmp_path)
    rule = CommandRun(
        name="slow",
        command="echo partial > a.txt; (sleep 30; echo late > late.txt) & sleep 30",
        shell=True,
        timeout=0.5,
    )
    started = time.monotonic()
    result = only(run_rules(tmp_path, rule))
    assert time.monotonic() - started < 10
    assert result.outcome is Outcome.FAILED
    assert (result.error or "").startswith("command 'echo partial > a.txt;")
    assert "timed out after 0.5s" in (result.error or "")
    assert snapshot(tmp_path) == before


def test_secret_variables_are_not_passed(
    tmp_path: Path, allowed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_TOKEN", "HAMMURABI_GITHUB_TOKEN", "my_secret", "DB_PASSWORD"):
        monkeypatch.setenv(name, "hunter2")
    monkeypatch.setenv("PLAIN_SETTING", "visible")
    code = "import os, json; json.dump(dict(os.environ), open('env.json', 'w'))"
    rule = CommandRun(name="env", command=py(code), env={"EXTRA": 1, "NPM_TOKEN": "given"})
    assert only(run_rules(tmp_path, rule)).outcome is Outcome.CHANGED
    env = json.loads((tmp_path / "env.json").read_text())
    assert "hunter2" not in env.values()
    assert env["PLAIN_SETTING"] == "visible" and env["EXTRA"] == "1"
    assert env["NPM_TOKEN"] == "given"  # explicitly given variables are passed as given


def test_cwd_string_commands_and_shell(tmp_path: Path, allowed: None) -> None:
    make_tree(tmp_path, {"pkg/x": ""})
    apply_twice(
        tmp_path,
        CommandRun(name="split", command=f"{PY} -c \"open('from split', 'w')\"", cwd="pkg"),
        CommandRun(name="shell", command="echo 'a b' > shell.txt", shell=True),
        CommandRun(name="joined", command=["echo", "a b", ">", "x"], shell=True),
    )
    assert (tmp_path / "pkg/from split").exists()
    assert (tmp_path / "shell.txt").read_text() == "a b\n"
    assert not (tmp_path / "x").exists()  # a list is quoted for the shell: '>' is an argument
    escape = only(run_rules(tmp_path, CommandRun(name="out", command=["true"], cwd="..")))
    assert escape.outcome is Outcome.FAILED and "outside the repository" in (escape.error or "")
    missing = only(run_rules(tmp_path, CommandRun(name="m", command=["true"], cwd="nope")))
    assert missing.error == "nope: working directory does not exist"
    unknown = only(run_rules(tmp_path, CommandRun(name="u", command=["no-such-command-xyz"])))
    assert unknown.error == "command not found: 'no-such-command-xyz'"


def test_expect_changes(tmp_path: Path, allowed: None) -> None:
    make_tree(tmp_path, {"a.txt": "a\n"})
    before = snapshot(tmp_path)
    nothing = only(run_rules(tmp_path, CommandRun(name="n", command=["true"], expect_changes=True)))
    assert nothing.outcome is Outcome.FAILED and "changed nothing" in (nothing.error or "")
    check = CommandRun(name="c", command=py("open('a.txt', 'w').write('b')"), expect_changes=False)
    changed = only(run_rules(tmp_path, check))
    assert changed.outcome is Outcome.FAILED
    assert "changed a.txt (expect_changes is false)" in (changed.error or "")
    assert snapshot(tmp_path) == before
    same = CommandRun(
        name="s", command=py("open('a.txt', 'w').write('a\\n')"), expect_changes=False
    )
    assert only(run_rules(tmp_path, same)).outcome is Outcome.UNCHANGED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"command": ""}, "command must not be empty"),
        ({"command": []}, "command must be a string or a list of strings"),
        ({"command": ["ok", None]}, "command must be a string or a list of strings"),
        ({"command": {"a": 1}}, "command must be a string or a list of strings"),
        ({"command": "echo 'unclosed"}, "cannot split command"),
        ({"command": "x", "timeout": 0}, "timeout must be a positive number"),
        ({"command": "x", "timeout": "1"}, "timeout must be a positive number"),
        ({"command": "x", "env": ["A=1"]}, "env must be a mapping"),
        ({"command": "x", "env": {"A": None}}, "env entries must be NAME: value"),
        ({"command": "x", "expect_changes": "yes"}, "expect_changes must be true, false"),
    ],
)
def test_bad_arguments_fail_when_built(args: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match="rule 'bad'") as info:
        CommandRun(name="bad", **args)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_command_succeeds_precondition(tmp_path: Path, allowed: None) -> None:
    make_tree(tmp_path, {"setup.py": ""})
    result = run_rules(
        tmp_path,
        FileExists(
            name="yes",
            path="yes",
            preconditions=[CommandSucceeds(py("import os; assert os.path.exists('setup.py')"))],
        ),
        FileExists(name="no", path="no", preconditions=[CommandSucceeds(["false"])]),
    )
    assert [r.outcome for r in result.walk()] == [Outcome.CHANGED, Outcome.SKIPPED]
    slow = FileExists(
        name="slow", path="s", preconditions=[CommandSucceeds(["sleep", "5"], timeout=0.2)]
    )
    timed_out = only(run_rules(tmp_path, slow))
    assert timed_out.outcome is Outcome.FAILED and "timed out" in (timed_out.error or "")
    with commands_allowed(False):
        refused = only(
            run_rules(
                tmp_path, FileExists(name="r", path="r", preconditions=[CommandSucceeds(["true"])])
            )
        )
    assert refused.outcome is Outcome.FAILED
    assert "running commands is not allowed" in (refused.error or "")
    with pytest.raises(ConfigError, match="CommandSucceeds: timeout"):
        CommandSucceeds("true", timeout=-1)


LAW_FILE = """\
laws:
  - name: generated
    preconditions:
      - command-succeeds: {command: [%(py)s, -c, "import os; assert os.path.isdir('src')"]}
    rules:
      - command-run:
          name: generate
          command: [%(py)s, -c, "open('src/gen.py', 'w').write('X = 1\\\\n')"]
          timeout: 30
"""


def test_law_file_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    make_tree(repo, {"src/__init__.py": ""})
    law_file = tmp_path / "laws.yml"
    law_file.write_text(LAW_FILE % {"py": PY})
    registry = Registry.from_plugins(get_plugin_manager())
    (law,) = load_law_file(law_file, registry)
    assert isinstance(law.rules[0], CommandRun)
    refused = main(["enforce", str(repo), "--laws", str(law_file), "--format", "json"])
    assert refused == ExitCode.RULES_FAILED
    (law_record,) = json.loads(capsys.readouterr().out)["laws"]
    assert "running commands is not allowed" in law_record["error"]
    assert not (repo / "src/gen.py").exists()
    monkeypatch.setenv("HAMMURABI_ALLOW_COMMANDS", "true")
    assert main(["enforce", str(repo), "--laws", str(law_file)]) == ExitCode.OK
    assert (repo / "src/gen.py").read_text() == "X = 1\n"
    capsys.readouterr()
    assert main(["check", str(repo), "--laws", str(law_file)]) == ExitCode.OK
