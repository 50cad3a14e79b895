"""Settings precedence and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from hammurabi import ConfigError
from hammurabi.loading.settings import describe, load_settings


def test_precedence(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hammurabi]\nlaws = ["a.yml", "some.module"]\nselect = ["x"]\nignore = ["p"]\n'
    )
    (tmp_path / ".hammurabi.toml").write_text('select = ["y"]\n')
    settings = load_settings(
        tmp_path, env={"HAMMURABI_IGNORE": "e1, e2"}, overrides={"disable_plugins": ["cli"]}
    )
    assert settings.laws == [str(tmp_path / "a.yml"), "some.module"]
    assert settings.select == ["y"]
    assert settings.ignore == ["e1", "e2"]
    assert settings.disable_plugins == ["cli"]
    assert settings.sources == [
        str(tmp_path / "pyproject.toml"),
        str(tmp_path / ".hammurabi.toml"),
        "environment",
    ]


def test_errors(tmp_path: Path) -> None:
    (tmp_path / ".hammurabi.toml").write_text("select = 3\n")
    with pytest.raises(ConfigError, match="select must be a list"):
        load_settings(tmp_path, env={})
    (tmp_path / ".hammurabi.toml").write_text("selec = []\n")
    with pytest.raises(ConfigError, match="unknown setting 'selec'"):
        load_settings(tmp_path, env={})
    (tmp_path / ".hammurabi.toml").write_text("select = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(tmp_path, env={})


def test_describe_lists_env_names() -> None:
    rows = {row["key"]: row["env"] for row in describe()}
    assert rows["laws"] == "HAMMURABI_LAWS"
    assert rows["disable_plugins"] == "HAMMURABI_DISABLE_PLUGINS"
