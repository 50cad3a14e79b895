"""The whole ``hammurabi enforce`` in git repositories: bot branch, pushes, pull requests.

Real repositories and pushes (to bare repositories and over smart HTTP), real PyGithub
against the GitHub stand-in, the CLI run in-process.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from hammurabi.integrations import git as gitops
from hammurabi.integrations.forges.base import find_marker
from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn
from tests.gitrepos import LAWS, bare_remote, commit_on, git, init_repo, isolate_git, refs

REPO = "acme/widgets"
BRANCH = "hammurabi/laws"
FILES = {"app.py": "DEBUG = True\n", "README.md": "# widgets\n"}
FIXED = {".gitignore": "__pycache__/\n", "app.py": "DEBUG = False\n"}


class Runner:
    """Run ``hammurabi enforce`` on one checkout and keep everything it printed."""

    def __init__(self, checkout: Path, laws: Path, capsys: pytest.CaptureFixture[str]):
        self.checkout, self.laws, self.capsys = checkout, laws, capsys
        self.transcript: list[str] = []

    def __call__(
        self, *args: str, command: str = "enforce", verbose: bool = False
    ) -> tuple[int, str]:
        argv = [command, str(self.checkout), "--laws", str(self.laws), "-p", "python", *args]
        argv = ["-vv", *argv] if verbose else argv
        code = main(argv)
        captured = self.capsys.readouterr()
        text = captured.out + captured.err
        self.transcript.append(text)
        return code, text


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch)


@pytest.fixture
def laws(tmp_path: Path) -> Path:
    path = tmp_path / "laws.yml"
    path.write_text(LAWS)
    return path


@pytest.fixture
def hub(github_server: GitHubStandIn, monkeypatch: pytest.MonkeyPatch) -> GitHubStandIn:
    """The stand-in with acme/widgets, and Hammurabi configured for it (fast, no pacing)."""
    github_server.create_repo(REPO, FILES, collaborators=["alice"])
    monkeypatch.setenv("HAMMURABI_GITHUB_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HAMMURABI_GITHUB_API_URL", github_server.base_url)
    monkeypatch.setenv("HAMMURABI_GITHUB_SECONDS_BETWEEN_REQUESTS", "0")
    monkeypatch.setenv("HAMMURABI_GITHUB_SECONDS_BETWEEN_WRITES", "0")
    monkeypatch.setenv("HAMMURABI_GITHUB_BACKOFF", "0.01")
    monkeypatch.setenv("HAMMURABI_GITHUB_REVIEWERS", "alice")
    return github_server


@pytest.fixture
def checkout(tmp_path: Path, hub: GitHubStandIn) -> Path:
    """A clone over smart HTTP whose remote URL carries no credentials."""
    url = hub.clone_url(REPO, token=None)
    credentials = gitops.Credentials("x-access-token", DEFAULT_TOKEN)
    gitops.clone(url, tmp_path / "widgets", credentials=credentials).close()
    return tmp_path / "widgets"


@pytest.fixture
def run(checkout: Path, laws: Path, capsys: pytest.CaptureFixture[str]) -> Runner:
    return Runner(checkout, laws, capsys)


def pushes(hub: GitHubStandIn) -> list[object]:
    return hub.requests_matching("POST", r"git-receive-pack$")


def branch_log(hub: GitHubStandIn, branch: str = BRANCH) -> list[str]:
    out = git(
        "log",
        "--format=%s|%an|%(trailers:key=Hammurabi-Run,valueonly)",
        f"main..{branch}",
        cwd=hub.bare_path(REPO),
    )
    return [line for line in out.splitlines() if line.strip()]


def test_pull_request_lifecycle(hub: GitHubStandIn, run: Runner, checkout: Path, laws: Path):
    # First run: the branch is pushed and one pull request opened.
    code, out = run()
    assert code == ExitCode.OK, out
    assert "Opened pull request #1" in out
    assert len(hub.requests_matching("POST", r"^/repos/acme/widgets/pulls$")) == 1
    log = branch_log(hub)
    assert [line.split("|")[:2] for line in log] == [
        ["Debug off", "Hammurabi"],
        ["Ignore caches", "Hammurabi"],
    ]
    assert all(line.split("|")[2] for line in log)  # every commit carries the trailer
    (pull,) = hub.pulls(REPO, "open")
    assert pull["head"]["ref"] == BRANCH and pull["title"] == "Hammurabi: apply 2 laws"
    recorded = find_marker(pull["body"], "pull-request") or {}
    assert recorded["base"] == "main" and recorded["branch"] == BRANCH and recorded["fingerprint"]
    assert "### 🔧 Debug off" in pull["body"] and "+DEBUG = False" in pull["body"]
    # Where the change comes from, and how to make it again.
    assert f"Laws: `{laws}`" in pull["body"] and "Hammurabi " in pull["body"]
    assert f"re-run: `hammurabi enforce --laws {laws}`" in pull["body"]
    assert [label["name"] for label in pull["labels"]] == ["hammurabi"]
    assert [user["login"] for user in pull["requested_reviewers"]] == ["alice"]
    # The checkout is untouched: same branch, clean, old content.
    assert git("branch", "--show-current", cwd=checkout) == "main"
    assert git("status", "--porcelain", cwd=checkout) == ""
    assert (checkout / "app.py").read_text() == "DEBUG = True\n"
    tip = hub.branch_sha(REPO, BRANCH)

    # Second run, nothing changed upstream: no push and read requests only.
    hub.clear_requests()
    code, out = run()
    assert code == ExitCode.OK and out.startswith("Up to date:") and out.count("\n") == 1
    assert hub.writes() == [] and pushes(hub) == []
    assert hub.branch_sha(REPO, BRANCH) == tip

    # A changed law: the branch is rebuilt, force-pushed, the pull request updated.
    laws.write_text(LAWS.replace("text: DEBUG = False", "text: 'DEBUG = False  # enforced'"))
    hub.clear_requests()
    code, out = run()
    assert code == ExitCode.OK and "Updated pull request #1 (body)" in out, out
    assert hub.branch_sha(REPO, BRANCH) != tip and len(pushes(hub)) == 1
    assert [(r.method, r.path) for r in hub.writes()] == [("PATCH", "/repos/acme/widgets/pulls/1")]
    assert len(hub.requests_matching("GET", r"/pulls$")) == 1  # the open one, looked up once
    assert "DEBUG = False  # enforced" in hub.pull(REPO, 1)["body"]
    assert len(hub.pulls(REPO, "all")) == 1

    # Someone fixes the repository: nothing is left, the PR closes and the branch goes.
    hub.commit(REPO, "main", {**FIXED, "app.py": "DEBUG = False  # enforced\n"}, "Fix by hand")
    code, out = run()
    assert code == ExitCode.OK and "Closed pull request #1" in out, out
    assert hub.pull(REPO, 1)["state"] == "closed"
    (comment,) = hub.comments(REPO, 1)
    assert find_marker(comment["body"], "closed") == {}
    assert hub.branch_sha(REPO, BRANCH) is None

    # And then there is nothing to do at all.
    hub.clear_requests()
    code, out = run()
    assert code == ExitCode.OK and out == "Nothing to change: all 2 laws already hold.\n"
    assert hub.writes() == [] and pushes(hub) == []


def test_human_commit_on_the_branch_is_preserved(hub: GitHubStandIn, run: Runner, laws: Path):
    assert run()[0] == ExitCode.OK
    human = hub.commit(REPO, BRANCH, {"notes.txt": "careful\n"}, "Human touch")
    laws.write_text(LAWS.replace("text: DEBUG = False", "text: DEBUG = 0"))
    code, out = run()
    assert code == ExitCode.BLOCKED and "Blocked" in out and "Commented on pull request #1" in out
    assert hub.branch_sha(REPO, BRANCH) == human
    (comment,) = hub.comments(REPO, 1)
    assert find_marker(comment["body"], "foreign-commits") == {"branch": BRANCH}
    assert "Human touch" in comment["body"]
    hub.clear_requests()
    code, out = run()
    assert code == ExitCode.BLOCKED and hub.writes() == [] and pushes(hub) == []
    assert len(hub.comments(REPO, 1)) == 1


def test_rejected_push_is_reported(hub: GitHubStandIn, run: Runner):
    hub.reject_pushes(REPO)
    code, out = run()
    assert code == ExitCode.RULES_FAILED
    assert "rejected" in out and "GH006" in out
    assert hub.requests_matching("POST", r"/pulls$") == [] and hub.pulls(REPO) == []
    assert hub.branch_sha(REPO, BRANCH) is None


def test_dry_run_writes_nothing(hub: GitHubStandIn, run: Runner, checkout: Path, laws: Path):
    before = (refs(checkout), (checkout / ".git" / "index").read_bytes())
    hub.clear_requests()
    code, out = run("--dry-run")
    assert code == ExitCode.OK
    assert "Would open a pull request: Hammurabi: apply 2 laws" in out
    assert "+DEBUG = False" in out and "### 🔧 Debug off" in out  # diff and body preview
    assert hub.writes() == [] and pushes(hub) == []
    assert (refs(checkout), (checkout / ".git" / "index").read_bytes()) == before
    assert git("worktree", "list", "--porcelain", cwd=checkout).count("worktree ") == 1

    assert run()[0] == ExitCode.OK
    laws.write_text(LAWS.replace("text: DEBUG = False", "text: DEBUG = 0"))
    git("fetch", "--quiet", "origin", cwd=checkout)
    before = refs(checkout)
    hub.clear_requests()
    code, out = run("--dry-run", "--format", "json")
    report = json.loads(out[out.index("{") :])
    assert report["dry_run"] and report["git"]["action"] == "rebuild"
    assert report["pull_request"]["action"] == "update"
    assert report["pull_request"]["changes"] == ["body"]
    assert report["pull_request"]["number"] == 1
    assert hub.writes() == [] and pushes(hub) == [] and refs(checkout) == before


def test_token_never_leaks(
    hub: GitHubStandIn,
    run: Runner,
    checkout: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG)
    report, summary = tmp_path / "report.json", tmp_path / "summary.md"
    assert (
        run("--report", f"json={report}", "--report", f"markdown={summary}", verbose=True)[0] == 0
    )
    hub.reject_pushes(REPO)  # an error path too
    run("--branch", "hammurabi/other")
    hub.inject("GET", r"/pulls$", 401, body={"message": f"Bad credentials {DEFAULT_TOKEN}"})
    hub.accept_pushes(REPO)
    code, out = run("--branch", "hammurabi/third")
    assert code != ExitCode.OK and "401" in out
    places = {
        "output": "\n".join(run.transcript),
        "logs": caplog.text,
        "report": report.read_text(),
        "summary": summary.read_text(),
        "git config": (checkout / ".git" / "config").read_text(),
        "git log": git("log", "--all", "--format=%B", cwd=checkout),
        "pull bodies": json.dumps(hub.pulls(REPO, "all")),
        "comments": json.dumps(hub.comments(REPO, 1)),
    }
    assert json.loads(report.read_text())["pull_request"]["number"] == 1
    for where, text in places.items():
        assert DEFAULT_TOKEN not in text, where


def test_file_remote_without_a_forge(tmp_path: Path, laws: Path, capsys):
    work = init_repo(tmp_path / "work", FILES)
    remote = bare_remote(tmp_path / "remote.git", work)
    run = Runner(work, laws, capsys)
    code, out = run()
    assert code == ExitCode.OK and "Created origin/hammurabi/laws with 2 commits" in out
    assert "pull request" not in out.lower()
    tip = git("rev-parse", BRANCH, cwd=remote)
    code, out = run()
    assert out.startswith("Up to date: origin/hammurabi/laws already proposes 2 of 2 laws")
    assert git("rev-parse", BRANCH, cwd=remote) == tip
    commit_on(remote, "main", FIXED, "Fix by hand")
    code, out = run()
    assert code == ExitCode.OK and "Deleted origin/hammurabi/laws" in out
    assert git("branch", "--list", BRANCH, cwd=remote) == ""


def test_no_push_commits_locally(hub: GitHubStandIn, run: Runner, checkout: Path):
    hub.clear_requests()
    code, out = run("--no-push", "--branch", "bots/uniform")
    assert code == ExitCode.OK and "Created local bots/uniform with 2 commits" in out
    assert hub.requests == [] or all(not r.api for r in hub.requests)
    assert git("log", "--format=%s", "main..bots/uniform", cwd=checkout).splitlines() == [
        "Debug off",
        "Ignore caches",
    ]
    assert hub.branches(REPO) == {"main": hub.branch_sha(REPO, "main")}


def test_repository_without_remote(tmp_path: Path, laws: Path, capsys):
    work = init_repo(tmp_path / "work", FILES)
    run = Runner(work, laws, capsys)
    (work / "app.py").write_text("DEBUG = True  # my change\n")
    code, out = run()
    assert code == ExitCode.RULES_FAILED and "uncommitted change" in out and "--allow-dirty" in out
    assert git("branch", "--list", BRANCH, cwd=work) == ""
    code, out = run("--allow-dirty")
    assert code == ExitCode.OK and "Created local hammurabi/laws with 2 commits" in out
    assert (work / "app.py").read_text() == "DEBUG = True  # my change\n"
    assert git("branch", "--show-current", cwd=work) == "main"
    assert git("show", f"{BRANCH}:app.py", cwd=work) == "DEBUG = False"
    # --no-git edits the files in place instead.
    code, out = run("--no-git", "--allow-dirty")
    assert code == ExitCode.OK and (work / "app.py").read_text() == "DEBUG = False\n"


def test_check_ignores_git(tmp_path: Path, laws: Path, capsys):
    work = init_repo(tmp_path / "work", FILES)
    run = Runner(work, laws, capsys)
    code, out = run(command="check")
    assert code == ExitCode.CHANGES_NEEDED and "+DEBUG = False" in out
    assert git("branch", "--list", BRANCH, cwd=work) == ""


def test_plain_folder_is_edited_in_place(tmp_path: Path, laws: Path, capsys):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "app.py").write_text("DEBUG = True\n")
    code, _ = Runner(folder, laws, capsys)("--format", "json")
    assert code == ExitCode.OK and (folder / "app.py").read_text() == "DEBUG = False\n"


def test_help_imports_no_git_or_github() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from hammurabi.cli.main import main\n"
        "main(['--help'])\n"
        "main(['enforce', '--help'])\n"
        "heavy = ('git', 'github', 'questdb', 'httpx', 'requests')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "--allow-dirty" in out.stdout and "--no-push" in out.stdout


def test_upstream_change_rebuilds_a_shallow_clone(
    hub: GitHubStandIn, tmp_path: Path, laws: Path, capsys: pytest.CaptureFixture[str]
):
    url = hub.clone_url(REPO, token=None)
    credentials = gitops.Credentials("x-access-token", DEFAULT_TOKEN)
    gitops.clone(url, tmp_path / "shallow", credentials=credentials, depth=1).close()
    run = Runner(tmp_path / "shallow", laws, capsys)
    assert run()[0] == ExitCode.OK
    tip = hub.branch_sha(REPO, BRANCH)
    hub.commit(REPO, "main", {"CHANGELOG.md": "upstream\n"}, "Unrelated upstream change")
    # Protection wants branches up to date: the pull request is behind, so it is rebuilt
    # (merely moved on, it would stay: tests/fleet/test_base_moves.py).
    hub.protect(REPO, checks=["ci"], strict=True)
    hub.clear_requests()
    code, out = run()
    assert code == ExitCode.OK and "Rebuilt origin/hammurabi/laws" in out, out
    new_tip = hub.branch_sha(REPO, BRANCH)
    assert new_tip != tip
    parent = git("rev-parse", f"{new_tip}~2", cwd=hub.bare_path(REPO))
    assert parent == hub.branch_sha(REPO, "main")  # rebuilt on the new base
    assert hub.writes() == []  # same laws, same body: the pull request needs nothing
    assert hub.comments(REPO, 1) == []


def test_the_repository_hooks_never_run(tmp_path: Path, laws: Path, capsys):
    work = init_repo(tmp_path / "work", FILES)
    hook = work / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch '{tmp_path}/hook-ran'\nexit 1\n")
    hook.chmod(0o755)
    code, out = Runner(work, laws, capsys)()
    assert code == ExitCode.OK, out
    assert not (tmp_path / "hook-ran").exists()
    log = git("log", "--format=%s", f"main..{BRANCH}", cwd=work).splitlines()
    assert log == ["Debug off", "Ignore caches"]


def test_a_pull_request_closed_by_a_reviewer_is_not_recreated(
    hub: GitHubStandIn, run: Runner, laws: Path
):
    assert run()[0] == ExitCode.OK
    hub.close_pull(REPO, 1)  # a reviewer says no
    hub.delete_branch(REPO, BRANCH)
    for _ in range(2):  # the same change, run after run: left alone
        hub.clear_requests()
        code, out = run()
        assert code == ExitCode.OK, out
        assert out.startswith("Ignored (closed by a reviewer): pull request #1")
        assert out.count("\n") == 1
        assert hub.writes() == [] and pushes(hub) == []
    code, out = run("--format", "json")
    report = json.loads(out[out.index("{") :])
    assert report["status"] == "ignored" and report["pull_request"]["number"] == 1
    assert report["git"]["commits"] == []
    # A dry run says the same.
    assert run("--dry-run")[1].startswith("Ignored (closed by a reviewer)")
    assert [pull["number"] for pull in hub.pulls(REPO, "all")] == [1]

    # --re-propose proposes it again, in a new pull request; closed again, it stays closed.
    code, out = run("--re-propose")
    assert code == ExitCode.OK and "Opened pull request #2" in out, out
    hub.close_pull(REPO, 2)
    assert run()[1].startswith("Ignored (closed by a reviewer): pull request #2")
    # A reviewer's label does the same.
    hub.label(REPO, 2, "hammurabi:re-propose")
    code, out = run()
    assert code == ExitCode.OK and "Opened pull request #3" in out, out
    hub.close_pull(REPO, 3)

    # A different proposal may open a new pull request.
    laws.write_text(LAWS.replace("text: DEBUG = False", "text: DEBUG = 0"))
    code, out = run()
    assert code == ExitCode.OK and "Opened pull request #4" in out, out
    assert len(hub.pulls(REPO, "open")) == 1


def test_a_blocked_branch_is_reported_and_a_reviewer_can_unblock_it(
    hub: GitHubStandIn, run: Runner, laws: Path
):
    assert run()[0] == ExitCode.OK
    hub.commit(REPO, BRANCH, {"notes.txt": "careful\n"}, "Human touch")
    # The person's commit sits on Hammurabi's, which still hold what the laws propose.
    code, out = run()
    assert code == ExitCode.OK and out.startswith("Up to date"), out
    # The laws change: Hammurabi can no longer update the branch.
    laws.write_text(LAWS.replace("text: DEBUG = False", "text: DEBUG = 0"))
    code, out = run()
    assert code == ExitCode.BLOCKED, out
    assert "Blocked: origin/hammurabi/laws holds 1 commit Hammurabi did not make" in out
    code, out = run("--format", "json", "--report", "markdown=-")
    assert code == ExitCode.BLOCKED
    report = json.loads(out[out.index("{") :])
    assert report["status"] == "blocked" and report["git"]["commits"] == []
    assert "## Hammurabi: ⛔ blocked" in out
    assert "hammurabi:rebuild" in hub.comments(REPO, 1)[0]["body"]

    assert run("--dry-run")[0] == ExitCode.BLOCKED  # a dry run tells the same

    # A reviewer labels the pull request: the branch is rebuilt, the label taken off.
    hub.label(REPO, 1, "hammurabi:rebuild")
    hub.clear_requests()
    code, out = run("--dry-run")
    assert code == ExitCode.OK and "Would rebuild origin/hammurabi/laws" in out, out
    assert hub.writes() == [] and pushes(hub) == []
    code, out = run()
    assert code == ExitCode.OK and "Rebuilt origin/hammurabi/laws" in out, out
    assert [line.split("|")[0] for line in branch_log(hub)] == ["Debug off", "Ignore caches"]
    assert "hammurabi:rebuild" not in [label["name"] for label in hub.pull(REPO, 1)["labels"]]
    assert "DEBUG = 0" in hub.pull(REPO, 1)["body"]


def one_error(out: str) -> str:
    """The run's only output line, an error naming acme/widgets."""
    (line,) = out.splitlines()
    assert line.startswith("hammurabi: error: ") and REPO in line, out
    return line


