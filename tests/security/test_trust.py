"""A repository's own settings never make Hammurabi run its code unless it is trusted."""

from __future__ import annotations

from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from tests.helpers import make_tree

LAWS = """
laws:
  - name: Debug off
    description: No DEBUG in production.
    rules:
      - line-replaced: {name: debug off, path: app.py, target: '^DEBUG = True', text: DEBUG = False}
"""
#: Python laws that leave a marker next to the repository when they run.
EVIL = """
from pathlib import Path
Path(__file__).resolve().parent.parent.joinpath("pwned").write_text("ran")
from hammurabi import Pillar
pillar = Pillar()
"""


@pytest.fixture(autouse=True)
def _no_ambient_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HAMMURABI_TRUST_REPOSITORY", "GITHUB_EVENT_NAME", "HAMMURABI_ALLOW_COMMANDS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    """A repository whose pyproject.toml names its own Python laws."""
    return make_tree(
        tmp_path / "repo",
        {
            "app.py": "DEBUG = True\n",
            "evil.py": EVIL,
            "pyproject.toml": '[tool.hammurabi]\nlaws = ["evil.py"]\n',
        },
    )


def pwned(repo: Path) -> bool:
    return (repo.parent / "pwned").exists()


@pytest.mark.parametrize("command", ["check", "laws", "enforce"])
def test_a_repository_given_as_a_path_never_runs_its_laws(
    evil: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, str(evil), "--disable-plugin", "python"]) == ExitCode.USAGE_ERROR
    assert not pwned(evil)
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "'laws'" not in line and "evil.py" in line and "refused" in line
    assert "--trust-repository" in line


def test_the_runner_can_trust_a_repository(evil: Path) -> None:
    assert main(["laws", str(evil), "--trust-repository", "--disable-plugin", "python"]) == 0
    assert pwned(evil)


def test_the_current_directory_is_trusted_like_make(
    evil: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(evil)
    assert main(["laws", "--disable-plugin", "python"]) == 0
    assert pwned(evil)


def test_never_under_pull_request_target(evil: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(evil)
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request_target")
    assert main(["check", "--disable-plugin", "python"]) == ExitCode.USAGE_ERROR
    assert not pwned(evil)
    assert main(["laws", "--no-trust-repository", "--disable-plugin", "python"]) == 2
    assert not pwned(evil)


def test_a_folder_of_laws_named_by_the_repository_loads_yaml_only(
    evil: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(evil, {"laws/a.yml": LAWS, "laws/b.py": EVIL})
    (evil / "pyproject.toml").write_text('[tool.hammurabi]\nlaws = ["laws/"]\n')
    assert main(["check", str(evil), "--disable-plugin", "python"]) == ExitCode.USAGE_ERROR
    assert not pwned(evil) and "b.py" in capsys.readouterr().err
    (evil / "laws/b.py").unlink()
    assert main(["check", str(evil), "--disable-plugin", "python"]) == ExitCode.CHANGES_NEEDED


def test_a_module_named_by_the_repository_is_refused(
    evil: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (evil / "pyproject.toml").write_text('[tool.hammurabi]\nlaws = ["antigravity"]\n')
    assert main(["check", str(evil), "--disable-plugin", "python"]) == ExitCode.USAGE_ERROR
    assert "'antigravity' is refused" in capsys.readouterr().err


@pytest.mark.parametrize(
    "setting",
    [
        "allow_commands = true",
        'reports = ["json=/tmp/elsewhere.json"]',
        '[github]\napi_url = "https://attacker.example/api"',
        '[github]\nrepository = "victim/other"',
        '[metrics]\nconf = "http::addr=attacker.example:9000;"',
        '[fleet]\ncache = "/tmp/elsewhere"',
    ],
)
def test_settings_only_the_runner_may_choose_are_refused(
    tmp_path: Path, setting: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tree(tmp_path / "repo", {"app.py": "DEBUG = True\n", ".hammurabi.toml": setting})
    (tmp_path / "laws.yml").write_text(LAWS)
    args = ["check", str(repo), "--laws", str(tmp_path / "laws.yml"), "--disable-plugin", "python"]
    assert main(args) == ExitCode.USAGE_ERROR
    (line,) = capsys.readouterr().err.strip().splitlines()
    key = setting.split("\n")[-1].split(" =")[0]
    assert f"{key}'" in line and ".hammurabi.toml" in line and "--trust-repository" in line


def test_harmless_settings_of_the_repository_still_apply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tree(
        tmp_path / "repo",
        {
            "app.py": "DEBUG = True\n",
            "laws.yml": LAWS,
            "pyproject.toml": '[tool.hammurabi]\nlaws = ["laws.yml"]\nallow_commands = false\n'
            'ignore = ["Nothing*"]\n[tool.hammurabi.github]\nlabels = ["bot"]\n',
        },
    )
    assert main(["enforce", str(repo), "--disable-plugin", "python", "-q"]) == ExitCode.OK
    assert (repo / "app.py").read_text() == "DEBUG = False\n"


def test_a_repository_cannot_allow_commands_for_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even trusted settings files of another folder are not read when a rule runs."""
    laws = tmp_path / "laws.yml"
    laws.write_text(
        "laws:\n  - name: Run\n    description: d\n    rules:\n"
        "      - command-run: {name: touch, command: [touch, ran]}\n"
    )
    repo = make_tree(tmp_path / "repo", {".hammurabi.toml": "allow_commands = true\n"})
    monkeypatch.chdir(tmp_path)
    code = main(["enforce", str(repo), "--laws", str(laws), "--trust-repository", "-q"])
    assert code == ExitCode.OK and (repo / "ran").exists()  # trusted: its setting counts
    (repo / "ran").unlink()
    assert main(["enforce", str(repo), "--laws", str(laws), "-q"]) == ExitCode.USAGE_ERROR
    assert not (repo / "ran").exists()


def test_a_settings_file_the_runner_names_is_the_runner_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_tree(tmp_path / "repo", {"app.py": "DEBUG = True\n"})
    (tmp_path / "laws.yml").write_text(LAWS)
    mine = make_tree(tmp_path, {"mine.toml": '[tool.hammurabi]\nreports = ["json=-"]\n'})
    monkeypatch.setenv("HAMMURABI_SETTINGS_PATH", str(mine / "mine.toml"))
    args = ["check", str(repo), "--laws", str(tmp_path / "laws.yml"), "-p", "python"]
    assert main(args) == ExitCode.CHANGES_NEEDED


def test_law_files_outside_the_repository_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tree(
        tmp_path / "repo", {"pyproject.toml": '[tool.hammurabi]\nlaws = ["../x.yml"]\n'}
    )
    (tmp_path / "x.yml").write_text(LAWS)
    assert main(["check", str(repo), "-p", "python"]) == ExitCode.USAGE_ERROR
    assert "x.yml' is refused: it is outside the repository" in capsys.readouterr().err
