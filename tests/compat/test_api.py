"""Every public name of Hammurabi 0.11.1, with its arguments and behaviour, on real files.

The expectations follow 0.11.1's documented behaviour (checked against the installed 0.11.1
by hand); where 0.11 was wrong (lines added again on every run, OptionRenamed doing nothing,
whole files reformatted) the fixed behaviour is asserted and the difference named.
"""

from __future__ import annotations

import inspect
import json
import os
import pwd
from pathlib import Path

import pytest

import hammurabi
from hammurabi import Law
from hammurabi.compat import mode
from hammurabi.compat.mode import original_api
from hammurabi.core.errors import ConfigError
from hammurabi.core.results import Outcome
from tests.helpers import apply_twice, make_tree, only, run_rules

USER = pwd.getpwuid(os.getuid()).pw_name

#: 0.11.1's public names and their constructor parameters (from its signatures).
ORIGINAL_API: dict[str, tuple[str, ...]] = {
    "Copied": ("name", "path", "destination"),
    "DirectoryEmptied": ("name", "path"),
    "DirectoryExists": ("name", "path"),
    "DirectoryNotExists": ("name", "path"),
    "FileEmptied": ("name", "path"),
    "FileExists": ("name", "path"),
    "FileNotExists": ("name", "path"),
    "FilesExist": ("name", "paths"),
    "FilesNotExist": ("name", "paths"),
    "HasMode": ("path", "mode"),
    "HasNoMode": ("path", "mode"),
    "IsDirectoryExist": ("path",),
    "IsDirectoryNotExist": ("path",),
    "IsFileExist": ("path",),
    "IsFileNotExist": ("path",),
    "IsLineExist": ("path", "criteria"),
    "IsLineNotExist": ("path", "criteria"),
    "IsNotOwnedBy": ("path", "owner"),
    "IsOwnedBy": ("path", "owner"),
    "JsonKeyExists": ("name", "path", "key", "value"),
    "JsonKeyNotExists": ("name", "path", "key"),
    "JsonKeyRenamed": ("name", "path", "key", "new_name"),
    "JsonReporter": ("laws",),
    "JsonValueExists": ("name", "path", "key", "value"),
    "JsonValueNotExists": ("name", "path", "key", "value"),
    "Law": ("name", "description", "rules", "preconditions"),
    "LineExists": (
        "name",
        "path",
        "text",
        "match",
        "position",
        "respect_indentation",
        "ensure_trailing_newline",
    ),
    "LineNotExists": ("name", "path", "text"),
    "LineReplaced": ("name", "path", "text", "match", "respect_indentation"),
    "ModeChanged": ("name", "path", "new_value"),
    "Moved": ("name", "path", "destination"),
    "Notification": ("recipients", "message_template"),
    "OptionRenamed": ("name", "path", "option", "new_name"),
    "OptionsExist": ("name", "path", "options", "force_value"),
    "OptionsNotExist": ("name", "path", "options"),
    "OwnerChanged": ("name", "path", "new_value"),
    "Pillar": ("reporter_class", "notifications"),
    "Precondition": ("name", "param"),
    "Renamed": ("name", "path", "new_name"),
    "Reporter": ("laws",),
    "Rule": ("name", "param", "preconditions", "pipe", "children"),
    "SectionExists": ("name", "path", "match", "options", "add_after"),
    "SectionNotExists": ("name", "path"),
    "SectionRenamed": ("name", "path", "new_name"),
    "SlackNotification": ("recipients", "message_template"),
    "TemplateRendered": ("name", "template", "destination", "context"),
    "TomlKeyExists": ("name", "path", "key", "value"),
    "TomlKeyNotExists": ("name", "path", "key"),
    "TomlKeyRenamed": ("name", "path", "key", "new_name"),
    "TomlValueExists": ("name", "path", "key", "value"),
    "TomlValueNotExists": ("name", "path", "key", "value"),
    "YamlKeyExists": ("name", "path", "key", "value"),
    "YamlKeyNotExists": ("name", "path", "key"),
    "YamlKeyRenamed": ("name", "path", "key", "new_name"),
    "YamlValueExists": ("name", "path", "key", "value"),
    "YamlValueNotExists": ("name", "path", "key", "value"),
}