@pytest.mark.parametrize(
    ("status", "message", "advice"),
    [
        (401, "Bad credentials", "HAMMURABI_GITHUB_TOKEN"),
        (403, "Resource not accessible by personal access token", "write access"),
        (404, "Not Found", "check the remote URL"),
    ],
)
def test_forge_errors_stop_the_run_before_any_push(
    hub: GitHubStandIn, run: Runner, status: int, message: str, advice: str
):
    hub.inject("GET", r"^/repos/acme/widgets$", status, body={"message": message})
    code, out = run()
    assert code == ExitCode.RULES_FAILED
    line = one_error(out)
    assert str(status) in line and message in line and advice in line
    assert pushes(hub) == [] and hub.branch_sha(REPO, BRANCH) is None and hub.pulls(REPO) == []


def test_a_token_that_may_only_read_is_found_out_before_pushing(
    hub: GitHubStandIn, run: Runner, monkeypatch: pytest.MonkeyPatch
):
    hub.add_token("ghp_reader_token", "reader")
    with hub.state.lock:
        hub.repo(REPO).readers.append("reader")
    monkeypatch.setenv("HAMMURABI_GITHUB_TOKEN", "ghp_reader_token")
    code, out = run()
    assert code == ExitCode.RULES_FAILED
    assert "may read acme/widgets but not push to it" in one_error(out)
    assert pushes(hub) == [] and hub.branch_sha(REPO, BRANCH) is None


