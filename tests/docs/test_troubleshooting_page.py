"""docs/troubleshooting.md quotes the messages Hammurabi really prints.

Each case makes the mistake the page describes and checks that the quoted message (its
words, with the page's example names) is what the command line says, with its exit code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hammurabi.cli.main import main
from tests.docs.helpers import DOCS
from tests.gitrepos import init_repo, isolate_git

PAGE = (DOCS / "troubleshooting.md").read_text()

LAW = "laws:\n  - name: c\n    description: d\n    rules:\n      - {rule}\n"
CASES = {
    # quoted on the page -> (law file's rule, settings file, exit code)
    "unknown rule id 'line-exist' (did you mean 'line-exists'?)": (
        "line-exist: {path: a.txt, text: b}",
        None,
        2,
    ),
    "rule 'line-exists': missing a required argument: text": (
        "line-exists: {path: a.txt}",
        None,
        2,
    ),
    "a.txt: no line matches '^zzz'": (
        "line-replaced: {path: a.txt, target: '^zzz', text: y}",
        None,
        1,
    ),
    "a.txt: file does not exist": ("line-exists: {path: a.txt, text: b}", None, 1),
    "path '../x' points outside the repository": ("file-exists: {path: ../x}", None, 1),
    "pyproject.toml: unknown setting 'law' (did you mean 'laws'?)": (
        "file-exists: {path: x}",
        '[tool.hammurabi]\nlaw = ["x"]\n',
        2,
    ),
    "running commands is not allowed; the runner allows them with allow_commands = true": (
        "command-run: {command: [ls]}",
        None,
        1,
    ),
}


@pytest.mark.parametrize("quoted", list(CASES))
def test_the_page_quotes_what_the_command_line_says(
    quoted: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert quoted in PAGE
    rule, settings, code = CASES[quoted]
    isolate_git(monkeypatch)
    files = {"README.md": "# repo\n"}
    if "a.txt: file" not in quoted:
        files["a.txt"] = "hello\n"
    if settings:
        files["pyproject.toml"] = settings
    repo = init_repo(tmp_path / "repo", files)
    (tmp_path / "x.yml").write_text(LAW.format(rule=rule))
    monkeypatch.chdir(repo)  # inside the repository: its own settings are read
    assert main(["enforce", "--laws", str(tmp_path / "x.yml")]) == code
    assert quoted in capsys.readouterr().err


def test_a_dirty_working_tree_is_refused_as_quoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    quoted = "has 1 uncommitted change(s) (first: a.txt); commit them first or pass --allow-dirty"
    assert quoted in PAGE
    isolate_git(monkeypatch)
    repo = init_repo(tmp_path / "repo", {"a.txt": "hello\n"})
    (repo / "a.txt").write_text("changed\n")
    (tmp_path / "x.yml").write_text(LAW.format(rule="file-exists: {path: b.txt}"))
    assert main(["enforce", str(repo), "--laws", str(tmp_path / "x.yml")]) == 1
    assert quoted in capsys.readouterr().err
