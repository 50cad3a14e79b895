"""Automerge (opt-in) merges only what branch protection allows, on the GitHub stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from hammurabi.core.errors import ConfigError
from hammurabi.core.exitcodes import ExitCode
from hammurabi.loading.settings import load_settings
from tests.fleet.conftest import Fleet
from tests.gitrepos import LAWS

REPOS = ["acme/svc-00", "acme/svc-02", "acme/svc-03", "acme/svc-04"]
INCLUDE = ["--include", "svc-0[0234]"]


def head(fleet: Fleet, repo: str) -> tuple[int, str]:
    (pull,) = fleet.hub.pulls(repo, "open")
    return pull["number"], pull["head"]["sha"]


def test_automerge_merges_only_what_branch_protection_allows(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = fleet.hub
    for repo in REPOS:
        hub.configure_repo(repo, collaborators=["alice"], admins=["hammurabi-bot"])
    code, out, _ = fleet.run(*INCLUDE)
    assert code == ExitCode.OK, out
    # svc-00: protected (ci, one approval), green and approved: merges.
    number, sha = head(fleet, "acme/svc-00")
    hub.protect("acme/svc-00", checks=["ci"], approvals=1)
    hub.set_status("acme/svc-00", sha, "ci", "success")
    hub.review("acme/svc-00", number, "alice", "APPROVE")
    # svc-02: its required check fails.
    number, sha = head(fleet, "acme/svc-02")
    hub.protect("acme/svc-02", checks=["ci"])
    hub.set_status("acme/svc-02", sha, "ci", "failure")
    # svc-03: green but an approval is required and missing. The bot is an admin and the
    # protection is not enforced for admins: GitHub would merge it; Hammurabi must not.
    number, sha = head(fleet, "acme/svc-03")
    hub.protect("acme/svc-03", checks=["ci"], approvals=1, enforce_admins=False)
    hub.set_status("acme/svc-03", sha, "ci", "success")
    # svc-04: no protection, green: merges with the chosen method.
    number, sha = head(fleet, "acme/svc-04")
    hub.set_check_run("acme/svc-04", sha, "tests", "completed", "success")

    base_tips = {repo: hub.branch_sha(repo, "main") for repo in REPOS}
    code, out, dry = fleet.run(*INCLUDE, "--dry-run", "--automerge")
    assert code == ExitCode.OK, out
    assert {repo: hub.branch_sha(repo, "main") for repo in REPOS} == base_tips  # nothing merged

    monkeypatch.setenv("HAMMURABI_AUTOMERGE_METHOD", "rebase")
    code, out, second = fleet.run(*INCLUDE, "--automerge")
    assert code == ExitCode.OK, out
    stages = {repo["name"]: repo["stage"] for repo in second["repos"]}
    assert stages == {
        "acme/svc-00": "merged",
        "acme/svc-02": "failing",
        "acme/svc-03": "passing",
        "acme/svc-04": "merged",
    }
    merged = {repo: pull["merged"] for repo in REPOS for pull in hub.pulls(repo)}
    assert merged == {
        "acme/svc-00": True,
        "acme/svc-02": False,
        "acme/svc-03": False,
        "acme/svc-04": True,
    }
    for repo in ("acme/svc-00", "acme/svc-04"):
        assert "hammurabi/laws" not in hub.branches(repo)  # deleted once merged
        tip = hub.branch_sha(repo, "main")
        info = hub.repo(repo).bare.commit_info(tip)
        assert len(info.parents) == 1  # rebased, not a merge commit
    reasons = {
        repo["name"]: repo["pull"]["automerge"].get("reason")
        for repo in second["repos"]
        if repo["pull"].get("automerge")
    }
    assert reasons["acme/svc-02"] == "checks are failing: ci"
    assert reasons["acme/svc-03"].startswith("branch protection does not allow it yet")
    dry_reasons = {repo["name"]: repo["pull"].get("automerge") for repo in dry["repos"]}
    assert dry_reasons["acme/svc-04"] == {
        "merged": False,
        "reason": "dry run",
        "would_merge": True,
        "asked_by": "run",
    }

    code, out, third = fleet.run(*INCLUDE)  # the laws now hold where it merged
    assert code == ExitCode.OK, out
    stages = {repo["name"]: repo["stage"] for repo in third["repos"]}
    assert stages["acme/svc-00"] == stages["acme/svc-04"] == "merged"


def test_a_repository_may_not_turn_automerge_on_for_itself(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".hammurabi.toml").write_text("[automerge]\nenabled = true\n")
    with pytest.raises(ConfigError, match=r"'automerge\.enabled' is refused: the repository is"):
        load_settings(repo, env={}, trusted=False)
    assert load_settings(repo, env={}, trusted=True).automerge.enabled  # trusted: its choice


#: The fleet's laws, the first asking to be merged automatically.
CACHES = "    description: Git ignores bytecode caches.\n"
LAWS_ONE_AUTOMERGES = LAWS.replace(CACHES, f"{CACHES}    automerge: true\n")


def test_a_law_may_ask_for_automerge_and_the_run_may_refuse(fleet: Fleet) -> None:
    """svc-03 needs only the law that asks: merged; svc-02 only the other: left open; svc-00
    both: left open (every law in a pull request must ask), and says which one does not."""
    hub = fleet.hub
    fleet.laws.write_text(LAWS_ONE_AUTOMERGES)
    include = ["--include", "svc-0[023]"]
    code, out, _ = fleet.run(*include)
    assert code == ExitCode.OK, out
    for repo in ("acme/svc-00", "acme/svc-02", "acme/svc-03"):
        hub.set_status(repo, head(fleet, repo)[1], "ci", "success")
    tips = {repo: hub.branch_sha(repo, "main") for repo in ("acme/svc-00", "acme/svc-03")}

    code, out, vetoed = fleet.run(*include, "--no-automerge")  # the runner says no
    assert code == ExitCode.OK, out
    assert {repo: hub.branch_sha(repo, "main") for repo in tips} == tips
    assert not any(repo["pull"].get("automerge") for repo in vetoed["repos"])

    code, out, second = fleet.run(*include)
    assert code == ExitCode.OK, out
    merged = {repo: pull["merged"] for repo in tips for pull in hub.pulls(repo)}
    merged["acme/svc-02"] = hub.pulls("acme/svc-02")[0]["merged"]
    assert merged == {"acme/svc-00": False, "acme/svc-02": False, "acme/svc-03": True}
    repos = {repo["name"]: repo for repo in second["repos"]}
    assert repos["acme/svc-03"]["stage"] == "merged"
    assert repos["acme/svc-03"]["pull"]["automerge"]["asked_by"] == "laws"
    assert repos["acme/svc-00"]["pull"]["automerge"] == {
        "merged": False,
        "reason": "not every law in it asks for automerge (Debug off does not)",
    }
    assert "automerge" not in repos["acme/svc-02"]["pull"]  # no law asked: nothing to say


def test_a_law_file_the_repository_names_may_not_ask_for_automerge(tmp_path: Path) -> None:
    from hammurabi.cli.main import main

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("DEBUG = True\n")
    (repo / "laws.yml").write_text(LAWS_ONE_AUTOMERGES)
    (repo / ".hammurabi.toml").write_text('laws = ["laws.yml"]\n')
    args = ["check", str(repo), "--disable-plugin", "python"]
    assert main(args) == ExitCode.USAGE_ERROR
    assert main([*args, "--trust-repository"]) == ExitCode.CHANGES_NEEDED