def test_a_failing_github_is_one_line_and_retries_show_only_with_v(
    hub: GitHubStandIn, checkout: Path, laws: Path, monkeypatch: pytest.MonkeyPatch
):
    import subprocess
    import sys

    monkeypatch.setenv("HAMMURABI_GITHUB_RETRIES", "2")
    hub.inject("GET", r"^/repos/acme/widgets$", 502, times=None)
    argv = [sys.executable, "-m", "hammurabi", "enforce", str(checkout), "--laws", str(laws)]
    quiet = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert quiet.returncode == ExitCode.RULES_FAILED and quiet.stdout == ""
    assert "try again later" in one_error(quiet.stderr)  # and no word of the retries
    verbose = subprocess.run(
        [sys.executable, "-m", "hammurabi", "-v", *argv[3:]],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verbose.returncode == ExitCode.RULES_FAILED
    retries = [line for line in verbose.stderr.splitlines() if "answered 502" in line]
    assert len(retries) == 2 and len(set(retries)) == 1, verbose.stderr  # each told once
    assert "urllib3" not in verbose.stderr and "Traceback" not in verbose.stderr
    assert pushes(hub) == [] and hub.branch_sha(REPO, BRANCH) is None


def test_a_refused_pull_request_takes_its_new_branch_back(hub: GitHubStandIn, run: Runner):
    hub.inject("POST", r"/pulls$", 422, body={"message": "Validation Failed"})
    code, out = run("--format", "json")
    assert code == ExitCode.RULES_FAILED
    report = json.JSONDecoder().raw_decode(out[out.index("{") :])[0]
    assert report["status"] == "failed" and "422" in report["error"]
    assert "acme/widgets" in report["error"]
    assert report["git"]["commits"] == [] and report["git"]["pushed"] is False
    assert hub.branch_sha(REPO, BRANCH) is None and hub.pulls(REPO) == []
    code, out = run()  # and the next run does it all
    assert code == ExitCode.OK and "Opened pull request #" in out


def test_the_title_names_a_single_law(hub: GitHubStandIn, run: Runner, laws: Path):
    laws.write_text(LAWS.split("  - name: Debug off")[0])  # only "Ignore caches"
    code, out = run()
    assert code == ExitCode.OK, out
    (pull,) = hub.pulls(REPO, "open")
    assert pull["title"] == "Hammurabi: apply Ignore caches"


def test_a_refused_pull_request_update_puts_the_branch_back(
    hub: GitHubStandIn, run: Runner, laws: Path
):
    assert run()[0] == ExitCode.OK
    tip = hub.branch_sha(REPO, BRANCH)
    laws.write_text(LAWS.replace("text: DEBUG = False", "text: DEBUG = 0"))
    hub.inject("PATCH", r"/pulls/1$", 422, body={"message": "Validation Failed"})
    code, out = run()
    assert code == ExitCode.RULES_FAILED and "422" in out and REPO in out, out
    assert hub.branch_sha(REPO, BRANCH) == tip  # the old branch, as the pull request says
    assert "DEBUG = 0" not in hub.pull(REPO, 1)["body"]
    code, out = run()
    assert code == ExitCode.OK and "Updated pull request #1" in out, out
