"""The spool on its own: durable appends, refused rows kept, compaction (no server)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hammurabi.integrations.metrics.config import MetricsConfig
from hammurabi.integrations.metrics.questdb import QuestDB
from hammurabi.integrations.metrics.schema import Row
from hammurabi.integrations.metrics.spool import Spool
from tests.metrics.helpers import C, U, answering, law, rows_of, run


def test_appended_rows_survive_a_killed_process(spool_path: Path) -> None:
    # A child appends, then dies without any cleanup (os._exit): the rows are there.
    code = textwrap.dedent(
        f"""
        import os
        from hammurabi.integrations.metrics.spool import Spool
        from tests.metrics.helpers import C, U, answering, law, rows_of, run
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
    # A replay validates the rows it reads: an invalid one is moved aside (the server is
    # not even asked), and a retry queues it again (still invalid: it goes aside again).
    closed = QuestDB(MetricsConfig(url="http://127.0.0.1:9"))
    with Spool(spool_path) as spool:
        spool.append([Row("hammurabi_rule_runs", 1, {"run_id": "r"})])
        assert spool.pending() == []  # what a replay would send
        report = spool.ship(closed, lock_timeout=5)
        assert (len(report.refused), report.remaining) == (1, 0)
        state = spool.state()
        assert (state.pending, state.rejected) == (0, 1)
        (item,) = spool.rejected()
        assert (item.table, item.source) == ("hammurabi_rule_runs", "client")
        assert "refused by validation" in item.reason and "outside 2000..2200" in item.reason
        assert spool.retry_rejected() == 1
        assert spool.state().pending == 1
        spool.ship(closed, lock_timeout=5)
        assert (spool.state().pending, spool.state().rejected) == (0, 1)  # still invalid


def test_two_handles_append_in_order(spool_path: Path) -> None:
    rows = rows_of([run("org/a", [law("A", [U] * 3)], run_id=f"r{i}") for i in range(4)])
    with Spool(spool_path) as one, Spool(spool_path) as two:
        for index, row in enumerate(rows):
            (one if index % 2 else two).append([row])
        assert one.pending(1000) == rows


def test_a_spool_of_the_first_format_is_read(spool_path: Path) -> None:
    # The JSON queue's layout is today's: its rows are read as they are, an unreadable one
    # is kept aside with the reason as a replay meets it.
    rows = rows_of([run("org/a", [law("A", [U, C])]), run("org/b", [law("B", [C])])])
    db = sqlite3.connect(spool_path)
    db.executescript(
        "CREATE TABLE pending (id INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL,"
        " row TEXT NOT NULL, added REAL NOT NULL);"
    )
    db.executemany(
        "INSERT INTO pending (tbl, row, added) VALUES (?, ?, 1.0)",
        [(row.table, row.to_json()) for row in rows[:3]]
        + [("hammurabi_runs", "{not json")]
        + [(row.table, row.to_json()) for row in rows[3:]],
    )
    db.commit()
    db.close()
    with Spool(spool_path) as spool:
        assert spool.pending(1000) == rows  # same rows, same order
        report = spool.ship(QuestDB(MetricsConfig(url="http://127.0.0.1:9")), lock_timeout=5)
        assert report.error and report.remaining == len(rows)
        (bad,) = spool.rejected()
        assert (bad.source, bad.row) == ("spool", "{not json")
        assert "unreadable spool entry" in bad.reason


def test_a_refusal_that_names_no_row_keeps_every_row(spool_path: Path) -> None:
    # Something in front of QuestDB answers 400 without naming a line: the request's fault,
    # not a row's, so nothing is refused and every row stays pending.
    refusal = b'{"code": "invalid", "message": "bad request"}'
    with answering(400, refusal) as url, Spool(spool_path) as spool:
        spool.append(rows_of([run("o/r", [law("A", [U])])]))
        report = spool.ship(QuestDB(MetricsConfig(url=url)), lock_timeout=5)
    assert (report.sent, report.refused, report.remaining) == (0, [], 3)
    assert "did not take the rows (400)" in str(report.error)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Connection.setconfig is Python 3.12+")
def test_closing_the_spool_leaves_its_write_ahead_log(spool_path: Path) -> None:
    # No checkpoint (two fsyncs) as a run ends: the WAL stays and the next handle reads it.
    rows = rows_of([run("org/a", [law("A", [U, C])])])
    with Spool(spool_path) as spool:
        spool.append(rows, durable=False)
    assert Path(f"{spool_path}-wal").stat().st_size > 0
    with Spool(spool_path) as spool:
        assert spool.pending() == rows


def test_a_replay_stops_after_the_most_refused_rows_in_all_its_batches(spool_path: Path) -> None:
    # Every row refused (say, a table made by hand with other types): the replay gives up
    # after max_rejected of them, however small its batches; the rest stay pending.
    refusal = b'{"code": "invalid", "message": "cast error", "line": 1}'
    with answering(400, refusal) as url, Spool(spool_path) as spool:
        spool.append(rows_of([run("o/r", [law("A", [U, C])])]))
        report = spool.ship(QuestDB(MetricsConfig(url=url)), batch=1, max_rejected=2)
        assert len(report.refused) == 3 and "stopped after 2 refused rows" in str(report.error)
        assert report.remaining == len(spool.pending(1000)) > 0
