"""Which repositories a fleet run takes: list files, filters and shards."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hammurabi.core.errors import ConfigError
from hammurabi.integrations.forges.base import ListedRepository
from hammurabi.orchestration.fleet.targets import (
    Shard,
    Target,
    from_listing,
    parse_line,
    read_list,
    select,
    shard,
    web_url,
)

HOST = "https://github.example.com"


def test_list_file_lines(tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text(
        "# services\n\nacme/api\nacme/api  # twice\n"
        "https://x-access-token:s3cret@git.example.com/acme/web.git\n"
        "git@github.com:acme/tool.git\n"
        f"{tmp_path}/remotes/acme/batch.git\n"
    )
    targets = read_list(listing, HOST)
    assert [t.name for t in targets] == ["acme/api", "acme/web", "acme/tool", "acme/batch"]
    assert targets[0].url == f"{HOST}/acme/api.git"
    assert targets[1].url == "https://git.example.com/acme/web.git"  # credentials taken out
    assert targets[1].credentials is not None and targets[1].credentials.password == "s3cret"
    assert "s3cret" not in repr(targets[1])
    assert targets[2].url == "git@github.com:acme/tool.git"
    assert targets[3].url == f"{tmp_path}/remotes/acme/batch.git"
    with pytest.raises(ConfigError, match="cannot read the repository list"):
        read_list(tmp_path / "missing.txt", HOST)
    assert parse_line("   # only a comment", HOST) is None
    token_as_user = parse_line("https://ghp_tok@git.example.com/acme/x.git", HOST)
    assert token_as_user is not None and token_as_user.url == "https://git.example.com/acme/x.git"
    assert token_as_user.credentials is not None
    assert token_as_user.credentials.username == "ghp_tok"


def test_web_url() -> None:
    assert web_url("https://api.github.com") == "https://github.com"
    assert web_url("https://ghe.example.com/api/v3/") == "https://ghe.example.com"
    assert web_url("http://127.0.0.1:8000/api/v3") == "http://127.0.0.1:8000"


def test_filters_and_listing() -> None:
    listed = [
        ListedRepository("o/api", "u1", topics=("Python",)),
        ListedRepository("o/old", "u2", archived=True, topics=("python",)),
        ListedRepository("o/legacy-web", "u3", topics=("python", "web")),
        ListedRepository("o/tool", "u4"),
    ]
    targets, archived = from_listing(listed, topics=["python"])
    assert [t.name for t in targets] == ["o/api", "o/legacy-web"] and archived == ["o/old"]
    assert [t.name for t in select(targets, exclude=["legacy-*"])] == ["o/api"]
    assert [t.name for t in select(targets, include=["o/l*"])] == ["o/legacy-web"]
    assert select(targets, include=["API"]) == targets[:1]  # case-insensitive


def test_shard_parsing() -> None:
    assert Shard.parse(" 2/8 ") == Shard(2, 8) and str(Shard(2, 8)) == "2/8"
    for bad in ("0/3", "4/3", "1", "a/b", "1/0"):
        with pytest.raises(ConfigError):
            Shard.parse(bad)


names = st.lists(
    st.from_regex(r"[a-z0-9]{1,8}/[a-z0-9._-]{1,12}", fullmatch=True), unique=True, max_size=60
)


@given(names=names, count=st.integers(min_value=1, max_value=12))
def test_shards_partition_the_fleet(names: list[str], count: int) -> None:
    targets = [Target(name, f"{HOST}/{name}.git") for name in names]
    parts = [shard(targets, Shard(index, count)) for index in range(1, count + 1)]
    seen = [target.name for part in parts for target in part]
    assert sorted(seen) == sorted(names)  # every repository exactly once
    # Stable: a repository stays in its shard when the fleet grows.
    grown = [*targets, Target("zz/new", "u")]
    for index, part in enumerate(parts, 1):
        assert set(part) <= set(shard(grown, Shard(index, count)))