@pytest.fixture(autouse=True)
def _fresh() -> None:
    mode.forget()


def accepts(cls: type, parameter: str) -> bool:
    """Whether the constructor takes ``parameter`` by name (itself or through its bases)."""
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters
        if parameter in params:
            return True
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return False
    return False


@pytest.mark.parametrize("name", sorted(ORIGINAL_API))
def test_every_0_11_name_is_exported_with_its_arguments(name: str) -> None:
    cls = getattr(hammurabi, name)
    assert name in hammurabi.__all__
    missing = [p for p in ORIGINAL_API[name] if not accepts(cls, p)]
    assert not missing, f"{name} does not take {missing}"


def lines(tmp_path: Path, name: str = "conf.py") -> str:
    return (tmp_path / name).read_text()


# -- text ----------------------------------------------------------------------------------


def test_line_exists_with_match_and_position(tmp_path: Path) -> None:
    make_tree(tmp_path, {"conf.py": "bind = 1\nworkers = 2\nbind = 3\n    hook = 1\nend = 0"})
    apply_twice(
        tmp_path,
        hammurabi.LineExists(name="after last bind", path="conf.py", text="a = 1", match="^bind"),
        hammurabi.LineExists(
            name="before", path="conf.py", text="b = 1", match="^workers", position=0
        ),
        hammurabi.LineExists(
            name="two after", path="conf.py", text="c = 1", match="^end", position=2
        ),
        hammurabi.LineExists(name="indented", path="conf.py", text="d = 1", match=r"^\s+hook"),
        hammurabi.LineExists(
            name="flat", path="conf.py", text="e = 1", match=r"^\s+hook", respect_indentation=False
        ),
    )
    # The line goes after the *last* match (0.11 used match.pop()); the file now ends with a
    # newline, as 0.11 wrote every line with one; nothing is added twice (0.11 did).
    assert lines(tmp_path) == (
        "bind = 1\nb = 1\nworkers = 2\nbind = 3\na = 1\n    hook = 1\ne = 1\n    d = 1\nend = 0\n"
        "c = 1\n"
    )


def test_line_exists_failures_and_empty_file(tmp_path: Path) -> None:
    make_tree(tmp_path, {"conf.py": "x = 1\n", "empty.py": ""})
    result = run_rules(
        tmp_path,
        hammurabi.LineExists(name="no match", path="conf.py", text="a", match="^nothing"),
        hammurabi.LineExists(name="empty", path="empty.py", text="first = 1", match="^x"),
    )
    failed, _ = result.laws[0].rules
    assert failed.outcome is Outcome.FAILED and "^nothing" in (failed.error or "")
    # laws are atomic: the law failed, so the empty file was rolled back
    assert lines(tmp_path, "empty.py") == ""
    apply_twice(tmp_path, hammurabi.LineExists(name="e", path="empty.py", text="y", match="^x"))
    assert lines(tmp_path, "empty.py") == "y\n"


def test_ensure_trailing_newline_keeps_an_empty_last_line(tmp_path: Path) -> None:
    make_tree(tmp_path, {".gitignore": "a\nb\n"})
    rule = hammurabi.LineExists(
        name="n", path=".gitignore", text="c", match="^b", ensure_trailing_newline=True
    )
    apply_twice(tmp_path, rule)
    assert lines(tmp_path, ".gitignore") == "a\nb\nc\n\n"


