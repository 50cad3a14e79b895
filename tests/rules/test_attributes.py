"""mode-changed, owner-changed and the attribute preconditions (tests run as root)."""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hammurabi import (
    ConfigError,
    FileExists,
    HasMode,
    HasNoMode,
    IsNotOwnedBy,
    IsOwnedBy,
    ModeChanged,
    Outcome,
    OwnerChanged,
    RuleError,
)
from hammurabi.core.engine import enforce
from hammurabi.core.workspace import Workspace
from hammurabi.loading.lawfile import load_law_file
from hammurabi.loading.plugins import get_plugin_manager
from hammurabi.loading.registry import Registry
from hammurabi.preconditions.attributes import parse_mode
from tests.helpers import apply_twice, make_tree, only, run_rules, snapshot

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def owner_of(path: Path) -> tuple[int, int]:
    st_ = path.stat()
    return st_.st_uid, st_.st_gid


@pytest.mark.parametrize(
    ("start", "mode", "how", "expected"),
    [
        (0o644, "0755", "set", 0o755),
        (0o644, "755", "set", 0o755),
        (0o644, "0o700", "set", 0o700),
        (0o644, 0o600, "set", 0o600),
        (0o644, "4755", "set", 0o4755),
        (0o644, "0111", "add", 0o755),
        (0o777, 0o022, "remove", 0o755),
        (0o644, "u+x", "set", 0o744),
        (0o644, "+x", "set", 0o755),
        (0o666, "go-w", "set", 0o644),
        (0o777, "u=rw,go=r", "set", 0o644),
        (0o640, "a+X", "set", 0o640),  # X: no execute bit yet on a file, so nothing
        (0o740, "a+X", "set", 0o751),
        (0o755, "u+s", "set", 0o4755),
        (0o755, "ug+s,o+t", "set", 0o7755),
        (0o4755, "u=rwx", "set", 0o755),
        (0o644, "u+x-w", "set", 0o544),
    ],
)
def test_mode_changed(tmp_path: Path, start: int, mode: int | str, how: str, expected: int) -> None:
    make_tree(tmp_path, {"f": "x"})
    (tmp_path / "f").chmod(start)
    first, _ = apply_twice(tmp_path, ModeChanged(name="m", path="f", mode=mode, how=how))
    assert mode_of(tmp_path / "f") == expected
    result = only(first)
    assert result.outcome is (Outcome.CHANGED if start != expected else Outcome.UNCHANGED)
    assert (tmp_path / "f").read_text() == "x"


def test_mode_change_is_in_the_diff_and_dry_run_changes_nothing(tmp_path: Path) -> None:
    make_tree(tmp_path, {"bin/run": "#!/bin/sh\n"})
    (tmp_path / "bin/run").chmod(0o644)
    rule = ModeChanged(name="m", path="bin/run", mode="0755")
    dry = run_rules(tmp_path, rule, dry_run=True)
    assert mode_of(tmp_path / "bin/run") == 0o644
    assert "old mode 100644\nnew mode 100755" in dry.diff
    result = only(run_rules(tmp_path, rule))
    assert result.changes[0].kind == "mode" and result.files == ["bin/run"]


@pytest.mark.parametrize(
    ("mode", "how", "message"),
    [
        (755, "set", "decimal number (0o1363); write '0755'"),
        (0o10000, "set", "out of range"),
        (-1, "set", "out of range"),
        ("rwx", "set", "bad mode 'rwx'"),
        ("u+q", "set", "bad mode"),
        ("u+x", "add", "carries its own operators"),
        ("0755", "toggle", "how must be one of set, add, remove"),
        ("+X,u+x", "set", "'+X,u+x' is not idempotent (0000 gives 0100, then 0111)"),
        (True, "set", "mode must be an octal string"),
        (7.5, "set", "mode must be an octal string"),
    ],
)
def test_bad_modes_fail_when_the_rule_is_built(mode: object, how: str, message: str) -> None:
    with pytest.raises(ConfigError, match="rule 'm'") as info:
        ModeChanged(name="m", path="f", mode=mode, how=how)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_missing_file_and_directory_fail_cleanly(tmp_path: Path) -> None:
    make_tree(tmp_path, {"d/x": "1"})
    before = snapshot(tmp_path)
    missing = only(run_rules(tmp_path, ModeChanged(name="m", path="nope", mode="0644")))
    assert missing.outcome is Outcome.FAILED and missing.error == "nope: file does not exist"
    directory = only(run_rules(tmp_path, OwnerChanged(name="o", path="d", owner=0)))
    assert directory.outcome is Outcome.FAILED
    assert directory.error == "d: is a directory; only files are supported"
    assert snapshot(tmp_path) == before


