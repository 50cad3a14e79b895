"""``hammurabi enforce --repos`` over 30 repositories on the GitHub stand-in, end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hammurabi.cli.main import main
from hammurabi.core.exitcodes import ExitCode
from tests.fleet.conftest import Fleet, pull_actions, statuses
from tests.github_standin import DEFAULT_TOKEN, GitHubStandIn
from tests.gitrepos import LAWS, git


def pushes(hub: GitHubStandIn) -> list[object]:
    return hub.requests_matching("POST", r"git-receive-pack$")


def test_first_run_opens_pull_requests_and_second_run_writes_nothing(fleet: Fleet) -> None:
    code, out, data = fleet.run("--jobs", "4")
    assert code == ExitCode.OK, out
    actions = pull_actions(data)
    assert {name for name, action in actions.items() if action == "opened"} == set(fleet.needing)
    assert {name for name, action in actions.items() if action != "opened"} == (
        set(fleet.names) - set(fleet.needing)
    )
    for name in fleet.names:
        expected = 1 if name in fleet.needing else 0
        assert len(fleet.hub.pulls(name, "open")) == expected, name
    assert data["counts"]["pr_opened"] == 25 and data["counts"]["nothing-to-change"] == 5
    assert data["counts"]["pr-opened"] == 25
    assert "25 pull request opened" in out and "5 nothing to change" in out
    # The clones keep no credentials.
    configs = list(fleet.cache.rglob(".git/config"))
    assert len(configs) == 30
    assert not [c for c in configs if "ghp_" in c.read_text() or "x-access-token" in c.read_text()]

    fleet.hub.clear_requests()
    code, out, data = fleet.run("--jobs", "4")
    assert code == ExitCode.OK, out
    assert fleet.hub.writes() == [] and pushes(fleet.hub) == []
    assert set(pull_actions(data).values()) == {"unchanged", "none"}
    assert len(data["repos"]) == 30 and data["run_id"]
    # A re-run that finds nothing new says so: nothing "changed".
    assert statuses(data) == {
        name: "up-to-date" if name in fleet.needing else "nothing-to-change" for name in fleet.names
    }
    assert "25 up to date" in out and "5 nothing to change" in out and "changed" not in out


def test_dry_run_writes_nothing_and_a_broken_repository_fails_alone(fleet: Fleet) -> None:
    code, out, data = fleet.run("--dry-run", "--jobs", "3")
    assert code == ExitCode.OK, out
    assert fleet.hub.writes() == [] and pushes(fleet.hub) == []
    assert all(fleet.hub.pulls(name) == [] for name in fleet.names)
    assert set(pull_actions(data)) == set(fleet.names)
    assert {n for n, a in pull_actions(data).items() if a == "open"} == set(fleet.needing)
    assert "would open" in out and "+DEBUG = False" in out and "Hammurabi: apply" in out
    assert data["dry_run"] and "+DEBUG = False" in data["repos"][0]["diff"]

    # One repository rejects pushes, one does not exist: both fail, the others go on.
    broken, ghost = "acme/svc-03", "acme/ghost"
    fleet.hub.reject_pushes(broken)
    fleet.repos.write_text(fleet.repos.read_text() + f"{ghost}\n")
    code, out, data = fleet.run("--jobs", "3")
    assert code == ExitCode.RULES_FAILED, out
    assert {name for name, status in statuses(data).items() if status == "failed"} == {
        broken,
        ghost,
    }
    reasons = {repo["name"]: repo["reason"] for repo in data["repos"]}
    assert "rejected" in reasons[broken] and "GH006" in reasons[broken]
    assert "cannot clone" in reasons[ghost]
    assert f"hammurabi: failed: {ghost}" in out
    opened = {n for n, a in pull_actions(data).items() if a == "opened"}
    assert opened == set(fleet.needing) - {broken}
    assert DEFAULT_TOKEN not in out and DEFAULT_TOKEN not in json.dumps(data)


INTERRUPTING_LAW = """
import os
from pathlib import Path
from hammurabi import Law, Pillar, Rule

class StopHere(Rule):
    '''Raise KeyboardInterrupt (once) in a repository holding STOP, like Ctrl-C would.'''

    def task(self):
        sentinel = Path(os.environ["FLEET_SENTINEL"])
        if Path("STOP").exists() and sentinel.exists():
            sentinel.unlink()
            raise KeyboardInterrupt

