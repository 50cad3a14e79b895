"""Line rules: behaviour, idempotency, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hammurabi import (
    BlockExists,
    BlockNotExists,
    ConfigError,
    LineExists,
    LineNotExists,
    LineReplaced,
    Outcome,
)
from tests.helpers import apply_twice, make_tree, only, run_rules, snapshot


def test_line_exists_appends_once(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f.txt": "a\nb\n"})
    first, _ = apply_twice(tmp_path, LineExists(name="c", path="f.txt", text="c"))
    assert (tmp_path / "f.txt").read_text() == "a\nb\nc\n"
    assert only(first).outcome is Outcome.CHANGED
    assert only(first).files == ["f.txt"]
    assert "+c" in only(first).diff


def test_line_exists_after_and_before_with_indentation(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f.py": "def f():\n    x = 1\n    return x\n"})
    apply_twice(
        tmp_path,
        LineExists(name="after", path="f.py", text="y = 2", after=r"x = 1"),
        LineExists(name="before", path="f.py", text="# start", before=r"^def"),
    )
    assert (
        tmp_path / "f.py"
    ).read_text() == "# start\ndef f():\n    x = 1\n    y = 2\n    return x\n"


def test_line_exists_original_target_position(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": "a\nb\n"})
    run_rules(tmp_path, LineExists(name="r", path="f", text="x", target="^b", position=0))
    assert (tmp_path / "f").read_text() == "a\nx\nb\n"


def test_line_exists_missing_anchor(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": "a\n"})
    before = snapshot(tmp_path)
    failed = only(run_rules(tmp_path, LineExists(name="r", path="f", text="x", after="^zzz")))
    assert failed.outcome is Outcome.FAILED
    assert "no line matches '^zzz'" in (failed.error or "")
    assert "f" in (failed.error or "")
    assert snapshot(tmp_path) == before
    skipped = only(
        run_rules(tmp_path, LineExists(name="r", path="f", text="x", after="^z", if_missing="skip"))
    )
    assert skipped.outcome is Outcome.UNCHANGED
    run_rules(tmp_path, LineExists(name="r", path="f", text="x", after="^z", if_missing="end"))
    assert (tmp_path / "f").read_text() == "a\nx\n"


def test_line_exists_criteria_and_create(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": "workers = 2\n"})
    result = only(
        run_rules(
            tmp_path, LineExists(name="r", path="f", text="workers = 4", criteria=r"^workers")
        )
    )
    assert result.outcome is Outcome.UNCHANGED
    apply_twice(tmp_path, LineExists(name="r", path="new/file", text="x", create=True))
    assert (tmp_path / "new/file").read_text() == "x\n"


def test_line_exists_missing_file_fails(tmp_path: Path) -> None:
    result = only(run_rules(tmp_path, LineExists(name="r", path="nope", text="x")))
    assert result.outcome is Outcome.FAILED
    assert result.error == "nope: file does not exist"


def test_line_exists_no_trailing_newline_kept(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": "a"})
    apply_twice(tmp_path, LineExists(name="r", path="f", text="b"))
    assert (tmp_path / "f").read_bytes() == b"a\nb"


def test_line_not_exists(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": "keep\nDEBUG = True\n  DEBUG=1\nkeep2\n"})
    apply_twice(tmp_path, LineNotExists(name="r", path="f", criteria=r"^\s*DEBUG\s*="))
    assert (tmp_path / "f").read_text() == "keep\nkeep2\n"
    apply_twice(tmp_path, LineNotExists(name="r", path="f", text="keep2"))
    assert (tmp_path / "f").read_text() == "keep\n"
    assert (
        only(run_rules(tmp_path, LineNotExists(name="r", path="missing", text="x"))).outcome
        is Outcome.UNCHANGED
    )


def test_line_replaced_article_and_indentation(tmp_path: Path) -> None:
    make_tree(tmp_path, {"gunicorn.conf.py": 'a = 1\n    worker_class = "sync"\n'})
    rule = LineReplaced(
        name="Worker class is set to gevent",
        path=Path("./gunicorn.conf.py"),
        target=r"^(\s+)?worker_class\ =\ .*",
        text='worker_class = "gevent"',
    )
    apply_twice(tmp_path, rule)
    assert (tmp_path / "gunicorn.conf.py").read_text() == 'a = 1\n    worker_class = "gevent"\n'
    make_tree(tmp_path, {"g": "  x = 1\n"})
    run_rules(
        tmp_path,
        LineReplaced(name="r", path="g", match=r"\s*x =", text="x = 2", respect_indentation=False),
    )
    assert (tmp_path / "g").read_text() == "x = 2\n"


def test_line_replaced_missing_target(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": "a\n"})
    failed = only(run_rules(tmp_path, LineReplaced(name="r", path="f", target="^b", text="c")))
    assert failed.outcome is Outcome.FAILED
    assert (
        only(run_rules(tmp_path, LineReplaced(name="r", path="f", target="^b", text="a"))).outcome
        is Outcome.UNCHANGED
    )
    apply_twice(tmp_path, LineReplaced(name="r", path="f", target="^b", text="c", if_missing="end"))
    assert (tmp_path / "f").read_text() == "a\nc\n"


def test_block_exists_insert_update_remove(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": "top\nanchor\nbottom\n"})
    apply_twice(tmp_path, BlockExists(name="b", path="f", block="x\ny\n", after="^anchor"))
    assert (tmp_path / "f").read_text() == (
        "top\nanchor\n# BEGIN HAMMURABI MANAGED BLOCK\nx\ny\n"
        "# END HAMMURABI MANAGED BLOCK\nbottom\n"
    )
    apply_twice(tmp_path, BlockExists(name="b", path="f", block="z"))
    assert (tmp_path / "f").read_text() == (
        "top\nanchor\n# BEGIN HAMMURABI MANAGED BLOCK\nz\n# END HAMMURABI MANAGED BLOCK\nbottom\n"
    )
    apply_twice(tmp_path, BlockNotExists(name="b", path="f"))
    assert (tmp_path / "f").read_text() == "top\nanchor\nbottom\n"


def test_block_not_exists_removes_every_block(tmp_path: Path) -> None:
    block = "# BEGIN HAMMURABI MANAGED BLOCK\n.idea/\n# END HAMMURABI MANAGED BLOCK\n"
    make_tree(tmp_path, {".gitignore": f"*.pyc\n{block}build/\n{block}"})
    apply_twice(tmp_path, BlockNotExists(name="b", path=".gitignore"))
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\nbuild/\n"


def test_block_custom_marker_and_unterminated(tmp_path: Path) -> None:
    make_tree(tmp_path, {"f": "// <<< managed\nold\n"})
    rule = BlockExists(
        name="b",
        path="f",
        block="new",
        marker="// {mark} managed",
        marker_begin="<<<",
        marker_end=">>>",
    )
    result = only(run_rules(tmp_path, rule))
    assert result.outcome is Outcome.FAILED
    assert "no end marker" in (result.error or "")
    assert (tmp_path / "f").read_text() == "// <<< managed\nold\n"


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: LineReplaced(name="r", path="f", target="(", text="x"), "bad regular expression"),
        (lambda: LineReplaced(name="r", path="f", text="x"), "exactly one of target or match"),
        (lambda: LineExists(name="r", path="f", text="a\nb"), "single line"),
        (lambda: LineExists(name="r", path="f", text="a", after="x", before="y"), "not both"),
        (lambda: LineExists(name="r", path="f", text="a", if_missing="maybe"), "if_missing"),
        (lambda: LineNotExists(name="r", path="f"), "exactly one of text or criteria"),
        (lambda: BlockExists(name="r", path="f", block="x", marker="no mark"), "{mark}"),
        (lambda: LineExists(name="", path="f", text="a"), "non-empty name"),
        (lambda: LineExists(name="r", path="f", text="a", bogus=1), "unknown argument"),
    ],
)
def test_bad_arguments_fail_at_construction(factory, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=None) as info:
        factory()
    assert message in str(info.value)


lines = st.lists(st.text(alphabet="abc =#\t", max_size=8), max_size=8)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=lines,
    text=st.text(alphabet="abc =", min_size=1, max_size=6).filter(str.strip),
    trailing=st.booleans(),
)
def test_line_rules_idempotent_property(
    tmp_path: Path, content: list[str], text: str, trailing: bool
) -> None:
    body = "\n".join(content) + ("\n" if trailing and content else "")
    for rule in (
        LineExists(name="e", path="f", text=text, after="a", if_missing="end"),
        LineNotExists(name="n", path="f", text=text),
        LineReplaced(name="r", path="f", target="^a", text=text, if_missing="end"),
        BlockExists(name="b", path="f", block=text + "\n" + text, before="b", if_missing="end"),
        BlockNotExists(name="bn", path="f"),
    ):
        make_tree(tmp_path, {"f": body})
        apply_twice(tmp_path, rule)


def test_a_compliant_file_is_never_rewritten(tmp_path: Path) -> None:
    """Mixed newlines in a file that needs no change are not normalised."""
    path = tmp_path / "f.txt"
    path.write_bytes(b"a\r\nb\nc\r\n")
    before = path.stat().st_mtime_ns
    results = run_rules(
        tmp_path,
        LineExists(name="present", path="f.txt", text="b"),
        LineNotExists(name="absent", path="f.txt", criteria="^z$"),
        LineReplaced(name="same", path="f.txt", target="^c$", text="c"),
    )
    assert [r.outcome for r in results.laws[0].rules] == [Outcome.UNCHANGED] * 3
    assert path.read_bytes() == b"a\r\nb\nc\r\n" and path.stat().st_mtime_ns == before
