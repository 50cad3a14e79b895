"""The hammurabi command: enforce, check, listings, reports, exit codes and start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from tests.helpers import hammurabi, make_tree, snapshot

LAWS = """
laws:
  - name: Ignore caches
    description: Git ignores bytecode caches.
    rules:
      - line-exists: {name: pycache ignored, path: .gitignore, text: __pycache__/, create: true}
  - name: Debug off
    description: No DEBUG in production.
    rules:
      - line-replaced: {name: debug off, path: app.py, target: '^DEBUG = True', text: DEBUG = False}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_tree(tmp_path / "repo", {"app.py": "DEBUG = True\n"})
    (tmp_path / "laws.yml").write_text(LAWS)
    return root


def laws_arg(repo: Path) -> list[str]:
    return ["--laws", str(repo.parent / "laws.yml"), "--disable-plugin", "python"]


def test_enforce_then_check(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(repo), *laws_arg(repo)]) == ExitCode.CHANGES_NEEDED
    out = capsys.readouterr().out
    assert "+DEBUG = False" in out and "Ignore caches" in out
    assert (repo / "app.py").read_text() == "DEBUG = True\n"
    assert main(["enforce", str(repo), *laws_arg(repo)]) == ExitCode.OK
    assert (repo / "app.py").read_text() == "DEBUG = False\n"
    assert main(["check", str(repo), *laws_arg(repo)]) == ExitCode.OK


def test_dry_run_changes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(repo)
    assert main(["enforce", "--dry-run", str(repo), *laws_arg(repo)]) == ExitCode.OK
    assert snapshot(repo) == before
    out = capsys.readouterr().out
    assert "+__pycache__/" in out and "dry run" in out


