"""template-rendered: sandboxed Jinja2 rendering, loaders, errors, idempotency."""

from __future__ import annotations

import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hammurabi import ConfigError, ModeChanged, Outcome, TemplateRendered
from hammurabi.loading.lawfile import load_law_file
from hammurabi.loading.plugins import get_plugin_manager
from hammurabi.loading.registry import Registry
from tests.helpers import apply_twice, make_tree, only, run_rules, snapshot


def test_renders_with_include_and_extends(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            "tpl/base.j2": "# {{ title }}\n{% block body %}{% endblock %}\n",
            "tpl/page.j2": '{% extends "base.j2" %}{% block body %}'
            '{% include "parts/item.j2" %}{% endblock %}',
            "tpl/parts/item.j2": "{% for i in items %}- {{ i }}\n{% endfor %}",
        },
    )
    rule = TemplateRendered(
        name="page",
        path="out/README.md",
        template="page.j2",
        template_dir="tpl",
        context={"title": "Hi", "items": ["a", "b"]},
    )
    first, _ = apply_twice(tmp_path, rule)
    assert (tmp_path / "out/README.md").read_text() == "# Hi\n- a\n- b\n\n"
    result = only(first)
    assert result.outcome is Outcome.CHANGED
    assert "+# Hi" in result.diff and "out/README.md" in result.files


def test_default_folder_is_repository_root_and_keeps_trailing_newline(tmp_path: Path) -> None:
    make_tree(tmp_path, {"t.j2": "v={{ v }}\n\n", "dest": "old\n"})
    (tmp_path / "dest").chmod(0o600)
    apply_twice(
        tmp_path, TemplateRendered(name="r", path="dest", template="t.j2", context={"v": 1})
    )
    assert (tmp_path / "dest").read_bytes() == b"v=1\n\n"
    assert stat.S_IMODE((tmp_path / "dest").stat().st_mode) == 0o600  # mode kept


def test_package_templates_and_repository_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    make_tree(
        site,
        {
            "tplpkg/__init__.py": "",
            "tplpkg/templates/ci.yml.j2": "python: {{ py }}\n{% include 'inc.j2' %}",
            "tplpkg/templates/inc.j2": "from: package\n",
        },
    )
    monkeypatch.syspath_prepend(str(site))
    repo = tmp_path / "repo"
    repo.mkdir()
    rule = TemplateRendered(
        name="ci",
        path="ci.yml",
        template="ci.yml.j2",
        package="tplpkg:templates",
        context={"py": "3.11"},
    )
    apply_twice(repo, rule)
    assert (repo / "ci.yml").read_text() == "python: 3.11\nfrom: package\n"
    # With template_dir as well, the repository's templates win (includes too).
    make_tree(repo, {"overrides/inc.j2": "from: repository\n"})
    both = TemplateRendered(
        name="ci",
        path="ci.yml",
        template="ci.yml.j2",
        package="tplpkg",  # default folder
        template_dir="overrides",
        context={"py": "3.12"},
    )
    apply_twice(repo, both)
    assert (repo / "ci.yml").read_text() == "python: 3.12\nfrom: repository\n"


@pytest.mark.parametrize(
    ("files", "template", "message"),
    [
        ({"t.j2": "a\n{% if %}\n"}, "t.j2", "template 't.j2', line 2: Expected an expression"),
        ({"t.j2": "{{ x }}\n{{ nope }}"}, "t.j2", "template 't.j2', line 2: 'nope' is undefined"),
        ({}, "missing.j2", "template 'missing.j2' not found in '.' (repository)"),
        (
            {"t.j2": "x\n{% include 'gone.j2' %}"},
            "t.j2",
            "template 'gone.j2' not found (included from 't.j2', line 2)",
        ),
        (
            {"t.j2": "{{ ''.__class__.__mro__ }}"},
            "t.j2",
            "template 't.j2', line 1: refused by the sandbox",
        ),
        ({"t.j2": "{{ 1 // 0 }}"}, "t.j2", "template 't.j2', line 1: ZeroDivisionError"),
        ({"t.j2": b"\xff\xfe{{ x }}"}, "t.j2", "template 't.j2' is not UTF-8 text"),
    ],
)
def test_template_errors_leave_destination_untouched(
    tmp_path: Path, files: dict[str, str | bytes], template: str, message: str
) -> None:
    make_tree(tmp_path, {**files, "dest.txt": b"keep me\r\n"})
    before = snapshot(tmp_path)
    result = only(
        run_rules(
            tmp_path,
            TemplateRendered(name="r", path="dest.txt", template=template, context={"x": 1}),
        )
    )
    assert result.outcome is Outcome.FAILED
    assert result.error is not None and "\n" not in result.error
    assert result.error.startswith("dest.txt: "), result.error
    assert message in result.error
    assert snapshot(tmp_path) == before