def test_line_not_exists_text_is_a_regex_in_an_original_pillar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path, {"a.py": "debug = 1\n  debug = 2\nDEBUG\n", "b.py": "debug = 1\n"})
    with original_api():
        old = hammurabi.LineNotExists(name="old", path="a.py", text=r"debug\s*=")
        hammurabi.LineNotExists(name="again", path="a.py", text="x")
    new = hammurabi.LineNotExists(name="new", path="b.py", text=r"debug\s*=")
    apply_twice(tmp_path, old, new)
    assert lines(tmp_path, "a.py") == "  debug = 2\nDEBUG\n"  # re.match: at the line start
    assert lines(tmp_path, "b.py") == "debug = 1\n"  # new code: a literal line
    err = capsys.readouterr().err
    assert err.count("LineNotExists(text=...) is a regular expression") == 1  # once per run
    assert "write criteria=" in err


def test_line_replaced_with_match(tmp_path: Path) -> None:
    make_tree(tmp_path, {"g.py": "  worker_class = 'sync'\nx = 1\n"})
    apply_twice(
        tmp_path,
        hammurabi.LineReplaced(
            name="r", path="g.py", text='worker_class = "gevent"', match=r"^\s*worker_class"
        ),
    )
    assert lines(tmp_path, "g.py") == '  worker_class = "gevent"\nx = 1\n'


# -- files, directories, attributes, templates ---------------------------------------------


def test_file_and_directory_rules_take_0_11_arguments(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            "a.txt": "a\n",
            "a2.txt": "a\n",
            "d/x": "x\n",
            "e/y": "y\n",
            "old/f": "f\n",
            "n.txt": "n\n",
            "c/z": "z\n",
            "q.txt": "q\n",
        },
    )
    apply_twice(
        tmp_path,
        hammurabi.FileExists(name="f", path=Path("new.txt")),
        hammurabi.FilesExist(name="fs", paths=[Path("p.txt"), Path("o.txt")]),
        hammurabi.FileNotExists(name="fn", path=Path("a.txt")),
        hammurabi.FilesNotExist(name="fsn", paths=[Path("a2.txt"), Path("missing")]),
        hammurabi.FileEmptied(name="fe", path=Path("n.txt")),
        hammurabi.DirectoryExists(name="de", path=Path("made")),
        hammurabi.DirectoryNotExists(name="dn", path=Path("d")),
        hammurabi.DirectoryEmptied(name="dm", path=Path("e")),
        hammurabi.Copied(name="cp", path=Path("c"), destination=Path("c2")),
        hammurabi.Moved(name="mv", path=Path("old/f"), destination=Path("moved/f")),
        hammurabi.Renamed(name="rn", path=Path("q.txt"), new_name="r.txt"),
    )
    assert (tmp_path / "new.txt").read_text() == ""
    assert not (tmp_path / "a.txt").exists() and not (tmp_path / "a2.txt").exists()
    assert (tmp_path / "p.txt").read_text() == ""
    assert (tmp_path / "n.txt").read_text() == "" and (tmp_path / "made").is_dir()
    assert not (tmp_path / "d").exists() and list((tmp_path / "e").iterdir()) == []
    assert (tmp_path / "c2/z").read_text() == "z\n" and (tmp_path / "moved/f").exists()
    assert (tmp_path / "r.txt").exists() and not (tmp_path / "q.txt").exists()


def test_attributes_with_new_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path, {"run.sh": "#!/bin/sh\n"})
    (tmp_path / "run.sh").chmod(0o644)
    apply_twice(
        tmp_path,
        hammurabi.ModeChanged(name="m", path=Path("run.sh"), new_value=0o755),
        hammurabi.OwnerChanged(name="o", path=Path("run.sh"), new_value=f"{USER}:"),
    )
    assert (tmp_path / "run.sh").stat().st_mode & 0o777 == 0o755
    err = capsys.readouterr().err
    assert "write mode=" in err and "write owner=..., group=..." in err