def test_json_output_and_reports(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = repo.parent / "report.json"
    summary = repo.parent / "summary.md"
    code = main(
        [
            "enforce",
            str(repo),
            *laws_arg(repo),
            "--format",
            "json",
            "--report",
            f"json={report}",
            "--report",
            f"markdown={summary}",
        ]
    )
    assert code == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert data == json.loads(report.read_text())
    assert data["outcome"] == "changed"
    assert data["passed"] == ["Ignore caches", "Debug off"] and data["failed"] == []
    assert [law["files"] for law in data["laws"]] == [[".gitignore"], ["app.py"]]
    assert data["laws"][1]["rules"][0]["changes"][0]["diff"].startswith("diff --git a/app.py")
    md = summary.read_text()
    assert "| Debug off | 🔧 changed | `app.py` |" in md and "```diff" in md


def test_github_step_summary(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = repo.parent / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    main(["enforce", str(repo), *laws_arg(repo), "-q"])
    assert "## Hammurabi" in target.read_text()


def test_failed_rule_exit_code(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "app.py").unlink()
    assert main(["enforce", str(repo), *laws_arg(repo)]) == ExitCode.RULES_FAILED
    err = capsys.readouterr().err
    assert err == (
        "hammurabi: failed: law 'Debug off', rule 'debug off': app.py: file does not exist\n"
    )
    assert (repo / ".gitignore").exists()  # the other law still ran


def test_usage_errors_are_one_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = repo.parent / "bad.yml"
    bad.write_text("laws:\n  - name: x\n    rules:\n      - nope: {}\n")
    before = snapshot(repo)
    assert main(["enforce", str(repo), "--laws", str(bad)]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.strip() == f"hammurabi: error: {bad}:4: unknown rule id 'nope'"
    assert snapshot(repo) == before
    assert main(["enforce", str(repo), "--laws", "missing.yml"]) == ExitCode.USAGE_ERROR
    assert main(["enforce", str(repo / "nope")]) == ExitCode.USAGE_ERROR
    assert main(["enforce", "--bogus"]) == ExitCode.USAGE_ERROR
    assert (
        main(["enforce", str(repo), *laws_arg(repo), "--report", "xml=x"]) == ExitCode.USAGE_ERROR
    )


def test_python_law_file_errors_name_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    laws = tmp_path / "laws.py"
    laws.write_text(
        "from hammurabi import Pillar, Law, LineReplaced\n"
        "pillar = Pillar()\n"
        "pillar.register(Law(name='l', description='', rules=[\n"
        "    LineReplaced(name='r', path='f', target='(', text='x')]))\n"
    )
    assert main(["enforce", str(tmp_path), "--laws", str(laws)]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"hammurabi: error: {laws}:4: ") and "bad regular expression" in err


def test_select_and_ignore(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["laws", str(repo), *laws_arg(repo), "--select", "Debug*", "--format", "json"])
    assert [law["name"] for law in json.loads(capsys.readouterr().out)] == ["Debug off"]
    main(["laws", str(repo), *laws_arg(repo), "--ignore", "Debug*", "--format", "json"])
    assert [law["name"] for law in json.loads(capsys.readouterr().out)] == ["Ignore caches"]


def test_settings_from_pyproject(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "laws.yml").write_text((repo.parent / "laws.yml").read_text())
    (repo / "pyproject.toml").write_text(
        '[tool.hammurabi]\nlaws = ["laws.yml"]\nignore = ["Ignore*"]\n'
        'disable_plugins = ["python"]\n'
    )
    assert main(["enforce", str(repo), "-q"]) == ExitCode.OK
    assert (repo / "app.py").read_text() == "DEBUG = False\n"
    assert not (repo / ".gitignore").exists()
    (repo / "pyproject.toml").write_text("[tool.hammurabi]\nlaw = 'x'\n")
    assert main(["enforce", str(repo)]) == ExitCode.USAGE_ERROR
    assert "unknown setting 'law'" in capsys.readouterr().err


def test_listings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rules = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert {"line-exists", "line-replaced", "file-exists", "moved", "block-exists"} <= set(rules)
    names = [a["name"] for a in rules["line-replaced"]["arguments"]]
    assert names[:4] == ["name", "path", "text", "target"]
    assert rules["line-replaced"]["summary"].startswith("Replace every line")
    assert main(["preconditions", "--format", "json"]) == 0
    ids = {row["id"] for row in json.loads(capsys.readouterr().out)}
    assert {"is-line-not-exists", "all", "any", "not", "has-stack"} <= ids
    assert main(["plugins", "--format", "json"]) == 0
    plugins = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert plugins["lines"]["distribution"] == "hammurabi"
    assert plugins["python"]["distribution"] == "hammurabi-python"
    assert main(["rules"]) == 0
    assert "line-replaced" in capsys.readouterr().out


def test_disable_builtin_plugin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main(["rules", "--format", "json", "--disable-plugin", "lines"])
    ids = {row["id"] for row in json.loads(capsys.readouterr().out)}
    assert "line-exists" not in ids and "file-exists" in ids
    monkeypatch.setenv("HAMMURABI_DISABLE_PLUGINS", "files,python")
    main(["plugins", "--format", "json"])
    rows = {row["name"]: row["disabled"] for row in json.loads(capsys.readouterr().out)}
    assert rows["files"] and rows["python"] and not rows["lines"]


def test_version_and_help() -> None:
    result = hammurabi("--version")
    assert result.returncode == 0 and result.stdout.startswith("hammurabi ")
    result = hammurabi("--help")
    assert result.returncode == 0 and "enforce" in result.stdout


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\nfrom hammurabi.cli.main import main\nmain(['--help'])\n"
        "heavy = {'git', 'github', 'questdb', 'httpx', 'jinja2', 'ruamel', 'tomlkit'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_no_laws_is_a_usage_error(tmp_path: Path) -> None:
    result = hammurabi("enforce", str(tmp_path), "--disable-plugin", "python")
    assert result.returncode == ExitCode.USAGE_ERROR
    assert result.stderr.startswith("hammurabi: error: no laws to enforce")
    assert "Traceback" not in result.stderr
