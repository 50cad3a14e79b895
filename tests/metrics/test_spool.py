"""The spool on its own: durable appends, refused rows kept, compaction (no server)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hammurabi.integrations.metrics.spool import Spool
from tests.metrics.helpers import C, U, law, rows_of, run


def test_appended_rows_survive_a_killed_process(spool_path: Path) -> None:
    # A child appends, then dies without any cleanup (os._exit): the rows are there.
    code = textwrap.dedent(
        f"""
        import os
        from hammurabi.integrations.metrics.spool import Spool
        from tests.metrics.helpers import C, U, law, rows_of, run
        spool = Spool({str(spool_path)!r})
        spool.append(rows_of([run("org/a", [law("A", [U, C])])]))
        os._exit(9)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2], check=False)
    assert proc.returncode == 9
    with Spool(spool_path) as spool:
        rows = spool.pending()
    assert [row.table for row in rows] == [
        "hammurabi_rule_runs",
        "hammurabi_rule_runs",
        "hammurabi_repo_health",
        "hammurabi_runs",
    ]
    assert rows == rows_of([run("org/a", [law("A", [U, C])])])


def test_refused_rows_are_kept_with_their_reason(spool_path: Path) -> None:
    with Spool(spool_path) as spool:
        spool.reject([("hammurabi_rule_runs", '{"ts": 1}', "bad ts")], "client")
        state = spool.state()
        assert (state.pending, state.rejected) == (0, 1)
        (item,) = spool.rejected()
        assert (item.table, item.reason, item.source) == ("hammurabi_rule_runs", "bad ts", "client")
        assert spool.retry_rejected() == (0, 1)  # still invalid: stays aside
        assert spool.purge_rejected() == 1


def test_two_handles_append_in_order(spool_path: Path) -> None:
    rows = rows_of([run("org/a", [law("A", [U] * 3)], run_id=f"r{i}") for i in range(4)])
    with Spool(spool_path) as one, Spool(spool_path) as two:
        for index, row in enumerate(rows):
            (one if index % 2 else two).append([row])
        assert one.pending(1000) == rows


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Connection.setconfig is Python 3.12+")
def test_closing_the_spool_leaves_its_write_ahead_log(spool_path: Path) -> None:
    # No checkpoint (two fsyncs) as a run ends: the WAL stays and the next handle reads it.
    rows = rows_of([run("org/a", [law("A", [U, C])])])
    with Spool(spool_path) as spool:
        spool.append(rows, durable=False)
    assert Path(f"{spool_path}-wal").stat().st_size > 0
    with Spool(spool_path) as spool:
        assert spool.pending() == rows