def test_template_rendered_with_template_and_destination(tmp_path: Path) -> None:
    outside = tmp_path / "pillar"
    repo = tmp_path / "repo"
    make_tree(outside, {"shipped.j2": "from {{ who }}\n"})
    make_tree(repo, {"templates/t.j2": "hello {{ who }}"})
    apply_twice(
        repo,
        hammurabi.TemplateRendered(
            name="in repo",
            template=Path("templates/t.j2"),
            destination=Path("out.txt"),
            context={"who": "me"},
        ),
        hammurabi.TemplateRendered(
            "shipped", outside / "shipped.j2", Path("shipped.txt"), context={"who": "pillar"}
        ),
    )
    assert (repo / "out.txt").read_text() == "hello me"
    assert (repo / "shipped.txt").read_text() == "from pillar\n"  # 0.11 dropped the newline


# -- JSON, YAML, TOML ----------------------------------------------------------------------


def test_dictionary_rules_keep_0_11_meanings_in_an_original_pillar(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            "p.json": '{"version": "1", "tags": ["a"], "single": "x", "gone": "y"}',
            "s.yml": "replicas: 1\nteam: a\n",
            "t.toml": 'name = "x"\nold = "z"\n',
        },
    )
    with original_api():
        rules = [
            hammurabi.JsonKeyExists(name="keeps", path=Path("p.json"), key="version", value="2"),
            hammurabi.JsonKeyExists(name="adds", path=Path("p.json"), key="a.b", value=1),
            hammurabi.JsonValueExists(name="list", path=Path("p.json"), key="tags", value="b"),
            hammurabi.JsonValueExists(name="single", path=Path("p.json"), key="single", value="z"),
            hammurabi.JsonValueExists(name="missing", path=Path("p.json"), key="new", value="n"),
            hammurabi.JsonValueNotExists(name="null", path=Path("p.json"), key="gone", value="y"),
            hammurabi.YamlKeyExists(name="y", path=Path("s.yml"), key="replicas", value=3),
            hammurabi.YamlKeyRenamed(name="r", path=Path("s.yml"), key="team", new_name="owner"),
            hammurabi.TomlValueNotExists(name="t", path=Path("t.toml"), key="old", value="z"),
            hammurabi.TomlKeyNotExists(name="k", path=Path("t.toml"), key="name"),
        ]
    apply_twice(tmp_path, *rules)
    assert json.loads((tmp_path / "p.json").read_text()) == {
        "version": "1",
        "tags": ["a", "b"],
        "single": "z",
        "gone": None,
        "a": {"b": 1},
        "new": "n",
    }
    assert (tmp_path / "p.json").read_text().startswith('{"version": "1", "tags": ["a", "b"]')
    assert (tmp_path / "s.yml").read_text() == "replicas: 1\nowner: a\n"
    assert (tmp_path / "t.toml").read_text() == ""


def test_dictionary_rules_in_new_code_have_the_current_meaning(tmp_path: Path) -> None:
    make_tree(tmp_path, {"s.yml": "replicas: 1\n"})
    apply_twice(
        tmp_path, hammurabi.YamlKeyExists(name="y", path=Path("s.yml"), key="replicas", value=3)
    )
    assert (tmp_path / "s.yml").read_text() == "replicas: 3\n"


# -- INI -----------------------------------------------------------------------------------


def test_ini_rules_with_0_11_arguments(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {"setup.cfg": "[metadata]\nname = x\n\n[old]\na = 1\n\n[pytest]\naddopt = -q\n"},
    )
    apply_twice(
        tmp_path,
        hammurabi.SectionExists(
            name="s",
            path=Path("setup.cfg"),
            section="flake8",
            match="metadata",
            options=(("max-line-length", "100"),),
        ),
        hammurabi.OptionsExist(
            name="o", path=Path("setup.cfg"), section="metadata", options=(("license", "MIT"),)
        ),
        hammurabi.OptionsNotExist(name="n", path=Path("setup.cfg"), section="old", options=("a",)),
        hammurabi.SectionRenamed(name="r", path=Path("setup.cfg"), section="old", new_name="new"),
        # 0.11 silently did nothing here; the option is renamed
        hammurabi.OptionRenamed(
            name="or", path=Path("setup.cfg"), section="pytest", option="addopt", new_name="addopts"
        ),
    )
    assert (tmp_path / "setup.cfg").read_text() == (
        "[metadata]\nname = x\nlicense = MIT\n\n[flake8]\nmax-line-length = 100\n\n[new]\n\n"
        "[pytest]\naddopts = -q\n"
    )


