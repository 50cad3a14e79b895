"""``hammurabi migrate`` rewrites a 0.11 pillar as a law file and says what it could not."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest
import yaml

from hammurabi.cli.main import main
from hammurabi.compat import mode
from hammurabi.core.exitcodes import ExitCode
from hammurabi.loading.lawfile import load_law_file
from hammurabi.loading.plugins import get_plugin_manager
from hammurabi.loading.registry import Registry
from tests.compat import expected_0_11, original_repo
from tests.compat.test_original_pillar import expected_tree, tree
from tests.gitrepos import bare_remote, init_repo, isolate_git

USER = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)
    mode.forget()


def test_the_acceptance_pillar_migrates_and_commits_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pillar = tmp_path / "pillar.conf.py"
    pillar.write_text(original_repo.PILLAR.replace("OWNER", USER))
    laws = tmp_path / "laws.yml"
    monkeypatch.chdir(tmp_path)
    assert main(["migrate", str(pillar), "--output", str(laws)]) == ExitCode.OK
    assert capsys.readouterr().err == ""  # no deprecations: migrating answers them
    text = laws.read_text()
    assert "# Check by hand:" in text and "'Ignore bytecode': the empty last line" in text
    data = yaml.safe_load(text)
    first = data["laws"][0]["rules"][4]
    assert first == {
        "line-not-exists": {
            "name": "No debug",
            "path": "gunicorn.conf.py",
            "criteria": r"^debug\s*=",
        }
    }
    assert len(load_law_file(laws, Registry.from_plugins(get_plugin_manager()))) == 7

    files = {**original_repo.FILES, "pyproject.toml": original_repo.SETTINGS.split("[tool")[0]}
    repo = init_repo(tmp_path / "widgets", files)
    bare_remote(tmp_path / "widgets.git", repo)
    monkeypatch.chdir(repo)
    code = main(["enforce", "--laws", str(laws), "--branch", "hammurabi", "--no-push"])
    failures = [line for line in capsys.readouterr().err.splitlines() if "failed:" in line]
    # As the header warns: 0.11's TomlValueNotExists nulled a single value; value-not-exists
    # edits lists and mappings only, so that law fails (and is rolled back).
    assert code == ExitCode.RULES_FAILED
    assert failures == [
        "hammurabi: failed: law 'Tool settings', rule 'No minversion': tools.toml: "
        "'pytest.minversion' holds a single value, not a list or mapping"
    ]
    committed = tree(repo, "hammurabi")
    wanted = {
        path: entry
        for path, entry in expected_tree().items()
        if path not in ("pillar.conf.py", "pyproject.toml")
    }
    wanted["pyproject.toml"] = (files["pyproject.toml"], 0o644)
    # The other difference the header names: no empty last line.
    assert committed[".gitignore"][0] == "__pycache__/\n*.pyc\n.venv/\n"
    assert committed["tools.toml"][0] == original_repo.FILES["tools.toml"]
    assert expected_0_11.EXPECTED["tools.toml"] is not None
    del committed[".gitignore"], committed["tools.toml"], wanted[".gitignore"], wanted["tools.toml"]
    assert committed == wanted


def test_what_cannot_be_migrated_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pillar = tmp_path / "custom.py"
    pillar.write_text(
        """\
from pathlib import Path
from hammurabi import IsFileExist, Law, LineExists, Pillar, Rule, TemplateRendered


class Touch(Rule):
    def task(self):
        return self.param


main_pillar = Pillar()
main_pillar.register(Law(name="Mixed", description="d", rules=(
    Touch(name="custom", param=Path("x")),
    LineExists(name="far", path=Path("a"), text="t", match="^x", position=3),
    TemplateRendered(name="shipped", template=Path("/opt/t.j2"), destination=Path("t")),
    LineExists(name="kept", path=Path("a"), text="t", match="^x",
               preconditions=[IsFileExist(path=Path("a"))]),
)))
"""
    )
    monkeypatch.chdir(tmp_path)
    code = main(["migrate", str(pillar), "--name", "main_pillar"])
    captured = capsys.readouterr()
    assert code == ExitCode.RULES_FAILED
    assert captured.err.splitlines() == [
        "hammurabi: not migrated: law 'Mixed', rule 'custom': Touch is not a type law files "
        "know (a custom class?)",
        "hammurabi: not migrated: law 'Mixed', rule 'far': position=3 has no law-file form "
        "(only before or after)",
        "hammurabi: not migrated: law 'Mixed', rule 'shipped': the template is outside the "
        "repository; copy it in (or a plugin)",
    ]
    data = yaml.safe_load(captured.out)
    assert data["laws"][0]["rules"] == [
        {
            "line-exists": {
                "name": "kept",
                "path": "a",
                "text": "t",
                "after": "^x",
                "preconditions": [{"is-file-exists": {"path": "a"}}],
            }
        }
    ]
    assert main(["migrate", str(pillar), "-o", str(pillar)]) == ExitCode.USAGE_ERROR


def test_the_migration_guide_shows_what_migrate_writes(tmp_path: Path) -> None:
    from hammurabi.compat.migrate import migrate_file
    from tests.docs.helpers import DOCS, blocks

    shown = {
        block.language + (block.title or ""): block.text for block in blocks(DOCS / "migration.md")
    }
    pillar = tmp_path / "pillar.conf.py"
    pillar.write_text(shown["python"])
    done = migrate_file(pillar)
    assert done.left_out == [] and done.notes == []
    assert done.text == shown["yamllaws/service.yml"]


def test_an_ini_section_that_flows_is_written_out(tmp_path: Path) -> None:
    from hammurabi.compat.migrate import migrate_file

    pillar = tmp_path / "ini.py"
    pillar.write_text(
        """\
from hammurabi import Law, OptionsExist, OptionRenamed, Pillar, SectionExists

pillar = Pillar()
pillar.register(Law(name="Flake8", description="d", rules=(
    SectionExists(
        name="section", path="tox.ini", section="flake8",
        pipe=OptionsExist(name="limits", options=[("max-line-length", "100")]),
        children=[OptionRenamed(name="spelling", option="ignore", new_name="extend-ignore")],
    ),
)))
"""
    )
    done = migrate_file(pillar)
    assert done.left_out == []
    (rule,) = yaml.safe_load(done.text)["laws"][0]["rules"]
    assert rule["section-exists"]["pipe"]["options-exist"]["section"] == "flake8"
    assert rule["section-exists"]["pipe"]["options-exist"]["options"] == {"max-line-length": "100"}
    assert rule["section-exists"]["children"][0]["option-renamed"]["section"] == "flake8"
    assert len(load_law_file(_write(tmp_path, done.text), _registry())) == 1


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "migrated.yml"
    path.write_text(text)
    return path


def _registry() -> Registry:
    return Registry.from_plugins(get_plugin_manager())
