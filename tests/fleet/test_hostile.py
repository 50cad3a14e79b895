"""A fleet of ten repositories, one of them hostile: the other nine are changed correctly,
the hostile one fails cleanly, in bounded time and memory, and leaks nothing."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest

from hammurabi.core.exitcodes import ExitCode
from tests.fleet.conftest import OWNER, Fleet, layout, pull_actions, statuses
from tests.github_standin import GitHubStandIn
from tests.gitrepos import LAWS, git
from tests.security.test_limits import alias_bomb

SECRET_FILE = "/etc/passwd"
#: The fleet's laws: the usual two, and three that read what a repository provides.
HOSTILE_LAWS = (
    LAWS
    + """\
  - name: Config pinned
    description: The service config pins its version.
    preconditions:
      - is-file-exists: {path: config.yml}
    rules:
      - value-exists: {name: pinned, path: config.yml, key: pins, value: [v1]}
  - name: Defaults installed
    description: Defaults are copied into place.
    preconditions:
      - is-directory-exists: {path: defaults}
    rules:
      - copied: {name: defaults copied, path: defaults, destination: config}
  - name: CI rendered
    description: The CI file comes from the repository's template.
    preconditions:
      - is-file-exists: {path: .hammurabi/ci.j2}
    rules:
      - template-rendered:
          {name: ci, path: ci.txt, template: ci.j2, template_dir: .hammurabi}
"""
)
#: Everything a hostile repository tries at once.
HOSTILE_FILES = {
    "app.py": "DEBUG = True\n# \x1b[2J\x1b]0;owned\x07\n",
    "config.yml": alias_bomb(),
    ".hammurabi/ci.j2": "{{ 'a' * 10**9 }}",
    "evil.py": "open('/tmp/hammurabi-hostile-ran', 'w')\n",
    ".hammurabi.toml": 'allow_commands = true\nlaws = ["evil.py"]\n',
    "pyproject.toml": '[tool.hammurabi]\nlaws = ["evil.py"]\n',
    "defaults/app.cfg": "a = 1\n",
}


def make_hostile(hub: GitHubStandIn, name: str, scratch: Path) -> None:
    """Create ``name`` with the hostile files, then push a symlink to a secret file."""
    hub.create_repo(name, HOSTILE_FILES)
    work = scratch / "hostile-work"
    git("clone", "--quiet", str(hub.bare_path(name)), str(work))
    os.symlink(SECRET_FILE, work / "defaults" / "pw")
    git("add", "--all", cwd=work)
    git("commit", "--quiet", "--message", "a link out", cwd=work)
    git("push", "--quiet", "origin", "main", cwd=work)


@pytest.fixture
def hostile_fleet(hub: GitHubStandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Fleet:
    names = []
    for i in range(9):
        files, branch, _ = layout([0, 2, 3, 4, 5][i % 5])
        name = f"{OWNER}/svc-{i:02d}"
        hub.create_repo(name, files, default_branch=branch)
        names.append(name)
    make_hostile(hub, f"{OWNER}/hostile", tmp_path)
    names.insert(4, f"{OWNER}/hostile")
    root = tmp_path / "fleet"
    root.mkdir()
    # The fleet's settings folder is the runner's: anything may be set there.
    (root / "pyproject.toml").write_text("[tool.hammurabi.github]\nseconds_between_writes = 0\n")
    fleet = Fleet(hub, root, names, capsys)
    fleet.laws.write_text(HOSTILE_LAWS)
    return fleet


def test_one_hostile_repository_fails_alone(hostile_fleet: Fleet) -> None:
    marker = Path("/tmp/hammurabi-hostile-ran")
    marker.unlink(missing_ok=True)
    started = time.monotonic()
    code, out, data = hostile_fleet.run("--jobs", "2")
    seconds = time.monotonic() - started
    peak_mib = (
        max(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        )
        / 1024
    )
    hostile = f"{OWNER}/hostile"
    assert code == ExitCode.RULES_FAILED, out
    assert seconds < 180 and peak_mib < 600, (seconds, peak_mib)  # a bound, not a benchmark
    status = statuses(data)
    assert status.pop(hostile) == "failed"
    assert set(status.values()) == {"pr-opened"}, status
    # The hostile repository's sound laws still apply; the failed ones are rolled back.
    assert set(pull_actions(data).values()) == {"opened"}
    for name in status:
        head = hostile_fleet.hub.branch_sha(name, "hammurabi/laws")
        app = git("show", f"{head}:app.py", cwd=hostile_fleet.hub.bare_path(name))
        assert "DEBUG = False" in app, name
    # The hostile repository: every trick refused, nothing of it committed or printed.
    reason = next(repo["reason"] for repo in data["repos"] if repo["name"] == hostile)
    assert "limits.yaml_nodes" in reason and "limits.template_bytes" in reason
    assert "defaults/pw" in reason and "outside the repository" in reason
    assert not marker.exists()
    assert "\x1b" not in out and "root:x:0:0" not in out
    bare = hostile_fleet.hub.bare_path(hostile)
    branches = git("for-each-ref", "--format=%(refname:short)", "refs/heads", cwd=bare)
    for branch in branches.splitlines():
        assert "root:x:0:0" not in git("grep", "-h", "root", branch, cwd=bare, check=False)
    files = git("ls-tree", "-r", "--name-only", "hammurabi/laws", cwd=bare).splitlines()
    assert "ci.txt" not in files and not [f for f in files if f.startswith("config/")]