def test_the_section_flows_from_section_exists(tmp_path: Path) -> None:
    make_tree(tmp_path, {"tox.ini": "[tox]\nenvlist = py\n"})
    rule = hammurabi.SectionExists(
        name="flake8",
        path="tox.ini",
        section="flake8",
        pipe=hammurabi.OptionsExist(name="limits", options={"max-line-length": "100"}),
        children=[
            hammurabi.OptionRenamed(name="spelling", option="ignore", new_name="extend-ignore"),
            hammurabi.OptionsNotExist(name="no select", options=["select"]),
        ],
    )
    make_tree(tmp_path, {"tox.ini": "[tox]\nenvlist = py\n\n[flake8]\nignore = E1\nselect = E\n"})
    apply_twice(tmp_path, rule)
    assert (tmp_path / "tox.ini").read_text() == (
        "[tox]\nenvlist = py\n\n[flake8]\nextend-ignore = E1\nmax-line-length = 100\n"
    )
    renamed = hammurabi.SectionExists(
        name="s", path="tox.ini", section="flake8", pipe=hammurabi.SectionRenamed("r", None, "lint")
    )
    apply_twice(tmp_path, renamed)
    assert "[lint]" in (tmp_path / "tox.ini").read_text()


def test_an_ini_rule_without_section_needs_a_section_exists() -> None:
    with pytest.raises(ConfigError, match="no section and no upstream SectionExists"):
        Law("l", "d", [hammurabi.OptionsExist(name="o", path="x.ini", options={"a": "1"})])


# -- preconditions -------------------------------------------------------------------------


def test_preconditions_take_0_11_arguments_and_meanings(tmp_path: Path) -> None:
    make_tree(tmp_path, {"g.py": "  worker = 1\n", "run.sh": "x\n"})
    (tmp_path / "run.sh").chmod(0o744)

    def answers(*conditions: hammurabi.Precondition) -> list[bool]:
        rules = [
            hammurabi.FileExists(name=f"r{i}", path="g.py", preconditions=[c])
            for i, c in enumerate(conditions)
        ]
        result = run_rules(tmp_path, *rules)
        return [r.outcome is not Outcome.SKIPPED for r in result.laws[0].rules]

    with original_api():
        old = [
            hammurabi.IsLineExist(path=Path("g.py"), criteria="worker"),  # re.match
            hammurabi.IsLineNotExist(path=Path("g.py"), criteria="worker"),
            hammurabi.HasMode(path=Path("run.sh"), mode=0o111),  # any bit
            hammurabi.HasNoMode(path=Path("run.sh"), mode=0o111),
        ]
    new = [
        hammurabi.IsLineExist(path=Path("g.py"), criteria="worker"),  # re.search
        hammurabi.HasMode(path=Path("run.sh"), mode=0o111, how="add"),  # all bits
    ]
    owned = [
        hammurabi.IsOwnedBy(path=Path("run.sh"), owner=f"{USER}:"),
        hammurabi.IsNotOwnedBy(path=Path("run.sh"), owner=f"{USER}"),
        hammurabi.IsFileExist(path=Path("g.py")),
        hammurabi.IsFileNotExist(path=Path("g.py")),
        hammurabi.IsDirectoryExist(path=Path(".")),
        hammurabi.IsDirectoryNotExist(path=Path("nope")),
    ]
    assert answers(*old) == [False, True, True, False]
    assert answers(*new) == [True, False]
    assert answers(*owned) == [True, False, True, False, True, True]