@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(0, 0o777),
    bits=st.integers(0, 0o777),
    how=st.sampled_from(["set", "add", "remove"]),
)
def test_generated_numeric_modes_are_exact_and_idempotent(start: int, bits: int, how: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "f").write_text("x")
        (root / "f").chmod(start)
        apply_twice(root, ModeChanged(name="m", path="f", mode=f"0{bits:o}", how=how))
        wanted = {"set": bits, "add": start | bits, "remove": start & ~bits}[how]
        assert mode_of(root / "f") == wanted


_clause = st.tuples(
    st.sampled_from(["", "u", "g", "o", "a", "ug", "go"]),
    st.sampled_from(["+", "-", "="]),
    st.sampled_from(["", "r", "w", "x", "rw", "rx", "X", "rwx"]),
).map("".join)


@settings(max_examples=60, deadline=None)
@given(start=st.integers(0, 0o777), clauses=st.lists(_clause, min_size=1, max_size=3))
def test_generated_symbolic_modes_match_chmod(start: int, clauses: list[str]) -> None:
    spec = ",".join(clauses)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "f").write_text("x")
        (root / "g").write_text("x")
        (root / "f").chmod(start)
        (root / "g").chmod(start)
        try:
            rule = ModeChanged(name="m", path="f", mode=spec)
        except ConfigError as exc:  # like '+X,u+x': chmod itself gives another mode next time
            assert "is not idempotent" in str(exc)
            assume(False)
        apply_twice(root, rule)
        # chmod(1) is the oracle; it applies the umask when no "who" is given, we do not.
        explicit = ",".join(c if c[0] in "ugoa" else "a" + c for c in clauses)
        subprocess.run(["chmod", explicit, str(root / "g")], check=True)
        assert mode_of(root / "f") == mode_of(root / "g"), spec


