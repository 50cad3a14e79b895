"""docs/metrics.md, followed against the real QuestDB server of the test suite.

Every ``hammurabi metrics …`` and ``hammurabi health …`` command of the page's shell blocks
runs as written (``--org`` needs GitHub, so a local repository's run records the data
instead), and must succeed.
"""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path

import pytest

from tests.docs.helpers import DOCS, blocks
from tests.gitrepos import init_repo, isolate_git
from tests.helpers import hammurabi
from tests.questdb_server import QuestDBServer

PAGE = DOCS / "metrics.md"
LAWS = """\
laws:
  - name: Debug off
    description: No DEBUG in production.
    rules:
      - line-replaced: {name: debug off, path: app.py, target: '^DEBUG = .*', text: DEBUG = False}
"""


def _page_commands() -> list[list[str]]:
    found = []
    for block in blocks(PAGE):
        if block.language != "sh":
            continue
        for line in block.text.splitlines():
            words = shlex.split(line, comments=True)
            if words[:2] in (["hammurabi", "metrics"], ["hammurabi", "health"]):
                found.append(words[1:])
    return found


def test_the_pages_metrics_commands_work_on_a_real_questdb(
    questdb: QuestDBServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = _page_commands()
    assert [words[:2] for words in commands][:2] == [["metrics", "init"], ["metrics", "status"]]
    isolate_git(monkeypatch)
    monkeypatch.setenv("HAMMURABI_QUESTDB_CONF", questdb.conf)  # as the page exports it
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    init = hammurabi(*commands[0], cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    repo = init_repo(tmp_path / "api", {"app.py": "DEBUG = True\n"})
    (tmp_path / "laws.yml").write_text(LAWS)
    run = hammurabi("check", str(repo), "--laws", str(tmp_path / "laws.yml"), cwd=tmp_path)
    assert run.returncode == 3, run.stderr
    assert "metrics: off" not in run.stdout
    for words in commands[1:]:
        result = hammurabi(*words, cwd=tmp_path)
        assert result.returncode == 0, f"hammurabi {shlex.join(words)}: {result.stderr}"
        if words[:1] == ["health"] and "--format" not in words and "--html" not in words:
            deadline = time.monotonic() + 60  # QuestDB applies WAL rows a moment later
            while "api" not in result.stdout and time.monotonic() < deadline:
                time.sleep(1)
                result = hammurabi(*words, cwd=tmp_path)
            assert "api" in result.stdout, result.stdout
        if "--format" in words:
            json.loads(result.stdout)
        if "--html" in words:
            html = tmp_path / words[words.index("--html") + 1]
            assert html.read_text().lstrip().lower().startswith("<!doctype html")
