"""Command-line conventions: common options anywhere, plain metavars, completion, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from hammurabi import runner
from hammurabi.cli import main
from hammurabi.exitcodes import ExitCode
from tests.helpers import hammurabi, make_tree


@pytest.mark.parametrize("args", [["laws", "--version"], ["--version", "laws"]])
def test_version_anywhere(args: list[str]) -> None:
    result = hammurabi(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("hammurabi ")


def test_verbose_after_the_subcommand(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "repo", {"app.py": "x = 1\n"})
    result = hammurabi("rules", "-v", cwd=root)
    assert result.returncode == 0, result.stderr
    result = hammurabi("rules", "-vv", "--", cwd=root)
    assert "No such option" not in result.stderr


def test_help_has_plain_metavars() -> None:
    for command in ("enforce", "check", "laws"):
        out = hammurabi(command, "--help").stdout
        assert "list[str]" not in out and "int range" not in out and "<str>" not in out, out
    out = hammurabi("enforce", "--help").stdout
    assert "--laws SOURCE" in out and "--select GLOB" in out and "--jobs N" in out


def test_shell_completion() -> None:
    for shell in ("bash", "zsh", "fish"):
        result = hammurabi("--show-completion", shell)
        assert result.returncode == 0, result.stderr
        assert "_HAMMURABI_COMPLETE" in result.stdout
    env = {"_HAMMURABI_COMPLETE": "complete_bash", "COMP_WORDS": "hammurabi enf", "COMP_CWORD": "1"}
    assert hammurabi(env=env).stdout.split() == ["enforce"]


@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_verbose_never_changes_the_exit_code(
    verbose: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:  # an unforeseen bug
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "prepare", broken)
    assert main(["laws", *verbose]) == ExitCode.INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("hammurabi: internal error: RuntimeError: boom")
    assert ("Traceback" in err) == bool(verbose)
