"""The article's code, verbatim, must keep working through the CLI."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tests.helpers import hammurabi, make_tree

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "hammurabi-article.md"
#: A copy kept with the tests, so a clean clone (CI) runs the acceptance test too.
ARTICLE = Path(__file__).resolve().parent / "reference" / "hammurabi-article.md"
BUNDLED = Path(__file__).resolve().parents[1] / "examples" / "laws" / "article_gunicorn.py"


def article_blocks() -> list[str]:
    """The article's Python blocks, verbatim."""
    return re.findall(r"```python\n(.*?)```", ARTICLE.read_text(), re.S)


def test_article_copy_is_current() -> None:
    if not SHARED.exists():
        pytest.skip("no shared reference next to this checkout; the kept copy is used")
    assert ARTICLE.read_text() == SHARED.read_text()


def test_article_has_the_three_blocks() -> None:
    assert len(article_blocks()) == 3


@pytest.fixture
def service(tmp_path: Path) -> Path:
    return make_tree(
        tmp_path / "service",
        {
            "gunicorn.conf.py": 'bind = "0.0.0.0:8000"\n    worker_class = "sync"\n',
            "service.yml": "name: demo\nstack: python\n",
        },
    )


def test_bundled_example_is_the_article_verbatim() -> None:
    assert BUNDLED.read_text() == article_blocks()[1]


@pytest.mark.parametrize("index", [0, 1])
def test_article_laws_run_verbatim(tmp_path: Path, service: Path, index: int) -> None:
    laws = tmp_path / f"article_{index}.py"
    laws.write_text(article_blocks()[index])
    first = hammurabi("enforce", str(service), "--laws", str(laws), "--disable-plugin", "python")
    assert first.returncode == 0, first.stderr
    assert '+    worker_class = "gevent"' in first.stdout
    assert (service / "gunicorn.conf.py").read_text() == (
        'bind = "0.0.0.0:8000"\n    worker_class = "gevent"\n'
    )
    second = hammurabi("check", str(service), "--laws", str(laws), "--disable-plugin", "python")
    assert second.returncode == 0, second.stdout


def test_article_custom_precondition_verbatim(tmp_path: Path, service: Path) -> None:
    """The HasStack block, saved as our own package, guards a law run through the CLI."""
    package = tmp_path / "pkg" / "prezi_rules"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(article_blocks()[2])
    laws = tmp_path / "laws.py"
    laws.write_text(
        textwrap.dedent("""
        from hammurabi import Pillar, Law, LineExists
        from prezi_rules import HasStack

        pillar = Pillar()
        pillar.register(Law(
            name="Python services log to stdout",
            description="accesslog goes to stdout",
            preconditions=[HasStack(stacks=["python"])],
            rules=[LineExists(name="accesslog", path="gunicorn.conf.py", text='accesslog = "-"')],
        ))
    """)
    )
    env = {"PYTHONPATH": str(tmp_path / "pkg")}
    args = ("enforce", str(service), "--laws", str(laws), "--disable-plugin", "python")
    result = hammurabi(*args, env=env)
    assert result.returncode == 0, result.stderr
    assert 'accesslog = "-"' in (service / "gunicorn.conf.py").read_text()

    scala = make_tree(tmp_path / "scala", {"gunicorn.conf.py": "", "service.yml": "stack: scala\n"})
    result = hammurabi(
        "enforce",
        str(scala),
        "--laws",
        str(laws),
        "--disable-plugin",
        "python",
        "--format",
        "json",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert '"outcome": "skipped"' in result.stdout
    assert (scala / "gunicorn.conf.py").read_text() == ""
