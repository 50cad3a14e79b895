"""The base branch moves after the bot's pull request was opened (GitHub stand-in over HTTP).

A bot branch is brought up to date when GitHub says it conflicts with its base (``dirty``) or
falls behind a base whose protection wants it up to date (``behind``), unless it holds
someone else's commits; a branch that still proposes the very same changes and merges
cleanly is left as it is, so a busy base does not restart every pull request's CI.
"""

from __future__ import annotations

from typing import Any

from hammurabi.core.exitcodes import ExitCode
from tests.fleet.conftest import Fleet
from tests.gitrepos import git

INCLUDE = ["--include", "svc-0[02345]"]
#: svc-03: unrelated base commit, no protection (clean); svc-05: the same, but protection
#: wants branches up to date (behind); svc-02: the base changed the very line the law fixes
#: (dirty); svc-04: the base changed a file the law changes, differently (the change differs);
#: svc-00: behind, and someone pushed to the bot branch (blocked).
CLEAN, BEHIND, DIRTY, CHANGED, HUMAN = (f"acme/svc-0{i}" for i in (3, 5, 2, 4, 0))


def pull_of(fleet: Fleet, repo: str) -> dict[str, Any]:
    (pull,) = fleet.hub.pulls(repo, "open")
    return pull


def parent(fleet: Fleet, repo: str, sha: str) -> list[str]:
    """The parents of the bottom commit of the bot branch at ``sha``, read from the remote."""
    bare = fleet.hub.bare_path(repo)
    base = fleet.hub.repo(repo).default_branch
    out = git("rev-list", "--reverse", "--parents", sha, "--not", base, cwd=bare, check=False)
    first = out.splitlines()[0].split() if out.strip() else []
    return first[1:]


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {repo["name"]: repo for repo in data["repos"]}


def test_a_bot_branch_is_brought_up_to_date_only_when_it_conflicts_or_falls_behind(
    fleet: Fleet,
) -> None:
    hub = fleet.hub
    code, out, _ = fleet.run(*INCLUDE)
    assert code == ExitCode.OK, out
    heads = {repo: pull_of(fleet, repo)["head"]["sha"] for repo in INCLUDE_REPOS}
    for repo, sha in heads.items():
        hub.set_status(repo, sha, "ci", "success")
    hub.protect(BEHIND, checks=["ci"], strict=True)
    hub.protect(HUMAN, checks=["ci"], strict=True)
    hub.commit(CLEAN, "main", {"NOTES.md": "notes\n"}, "Unrelated change")
    hub.commit(BEHIND, "master", {"NOTES.md": "notes\n"}, "Unrelated change")
    hub.commit(DIRTY, "main", {"app.py": "DEBUG = 1\n"}, "Debug as a number")
    hub.commit(CHANGED, "main", {"app.py": "import os\nDEBUG = True\nPORT = 8000\n"}, "Port")
    hub.commit(HUMAN, "main", {"NOTES.md": "notes\n"}, "Unrelated change")
    hub.commit(HUMAN, "hammurabi/laws", {"extra.txt": "mine\n"}, "A reviewer's fix")
    human_head = hub.branch_sha(HUMAN, "hammurabi/laws")
    before = {repo: hub.pull(repo, pull_of(fleet, repo)["number"]) for repo in INCLUDE_REPOS}
    assert before[CLEAN]["mergeable_state"] == "clean"
    assert before[BEHIND]["mergeable_state"] == "behind"
    assert before[DIRTY]["mergeable_state"] == "dirty"

    code, out, dry = fleet.run(*INCLUDE, "--dry-run")  # says the same, pushes nothing
    assert code == ExitCode.BLOCKED, out
    planned = {name: repo["branch"] for name, repo in by_name(dry).items()}
    assert planned == {
        CLEAN: "unchanged",
        BEHIND: "rebuild",
        DIRTY: "rebuild",
        CHANGED: "rebuild",
        HUMAN: "blocked",
    }
    assert {repo: pull_of(fleet, repo)["head"]["sha"] for repo in INCLUDE_REPOS} == {
        **heads,
        HUMAN: human_head,
    }

    code, out, second = fleet.run(*INCLUDE)
    assert code == ExitCode.BLOCKED, out
    repos = by_name(second)
    tips = {repo: hub.branch_sha(repo, hub.repo(repo).default_branch) for repo in INCLUDE_REPOS}
    # Left as it is: the same changes, merging cleanly; its CI is not restarted.
    assert hub.branch_sha(CLEAN, "hammurabi/laws") == heads[CLEAN]
    assert repos[CLEAN]["status"] == "up-to-date"
    assert repos[CLEAN]["stage"] == "passing"
    # Brought up to date: rebuilt on the moved base, the same pull request.
    for repo in (BEHIND, DIRTY, CHANGED):
        head = hub.branch_sha(repo, "hammurabi/laws")
        assert head != heads[repo], repo
        assert parent(fleet, repo, head) == [tips[repo]], repo
        assert pull_of(fleet, repo)["number"] == before[repo]["number"], repo
        assert hub.pull(repo, before[repo]["number"])["mergeable_state"] != "dirty", repo
        assert repos[repo]["stage"] == "proposed", repo  # its CI has not reported yet
    assert repos[BEHIND]["pull"]["brought_up_to_date"] == "behind"
    assert repos[DIRTY]["pull"]["brought_up_to_date"] == "dirty"
    assert repos[DIRTY]["reason"] == "brought up to date: it conflicted with its base branch"
    assert "brought_up_to_date" not in repos[CHANGED]["pull"]  # its changes differ: rebuilt
    # Someone else's commit: left alone, and said so.
    assert hub.branch_sha(HUMAN, "hammurabi/laws") == human_head
    assert repos[HUMAN]["status"] == "blocked"

    code, out, third = fleet.run(*INCLUDE)  # nothing moved: nothing pushed anywhere
    assert code == ExitCode.BLOCKED, out
    assert {r["name"]: r["status"] for r in third["repos"]} == {
        CLEAN: "up-to-date",
        BEHIND: "up-to-date",
        DIRTY: "up-to-date",
        CHANGED: "up-to-date",
        HUMAN: "blocked",
    }


INCLUDE_REPOS = [CLEAN, BEHIND, DIRTY, CHANGED, HUMAN]