pillar = Pillar()
pillar.register(Law(name="stop", description="", rules=[StopHere(name="stop here")]))
"""


def test_an_interrupted_run_resumes_and_skips_finished_repositories(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    law = fleet.root / "stop.py"
    law.write_text(INTERRUPTING_LAW)
    sentinel = fleet.root / "sentinel"
    sentinel.write_text("once")
    monkeypatch.setenv("FLEET_SENTINEL", str(sentinel))
    fleet.hub.commit("acme/svc-12", "main", {"STOP": "here\n"}, "Add STOP")
    state = fleet.root / "state.json"
    args = ("--laws", str(law), "--state", str(state), "--jobs", "2")

    code, out, first = fleet.run(*args)
    assert code == ExitCode.INTERRUPTED, out
    assert "re-run with the same --state to resume" in out
    finished = ("pr-opened", "nothing-to-change")
    done = {n for n, s in statuses(first).items() if s in finished}
    assert statuses(first)["acme/svc-12"] == "interrupted"
    assert "not-started" in statuses(first).values()
    assert 0 < len(done) < 29
    lines = [json.loads(line) for line in state.read_text().splitlines()]
    assert lines[0]["run_id"] == first["run_id"] and {"complete": True} not in lines
    assert {line["repo"] for line in lines[1:] if line["status"] in finished} == done
    # The interrupted rule was rolled back: nothing of svc-12 was pushed.
    assert fleet.hub.branch_sha("acme/svc-12", "hammurabi/laws") is None

    fleet.hub.clear_requests()
    code, out, second = fleet.run(*args)
    assert code == ExitCode.OK, out
    assert second["run_id"] == first["run_id"]
    earlier = {repo["name"] for repo in second["repos"] if repo["earlier"]}
    assert earlier == done
    touched = {m[0] for r in fleet.hub.requests if (m := re.search(r"acme/svc-\d+", r.path))}
    assert touched == set(fleet.names) - done
    assert set(statuses(second).values()) <= set(finished)
    assert json.loads(state.read_text().splitlines()[-1]) == {"complete": True}
    assert all(
        len(fleet.hub.pulls(name, "open")) == (name in fleet.needing or name == "acme/svc-12")
        for name in fleet.names
    )


def test_pull_requests_are_capped_per_run(fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    subset = ("--include", "svc-0*", "--jobs", "4")
    needing = [name for name in fleet.needing if name.startswith("acme/svc-0")]
    code, out, data = fleet.run(*subset, "--max-prs", "3", "--pr-interval", "0.05")
    assert code == ExitCode.OK, out
    assert len(data["repos"]) == 10
    deferred = {n for n, s in statuses(data).items() if s == "deferred"}
    opened = {n for n, a in pull_actions(data).items() if a == "opened"}
    assert len(opened) == 3 and deferred == set(needing) - opened
    assert len(fleet.hub.requests_matching("POST", r"/pulls$")) == 3
    created = sorted(pull["created_at"] for name in opened for pull in fleet.hub.pulls(name))
    assert len(created) == 3
    # The deferred repositories have their branch; the next run opens their pull requests.
    assert all(fleet.hub.branch_sha(name, "hammurabi/laws") for name in deferred)
    code, out, data = fleet.run(*subset)
    assert code == ExitCode.OK, out
    assert {n for n, a in pull_actions(data).items() if a == "opened"} == deferred

    # A dry run from the cached clones (fetched first): nothing to open, nothing written;
    # the Markdown summary goes to GitHub's step summary.
    summary = fleet.root / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    fleet.hub.clear_requests()
    code, out, data = fleet.run(*subset, "--dry-run", "--report", "markdown=-")
    assert code == ExitCode.OK, out
    assert fleet.hub.writes() == [] and pushes(fleet.hub) == []
    assert fleet.hub.requests_matching("POST", r"git-upload-pack$")  # fetched
    assert set(pull_actions(data).values()) == {"unchanged", "none"}
    markdown = summary.read_text()
    assert markdown.startswith("## Hammurabi fleet run (dry run)") and markdown in out
    row = "| acme/svc-00 | ✅ up to date | proposed | up to date | [up to date #1](http"
    assert row in markdown


def test_shards_cover_every_repository_once(fleet: Fleet) -> None:
    seen: list[str] = []
    for index in (1, 2, 3):
        code, out, data = fleet.run("--shard", f"{index}/3", "--jobs", "4", command="check")
        assert code in (ExitCode.OK, ExitCode.CHANGES_NEEDED), out
        assert data["shard"] == f"{index}/3"
        seen += [repo["name"] for repo in data["repos"]]
    assert sorted(seen) == sorted(fleet.names)
    assert fleet.hub.writes() == [] and pushes(fleet.hub) == []


def test_org_listing_with_topic_filter_and_archived_repositories(
    hub: GitHubStandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {"app.py": "DEBUG = True\n"}
    hub.create_repo("beta/api", files, topics=["python", "service"])
    hub.create_repo("beta/web", files, topics=["Python"])
    hub.create_repo("beta/old", files, topics=["python"], archived=True)
    hub.create_repo("beta/legacy-batch", files, topics=["python"])
    hub.create_repo("beta/tool", files, topics=["go"])
    hub.create_repo("gamma/api", files, topics=["python"])
    root = tmp_path / "org"
    root.mkdir()
    fleet = Fleet(hub, root, [], capsys)
    code, out, data = fleet.run(
        "--org", "beta", "--topic", "python", "--exclude", "legacy-*", command="check"
    )
    assert code == ExitCode.CHANGES_NEEDED, out
    assert sorted(statuses(data)) == ["beta/api", "beta/web"]
    assert data["archived"] == ["beta/old"]
    assert hub.requests_matching("GET", r"^/orgs/beta/repos$")
    assert hub.writes() == []

    code, out, _ = fleet.run("--org", "nobody", command="check")
    assert code == ExitCode.RULES_FAILED and "404" in out
    code, out, _ = fleet.run("--repos", str(fleet.repos), "--topic", "python", command="check")
    assert code == ExitCode.USAGE_ERROR and "--topic needs --org" in out


def test_a_dry_run_keeps_no_clones_unless_given_a_cache(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    xdg = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    few = fleet.root / "few.txt"
    few.write_text("".join(f"{name}\n" for name in fleet.names[:3]))
    argv = ["enforce", str(fleet.root), "--laws", str(fleet.laws), "-p", "python"]
    code = main([*argv, "--repos", str(few), "--dry-run"])
    out = fleet.capsys.readouterr().out
    assert code == ExitCode.OK and "would open" in out
    assert not xdg.exists()  # the default cache was not touched
    assert fleet.hub.writes() == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_while_cloning_is_interrupted_not_failed(fleet: Fleet, jobs: str) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    few = fleet.root / "few.txt"
    few.write_text("".join(f"{name}\n" for name in fleet.names[:2]))
    report = fleet.root / "ctrl-c.json"
    stall = fleet.hub.stall("POST", r"git-upload-pack$")  # the clones hang on the network
    argv = [sys.executable, "-m", "hammurabi", "enforce", str(fleet.root), "-p", "python"]
    argv += ["--laws", str(fleet.laws), "--repos", str(few), "--cache", str(fleet.cache)]
    argv += ["--jobs", jobs, "--report", f"json={report}"]
    proc = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.PIPE, text=True)
    try:
        assert stall.arrived.wait(60), "no clone started"
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole process group
        time.sleep(1)
        stall.release()  # the network answers again
        out, _ = proc.communicate(timeout=60)
    finally:
        stall.release()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == ExitCode.INTERRUPTED, out
    found = statuses(json.loads(report.read_text()))
    assert "failed" not in found.values(), found
    if jobs == "1":  # the clone in progress was stopped
        assert found[fleet.names[0]] == "interrupted", found
    else:  # worker processes finish what they started
        assert set(found.values()) <= {"pr-opened", "nothing-to-change", "not-started"}, found


def test_a_blocked_branch_shows_in_the_fleet_table(fleet: Fleet) -> None:
    few = fleet.root / "few.txt"
    first, second = fleet.names[:2]
    few.write_text(f"{first}\n{second}\n")
    code, out, data = fleet.run("--repos", str(few))
    assert code == ExitCode.OK and statuses(data)[first] == "pr-opened", out
    fleet.hub.commit(first, "hammurabi/laws", {"notes.txt": "mine\n"}, "Human touch")
    fleet.laws.write_text(LAWS.replace("text: DEBUG = False", "text: DEBUG = 0"))
    code, out, data = fleet.run("--repos", str(few))
    assert code == ExitCode.BLOCKED, out
    assert statuses(data) == {first: "blocked", second: "pr-opened"}
    assert data["counts"]["blocked"] == 1 and "1 blocked" in out
    (row,) = [line for line in out.splitlines() if first in line and "│" in line]
    assert "blocked" in row


def test_a_private_repository_is_a_partial_clone_whose_files_come_with_the_token(
    fleet: Fleet,
) -> None:
    fleet.hub.create_repo(
        "acme/secret", {"app.py": "DEBUG = True\n", "big.bin": "x" * 100_000}, private=True
    )
    few = fleet.root / "secret.txt"
    few.write_text("acme/secret\n")
    code, out, data = fleet.run("--repos", str(few), "--dry-run")  # a copy of the files
    assert code == 0, out
    assert pull_actions(data) == {"acme/secret": "open"} and "+DEBUG = False" in out
    assert fleet.hub.pulls("acme/secret") == []
    code, out, data = fleet.run("--repos", str(few))
    assert code == 0, out
    assert statuses(data) == {"acme/secret": "pr-opened"}
    (clone,) = [path for path in fleet.cache.rglob("secret/.git") if path.is_dir()]
    assert list((clone / "objects" / "pack").glob("*.promisor"))  # cloned without contents
    listed = ["rev-list", "--objects", "--missing=print", "--no-walk", "origin/main", "--"]
    found = git(*listed, "app.py", "big.bin", cwd=clone.parent).splitlines()
    assert [line[41:] or line[:1] for line in found[2:]] == ["app.py", "?"]  # big.bin: not needed
    bare = fleet.hub.state.repos["acme/secret"].bare
    (branch,) = [name for name in bare.branches() if name != "main"]
    assert bare.git("show", f"{branch}:app.py") == "DEBUG = False"
