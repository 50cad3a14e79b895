"""0.11's SlackNotification: posted to an incoming webhook once per pull request opened or updated.

The webhook is a local HTTP server that records every request; the pull requests are the
GitHub stand-in's, reached by the real PyGithub client. No network.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hammurabi import SlackNotification
from hammurabi.cli.main import main
from hammurabi.compat import mode
from hammurabi.core.exitcodes import ExitCode
from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn
from tests.gitrepos import isolate_git

REPO = "acme/widgets"


class Webhook:
    """A Slack incoming webhook stand-in: records each request, answers ``status``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, object]] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append(
                    {
                        "path": self.path,
                        "type": self.headers["Content-Type"],
                        "json": json.loads(body),
                    }
                )
                self.send_response(hook.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T0/B0/XyZsecret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def texts(self) -> list[str]:
        return [str(request["json"]["text"]) for request in self.requests]  # type: ignore[index]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)
    mode.forget()


def test_slack_notification_posts_to_every_webhook(
    webhook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    note = SlackNotification(
        recipients=[webhook.url, webhook.url + "2"],
        message_template="""
            Dear team, {repository} has an update:
            {changes_link} (token {repository}-ghp_secret)
        """,
    )
    assert note.send(
        "https://github.com/acme/w/pull/1", repository="acme/w", secrets=["ghp_secret"]
    )
    paths = [r["path"] for r in webhook.requests]
    assert paths == ["/services/T0/B0/XyZsecret", "/services/T0/B0/XyZsecret2"]
    assert webhook.requests[0]["type"] == "application/json"
    assert webhook.texts()[0] == (
        "Dear team, acme/w has an update:\nhttps://github.com/acme/w/pull/1 (token acme/w-***)"
    )
    webhook.status = 500
    with caplog.at_level(logging.ERROR):
        assert not note.send("https://x/pull/2")
    assert "answered 500" in caplog.text and "XyZsecret" not in caplog.text


def test_sent_once_per_pull_request_opened_or_updated(
    github_server: GitHubStandIn,
    webhook: Webhook,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pillar = f"""\
from pathlib import Path
from hammurabi import Law, LineExists, Pillar, SlackNotification

pillar = Pillar(notifications=[
    SlackNotification(
        recipients=[{webhook.url!r}], message_template="{{repository}}: {{changes_link}}"
    )
])
pillar.register(Law(name="Keepalive", description="Workers keep connections.", rules=(
    LineExists(name="keepalive", path=Path("g.py"), text="keepalive = 65", match="^bind"),
)))
"""
    files = {
        "g.py": "bind = 1\n",
        "pillar.conf.py": pillar,
        "pyproject.toml": (
            '[tool.hammurabi]\ngit_branch_name = "hammurabi"\ngit_base_name = "main"\n'
        ),
    }
    github_server.create_repo(REPO, files)
    for key, value in {
        "HAMMURABI_GITHUB_TOKEN": DEFAULT_TOKEN,
        "HAMMURABI_GITHUB_API_URL": github_server.base_url,
        "HAMMURABI_GITHUB_SECONDS_BETWEEN_REQUESTS": "0",
        "HAMMURABI_GITHUB_SECONDS_BETWEEN_WRITES": "0",
    }.items():
        monkeypatch.setenv(key, value)
    from hammurabi.integrations import git as gitops

    checkout = tmp_path / "widgets"
    credentials = gitops.Credentials("x-access-token", DEFAULT_TOKEN)
    gitops.clone(
        github_server.clone_url(REPO, token=None), checkout, credentials=credentials
    ).close()
    monkeypatch.chdir(checkout)

    def run() -> str:
        mode.forget()
        code = main(["enforce"])
        captured = capsys.readouterr()
        assert code == ExitCode.OK, captured.out + captured.err
        return captured.out

    assert "Opened pull request #1" in run()
    (pull,) = github_server.pulls(REPO, "open")
    assert webhook.texts() == [f"acme/widgets: {pull['html_url']}"]
    assert DEFAULT_TOKEN not in json.dumps(webhook.requests)

    assert run().lower().startswith("up to date")
    assert len(webhook.requests) == 1  # nothing opened or updated: nothing sent

    github_server.commit(REPO, "main", {"g.py": "bind = 2\nworkers = 4\n"}, "More settings")
    assert "Updated pull request #1" in run()
    assert webhook.texts() == [f"acme/widgets: {pull['html_url']}"] * 2