def test_template_symlink_out_of_repository_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "t.j2").symlink_to(secret)
    result = only(run_rules(repo, TemplateRendered(name="r", path="out", template="t.j2")))
    assert result.outcome is Outcome.FAILED and "outside the repository" in (result.error or "")
    assert not (repo / "out").exists()
    escaping = only(
        run_rules(repo, TemplateRendered(name="r", path="out", template="t.j2", template_dir=".."))
    )
    assert escaping.outcome is Outcome.FAILED and "outside the repository" in (escaping.error or "")


def test_destination_directory_and_bad_arguments(tmp_path: Path) -> None:
    make_tree(tmp_path, {"t.j2": "x", "d/f": ""})
    result = only(run_rules(tmp_path, TemplateRendered(name="r", path="d", template="t.j2")))
    assert result.outcome is Outcome.FAILED and "is a directory" in (result.error or "")
    bad: list[dict[str, object]] = [
        {"template": ""},
        {"template": "../x.j2"},
        {"template": "/etc/passwd"},
        {"template": "t.j2", "context": ["a"]},
        {"template": "t.j2", "context": {1: "a"}},
        {"template": "t.j2", "package": "not a package"},
        {"template": "t.j2", "colour": "red"},
    ]
    for args in bad:
        with pytest.raises(ConfigError, match="'r'"):
            TemplateRendered("r", "out", **args)  # type: ignore[arg-type]
    missing = only(
        run_rules(
            tmp_path,
            TemplateRendered(name="r", path="o", template="t.j2", package="no_such_pkg_xyz"),
        )
    )
    assert missing.outcome is Outcome.FAILED and "no_such_pkg_xyz" in (missing.error or "")


def test_dry_run_and_pipe_to_mode(tmp_path: Path) -> None:
    make_tree(tmp_path, {"run.sh.j2": "#!/bin/sh\necho {{ word }}\n"})
    rule = TemplateRendered(
        name="script",
        path="bin/run.sh",
        template="run.sh.j2",
        context={"word": "hi"},
        pipe=ModeChanged(name="executable", mode="0755"),
    )
    dry = run_rules(tmp_path, rule, dry_run=True)
    assert not (tmp_path / "bin").exists()
    assert "+echo hi" in dry.diff
    apply_twice(tmp_path, rule)
    assert stat.S_IMODE((tmp_path / "bin/run.sh").stat().st_mode) == 0o755


def test_law_file_by_id(tmp_path: Path) -> None:
    make_tree(tmp_path, {"templates/cfg.j2": "name = {{ name }}\n"})
    law_file = tmp_path / "laws.yml"
    law_file.write_text(
        "laws:\n"
        "  - name: config\n"
        "    rules:\n"
        "      - template-rendered:\n"
        "          path: app.cfg\n"
        "          template: cfg.j2\n"
        "          template_dir: templates\n"
        "          context: {name: demo}\n"
    )
    laws = load_law_file(law_file, Registry.from_plugins(get_plugin_manager()))
    from hammurabi.core.engine import enforce

    enforce(laws, tmp_path)
    assert (tmp_path / "app.cfg").read_text() == "name = demo\n"
    assert enforce(laws, tmp_path).laws[0].rules[0].outcome is Outcome.UNCHANGED


def test_jinja2_is_not_imported_with_the_module() -> None:
    code = (
        "import sys, hammurabi, hammurabi.rules.templates, hammurabi.cli.main\n"
        "assert 'jinja2' not in sys.modules, 'jinja2 imported at start-up'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


_names = st.from_regex(r"v_[a-z0-9_]{0,8}", fullmatch=True)  # never a keyword or global
_values = st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.none())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(context=st.dictionaries(_names, _values, min_size=1, max_size=5))
def test_generated_contexts_render_exactly_and_idempotently(context: dict[str, object]) -> None:
    template = "".join(f"{name}={{{{ {name} }}}}\n" for name in sorted(context))
    expected = "".join(f"{name}={context[name]}\n" for name in sorted(context))
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "t.j2").write_text(template, encoding="utf-8")
        first, _ = apply_twice(
            root, TemplateRendered(name="r", path="out", template="t.j2", context=context)
        )
        assert (root / "out").read_bytes() == expected.encode("utf-8")
        assert only(first).outcome is Outcome.CHANGED
