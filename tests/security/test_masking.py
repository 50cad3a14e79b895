"""Every secret Hammurabi knows is masked in what it prints and writes; names and messages
cannot drive a terminal or break Markdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hammurabi.cli.main import main
from hammurabi.core import masking
from hammurabi.core.hooks import hookimpl
from hammurabi.core.results import RunResult
from hammurabi.integrations.forges.base import redact
from hammurabi.integrations.metrics.rows import rule_rows
from hammurabi.orchestration import repository as runner
from tests.helpers import hammurabi, make_tree

TOKEN = "ghp_0123456789abcdefTOKENTOKEN"
PASSWORD = "hunter2"
MINE = "my-own-secret-value"
#: Custom laws (the runner's own Python file) whose rules leak every secret they can find.
LEAKY = """
import logging, os
from hammurabi import Law, Pillar
from hammurabi.core.errors import RuleError
from hammurabi.rules.base import Rule

class Leak(Rule):
    def task(self):
        secrets = [os.environ[name] for name in ("GITHUB_TOKEN", "MY_SECRET")]
        logging.getLogger("leaky").warning("token in a log: %s", secrets[0])
        print("printed:", *secrets, "password=hunter2")
        raise RuleError("it failed with " + " and ".join(secrets) + " (password hunter2)")

pillar = Pillar()
pillar.register(Law(name="Leaky", description="leaks", rules=(Leak(name="leak"),)))
"""


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("MY_SECRET", MINE)
    monkeypatch.setenv("HAMMURABI_SECRET_ENV", "MY_SECRET")
    monkeypatch.setenv("HAMMURABI_QUESTDB_CONF", f"http::addr=127.0.0.1:1;password={PASSWORD};")
    monkeypatch.setenv("HAMMURABI_METRICS_SPOOL", str(tmp_path / "spool.sqlite3"))
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return summary


def leaked(text: str) -> list[str]:
    return [secret for secret in (TOKEN, PASSWORD, MINE) if secret in text]


def test_secrets_are_masked_in_every_output(tmp_path: Path, env: Path) -> None:
    repo = make_tree(tmp_path / "repo", {"app.py": "x\n"})
    laws = make_tree(tmp_path, {"leaky.py": LEAKY}) / "leaky.py"
    reports = [f"json={tmp_path / 'r.json'}", f"markdown={tmp_path / 'r.md'}"]
    args = ["enforce", str(repo), "--laws", str(laws), "--disable-plugin", "python"]
    done = hammurabi(*args, "--report", reports[0], "--report", reports[1])
    assert done.returncode == 1, done.stderr
    out, err = done.stdout, done.stderr
    for text in (out, err, *(p.read_text() for p in tmp_path.glob("r.*")), env.read_text()):
        assert leaked(text) == [] and "***" in text, text
    assert "token in a log: ***" in err and "printed: *** ***" in out


def test_what_plugins_receive_is_masked(tmp_path: Path, env: Path) -> None:
    seen: list[RunResult] = []

    class Recorder:
        @hookimpl
        def hammurabi_run_finished(self, result: RunResult, settings: Any) -> None:
            seen.append(result)

    repo = make_tree(tmp_path / "repo", {"app.py": "x\n"})
    laws = make_tree(tmp_path, {"leaky.py": LEAKY}) / "leaky.py"
    session = runner.prepare(
        repo, overrides={"laws": [str(laws)]}, extra_plugins=(Recorder(),), trust=False
    )
    runner.enforce(session)
    (result,) = seen
    rows = "\n".join(row.to_json() for row in rule_rows(result, "org/repo"))
    assert leaked(result.to_json()) == [] and leaked(rows) == [] and "***" in rows


def test_forge_texts_and_app_keys_are_masked() -> None:
    line = "MIIEowIBAAKCAQEAsecretsecretsecret"
    key = f"-----BEGIN RSA PRIVATE KEY-----\n{line}\n-----END RSA PRIVATE KEY-----\n"
    masking.register(key, "quest")
    assert redact(f"body with {line} inside", []) == "body with *** inside"
    # A short password is masked as a word, not inside other words.
    assert masking.mask("password quest in a request") == "password *** in a request"


ESCAPES = "\x1b[2J\x1b]0;owned\x07\x9b31m\r"


def test_control_characters_in_names_are_neutralised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    repo = make_tree(tmp_path / "repo", {"app.py": "DEBUG = True\n"})
    name = json.dumps(f"Evil {ESCAPES} law")
    laws = tmp_path / "laws.yml"
    laws.write_text(
        f"laws:\n  - name: {name}\n    description: {name}\n    rules:\n"
        f"      - line-replaced: {{name: {name}, path: app.py, target: '^DEBUG = True', "
        "text: DEBUG = False}\n"
        f"      - line-exists: {{name: {name}, path: missing.txt, text: x}}\n"
    )
    md, js = tmp_path / "r.md", tmp_path / "r.json"
    args = ["check", str(repo), "--laws", str(laws), "--disable-plugin", "python"]
    main([*args, "--report", f"markdown={md}", "--report", f"json={js}"])
    assert "\\u001b" not in js.read_text() and "\\u009b" not in js.read_text()
    main(["laws", str(repo), "--laws", str(laws), "--disable-plugin", "python"])
    out, err = capsys.readouterr()
    for text in (out, err, md.read_text()):
        assert not any(ch in text for ch in "\x1b\x07\x9b\r"), repr(text)
    assert "\\x1b[2J" in out and "\\x1b[2J" in md.read_text()


def test_neutralise_keeps_newlines_and_tabs() -> None:
    assert masking.neutralise("a\tb\nc\x1bd\x7f") == "a\tb\nc\\x1bd\\x7f"


LEAKY_TOO = """
import os
from hammurabi import Law, Pillar
from hammurabi.core.errors import RuleError
from hammurabi.rules.base import Rule
from hammurabi.rules.files import FileExists