@needs_root
def test_owner_changed_by_name_and_id(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a": "1", "b": "2", "c": "3"})
    os.chown(tmp_path / "c", 1, 1)
    first, _ = apply_twice(
        tmp_path,
        OwnerChanged(name="by name", path="a", owner="nobody", group="nogroup"),
        OwnerChanged(name="by id", path="b", owner=1, group="1"),
        OwnerChanged(name="group only", path="c", group="root"),
    )
    assert owner_of(tmp_path / "a") == (65534, 65534)
    assert owner_of(tmp_path / "c") == (1, 0)
    assert owner_of(tmp_path / "b") == (1, 1)
    by_name = first.laws[0].rules[0]
    assert by_name.outcome is Outcome.CHANGED
    assert [(c.path, c.kind, c.diff) for c in by_name.changes] == [("a", "owner", "")]
    assert first.laws[0].files == ["a", "b", "c"]


@needs_root
def test_unknown_user_or_group_leaves_file_alone(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a": "1"})
    before = owner_of(tmp_path / "a")
    result = run_rules(
        tmp_path,
        OwnerChanged(name="u", path="a", owner="no-such-user-xyz"),
        OwnerChanged(name="g", path="a", owner="nobody", group="no-such-group-xyz"),
    )
    errors = [r.error for r in result.walk()]
    assert errors == [
        "a: no user named 'no-such-user-xyz' on this machine",
        "a: no group named 'no-such-group-xyz' on this machine",
    ]
    assert owner_of(tmp_path / "a") == before
    for bad in ({}, {"owner": -1}, {"owner": ""}, {"group": 1.5}, {"owner": True}):
        with pytest.raises(ConfigError, match="rule 'o'"):
            OwnerChanged(name="o", path="a", **bad)  # type: ignore[arg-type]


@needs_root
def test_workspace_chown_is_rolled_back(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a": "1"})
    space = Workspace(tmp_path)
    with pytest.raises(RuleError), space.tracking(snapshot=False):
        assert space.chown("a", 65534, 65534)
        assert owner_of(tmp_path / "a") == (65534, 65534)
        raise RuleError("later step failed")
    assert owner_of(tmp_path / "a") == (0, 0)
    with space.tracking(snapshot=False) as changes:
        assert not space.chown("a", 0, 0)  # already so: nothing recorded
    assert changes == []


@needs_root
def test_rewriting_a_file_keeps_owner_on_rollback(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a": "old"})
    os.chown(tmp_path / "a", 65534, 65534)
    space = Workspace(tmp_path)
    with pytest.raises(RuleError), space.tracking(snapshot=False):
        space.write_bytes("a", b"new")
        raise RuleError("later step failed")
    assert (tmp_path / "a").read_text() == "old"
    assert owner_of(tmp_path / "a") == (65534, 65534)


@needs_root
def test_preconditions(tmp_path: Path) -> None:
    make_tree(tmp_path, {"x": "1", "y": "2"})
    (tmp_path / "x").chmod(0o755)
    os.chown(tmp_path / "y", 65534, 65534)

    def marker(name: str, *preconditions: object) -> FileExists:
        return FileExists(name=name, path=f"ran-{name}", preconditions=preconditions)  # type: ignore[arg-type]

    result = run_rules(
        tmp_path,
        marker("a", HasMode("x", "0755")),
        marker("b", HasMode("x", "u+x")),
        marker("c", HasMode("x", 0o022, how="add")),
        marker("d", HasMode("x", "0022", how="remove")),
        marker("e", HasNoMode("x", "o+w")),
        marker("f", HasMode("missing", "0644")),
        marker("g", HasNoMode("missing", "0644")),
        marker("h", IsOwnedBy("y", owner="nobody", group=65534)),
        marker("i", IsOwnedBy("y", owner=0)),
        marker("j", IsNotOwnedBy("x", group="nogroup")),
        marker("k", IsOwnedBy("missing", owner=0)),
    )
    outcomes = {r.rule: r.outcome for r in result.walk()}
    ran = {name for name, outcome in outcomes.items() if outcome is Outcome.CHANGED}
    assert ran == {"a", "b", "d", "e", "g", "h", "j"}, outcomes
    typo = only(run_rules(tmp_path, marker("z", IsOwnedBy("y", owner="no-such-user-xyz"))))
    assert typo.outcome is Outcome.FAILED
    assert typo.error == "y: no user named 'no-such-user-xyz' on this machine"
    with pytest.raises(ConfigError, match="IsOwnedBy: give owner, group or both"):
        IsOwnedBy("y")
    with pytest.raises(ConfigError, match="HasMode: mode"):
        HasMode("y", 644)


@needs_root
def test_law_file_by_id(tmp_path: Path) -> None:
    make_tree(tmp_path, {"bin/run": "#!/bin/sh\n", "www/index.html": "<p>\n"})
    (tmp_path / "bin/run").chmod(0o644)
    law_file = tmp_path / "laws.yml"
    law_file.write_text(
        "laws:\n"
        "  - name: attributes\n"
        "    rules:\n"
        "      - mode-changed: {path: bin/run, mode: '0755'}\n"
        "      - mode-changed: {path: www/index.html, mode: 0640}\n"  # YAML 1.1 octal int
        "      - owner-changed:\n"
        "          path: www/index.html\n"
        "          owner: nobody\n"
        "          group: nogroup\n"
        "          preconditions:\n"
        "            - has-mode: {path: bin/run, mode: u+x}\n"
        "            - is-not-owned-by: {path: www/index.html, owner: nobody}\n"
    )
    laws = load_law_file(law_file, Registry.from_plugins(get_plugin_manager()))
    first = enforce(laws, tmp_path)
    assert [r.outcome for r in first.walk()] == [Outcome.CHANGED] * 3
    assert mode_of(tmp_path / "bin/run") == 0o755
    assert mode_of(tmp_path / "www/index.html") == 0o640
    assert owner_of(tmp_path / "www/index.html") == (65534, 65534)
    second = enforce(laws, tmp_path)
    assert [r.outcome for r in second.walk()] == [
        Outcome.UNCHANGED,
        Outcome.UNCHANGED,
        Outcome.SKIPPED,
    ]


def test_parse_mode_describe() -> None:
    assert parse_mode("0755", "set", "x").describe() == "0755"
    assert parse_mode(0o111, "add", "x").describe() == "+0111"
    assert parse_mode("go-w", "set", "x").describe() == "go-w"