# -- pillar, reporter, notifications -------------------------------------------------------


class Recording(hammurabi.Notification):
    def __init__(self) -> None:
        super().__init__(["somewhere"], "  Changes in {repository}:\n  {changes_link}  ")
        self.sent: list[str] = []

    def notify(self, message: str, changes_link: str | None) -> None:
        self.sent.append(message)


def test_pillar_takes_a_reporter_class_and_notifications(tmp_path: Path) -> None:
    class Names(hammurabi.Reporter):
        def report(self) -> list[str]:
            return [item.name for item in self._get_report().passed]

    recording = Recording()
    pillar = hammurabi.Pillar(reporter_class=Names, notifications=[recording])
    rule = hammurabi.FileExists(name="made", path="x")
    pillar.register(Law(name="law", description="d", rules=[rule]))
    assert pillar.rules == [rule] and pillar.get_rule("made") is rule
    assert hammurabi.Pillar("named").name == "named"
    with pytest.raises(ConfigError):
        hammurabi.Pillar(reporter_class=dict)  # type: ignore[arg-type]
    pillar.reporter.attach(pillar.enforce(tmp_path))
    assert pillar.reporter.report() == ["made"]
    assert recording.send("https://pr/1", repository="acme/w", secrets=["w"])
    assert recording.sent == ["Changes in acme/***:\nhttps://pr/1"]


def test_rule_and_precondition_bases_keep_0_11_signatures(tmp_path: Path) -> None:
    class Touch(hammurabi.Rule):
        def task(self) -> Path:
            Path(self.param).write_text("custom\n")
            return Path(self.param)

    class Always(hammurabi.Precondition):
        def task(self) -> bool:
            return bool(self.param)

    rule = Touch("custom", "c.txt", [Always(None, True)])
    apply_twice(tmp_path, rule)
    assert only(run_rules(tmp_path, rule)).outcome is Outcome.UNCHANGED
    assert (tmp_path / "c.txt").read_text() == "custom\n"


#: A sample value for each 0.11 parameter, to build every class by position as 0.11 allowed.
SAMPLES: dict[str, object] = {
    "name": "n",
    "path": Path("f.txt"),
    "paths": [Path("f.txt")],
    "text": "t",
    "match": "^m",
    "position": 1,
    "respect_indentation": True,
    "ensure_trailing_newline": False,
    "destination": Path("d.txt"),
    "new_name": "new",
    "key": "a.b",
    "value": 1,
    "force_value": False,
    "add_after": True,
    "option": "o",
    "template": Path("t.j2"),
    "context": {"x": 1},
    "criteria": "^x",
    "mode": 0o111,
    "owner": USER,
    "laws": [],
    "recipients": ["https://hooks.invalid/x"],
    "message_template": "m",
    "reporter_class": None,
    "notifications": (),
    "description": "d",
    "rules": [],
    "preconditions": [],
}
_SPECIAL = {
    "ModeChanged": {"new_value": 0o644},
    "OwnerChanged": {"new_value": USER},
    "SectionExists": {"options": [("a", "1")]},
    "OptionsExist": {"options": [("a", "1")]},
    "OptionsNotExist": {"options": ["a"]},
}
_ABSTRACT = {"Reporter", "Notification", "Rule", "Precondition"}


@pytest.mark.parametrize("name", sorted(set(ORIGINAL_API) - _ABSTRACT))
def test_every_0_11_class_builds_with_positional_arguments(name: str) -> None:
    values = {**SAMPLES, **_SPECIAL.get(name, {})}
    args = [values[parameter] for parameter in ORIGINAL_API[name]]
    extra = {"section": "s"} if name.startswith(("Section", "Option")) else {}
    built = getattr(hammurabi, name)(*args, **extra)
    if "name" in ORIGINAL_API[name] and name != "Law":
        assert built.name == "n"