class Leak(Rule):
    def task(self):
        token, mine = os.environ["HAMMURABI_GITHUB_TOKEN"], os.environ["MY_SECRET"]
        raise RuleError(f"the token is {token}, mine is {mine}")

pillar = Pillar()
pillar.register(Law(name="Leaky", description="leaks", rules=(Leak(name="leak"),)))
pillar.register(
    Law(name="Fine", description="changes", rules=(FileExists(name="f", path="NEW.md"),))
)
"""


def test_pull_request_bodies_are_masked(
    tmp_path: Path,
    github_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from hammurabi.integrations import git as gitops
    from tests.github_standin import DEFAULT_TOKEN
    from tests.gitrepos import isolate_git

    isolate_git(monkeypatch)
    github_server.create_repo("acme/widgets", {"app.py": "x\n"})
    monkeypatch.setenv("HAMMURABI_GITHUB_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HAMMURABI_GITHUB_API_URL", github_server.base_url)
    monkeypatch.setenv("HAMMURABI_GITHUB_SECONDS_BETWEEN_REQUESTS", "0")
    monkeypatch.setenv("HAMMURABI_GITHUB_SECONDS_BETWEEN_WRITES", "0")
    monkeypatch.setenv("MY_SECRET", MINE)
    monkeypatch.setenv("HAMMURABI_SECRET_ENV", "MY_SECRET")
    url = github_server.clone_url("acme/widgets", token=None)
    credentials = gitops.Credentials("x-access-token", DEFAULT_TOKEN)
    gitops.clone(url, tmp_path / "widgets", credentials=credentials).close()
    laws = make_tree(tmp_path, {"leaky.py": LEAKY_TOO}) / "leaky.py"
    code = main(["enforce", str(tmp_path / "widgets"), "--laws", str(laws), "-p", "python"])
    out = capsys.readouterr()
    assert code == 1 and leaked(out.out + out.err) == [] and DEFAULT_TOKEN not in out.out
    (pull,) = github_server.pulls("acme/widgets")
    assert DEFAULT_TOKEN not in pull["body"] and leaked(pull["body"]) == []
    assert "the token is ***, mine is ***" in pull["body"]
