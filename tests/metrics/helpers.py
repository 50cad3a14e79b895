"""Build run records by hand (exact times and outcomes) and wait for QuestDB to show rows."""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hammurabi.core.pullstate import Checks, PullState, Review
from hammurabi.core.records import PullAction, PullRequestRecord, PullSummary
from hammurabi.core.results import FileChange, LawResult, Outcome, RuleResult, RunResult
from hammurabi.integrations.metrics.rows import FleetRuns, run_rows
from hammurabi.integrations.metrics.schema import Row, validate
from tests.questdb_server import QuestDBServer

ROOT = Path(__file__).parents[2]
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
TABLE_NAMES = (
    "hammurabi_rule_runs",
    "hammurabi_repo_health",
    "hammurabi_runs",
    "hammurabi_pull_requests",
)
U, C, S, F = Outcome.UNCHANGED, Outcome.CHANGED, Outcome.SKIPPED, Outcome.FAILED


def parse_time(value: Any) -> datetime | None:
    """Parse an ISO 8601 string (UTC if naive); None for anything else, as a report read
    back would have it."""
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def rule(
    name: str,
    outcome: Outcome,
    *,
    law: str = "law",
    at: datetime = T0,
    error: str | None = None,
    chain: Sequence[RuleResult] = (),
) -> RuleResult:
    """Return a rule result; a changed one touched one file."""
    changes = [FileChange(f"{name}.txt", "modified", "")] if outcome is C else []
    return RuleResult(
        law=law,
        rule=name,
        rule_id="line-exists",
        outcome=outcome,
        changes=changes,
        started_at=at,
        duration=0.002,
        error=error if error is not None else ("boom" if outcome is F else None),
        reason="precondition not met" if outcome is S else None,
        chain=list(chain),
    )


def law(
    name: str,
    outcomes: Iterable[Outcome],
    *,
    weight: float = 1.0,
    at: datetime = T0,
    error: str | None = None,
) -> LawResult:
    """Return a law result with one rule per outcome, a millisecond apart."""
    rules = [
        rule(f"{name}-r{i}", outcome, law=name, at=at + timedelta(milliseconds=i))
        for i, outcome in enumerate(outcomes)
    ]
    return LawResult(name, f"{name} description", rules, weight=weight, started_at=at, error=error)


def run(
    repo: str,
    laws: Sequence[LawResult],
    *,
    run_id: str = "run-1",
    at: datetime = T0,
    pull_request: dict[str, Any] | None = None,
    dry_run: bool = False,
    error: str | None = None,
) -> RunResult:
    result = RunResult(
        root=f"/tmp/{repo.replace('/', '_')}",
        run_id=run_id,
        version="1.0.0.test",
        dry_run=dry_run,
        repo=repo,
        laws=list(laws),
        started_at=at,
        duration=0.05,
        error=error,
    )
    if pull_request is not None:
        result.pull_request = pull_record(pull_request)
    return result


def pull_record(data: dict[str, Any]) -> PullRequestRecord:
    """A pull-request record from the report's JSON keys (values of the wrong type are
    left out, as a report read back would have them)."""
    number = data.get("number")
    number = number if isinstance(number, int) and not isinstance(number, bool) else None
    created = parse_time(data.get("created_at"))
    url, state = data.get("url"), data.get("state")
    summary = PullSummary(number, url, state, created, data.get("title"), bool(data.get("draft")))
    read = None
    if "checks" in data:
        read = PullState(
            number or 0,
            url or "",
            state or "open",
            review=Review(data.get("review", "none")),
            checks=Checks(data["checks"]),
            failing=tuple(data.get("failing", ())),
            mergeable=data.get("mergeable"),
            mergeable_state=data.get("mergeable_state"),
            created_at=created,
        )
    action = PullAction(data["action"]) if data.get("action") else None
    return PullRequestRecord("github", "o/r", action, pull=summary, read_state=read)


def fleet_history(
    repos: dict[str, list[float]], *, start: datetime, step: timedelta = timedelta(days=1)
) -> list[RunResult]:
    """Return one run per repo and day; a day's value is the share of 10 rules compliant.

    Law ``base`` (weight 2) holds 5 rules and law ``extra`` (weight 1) 5; the compliant
    ones come first, so ``0.5`` means ``base`` all right and ``extra`` all changed.
    """
    results = []
    days = max(len(v) for v in repos.values())
    for day in range(days):
        at = start + day * step
        run_id = f"day-{day}"
        for index, (repo, shares) in enumerate(sorted(repos.items())):
            if day >= len(shares):
                continue
            good = round(shares[day] * 10)
            outcomes = [U] * good + [C] * (10 - good)
            when = at + timedelta(seconds=index)
            pr = None
            if good < 10:
                pr = {
                    "number": 100 + index,
                    "url": f"https://github.example/{repo}/pull/{100 + index}",
                    "state": "open",
                    "action": "updated",
                    "created_at": (start - timedelta(days=2)).isoformat(),
                }
            results.append(
                run(
                    repo,
                    [
                        law("base", outcomes[:5], weight=2.0, at=when),
                        law("extra", outcomes[5:], weight=1.0, at=when + timedelta(seconds=0.5)),
                    ],
                    run_id=run_id,
                    at=when,
                    pull_request=pr,
                )
            )
    return results


def rows_of(results: Iterable[RunResult]) -> list[Row]:
    """Return the validated rows of ``results``, as the plugin builds them."""
    fleet = FleetRuns()
    return [validate(row) for result in results for row in run_rows(result, fleet)]


def wait_tables(server: QuestDBServer, tables: Iterable[str] = TABLE_NAMES) -> None:
    """Wait until everything written to ``tables`` is visible to queries."""
    existing = set(server.tables())
    for table in tables:
        if table in existing:
            server.wait_for_wal(table)


def count(server: QuestDBServer, table: str, where: str = "") -> int:
    sql = f"SELECT count() FROM {table}" + (f" WHERE {where}" if where else "")
    return int(server.query(sql)["dataset"][0][0])


@contextlib.contextmanager
def answering(status: int, body: bytes) -> Iterator[str]:
    """Serve a stand-in in front of QuestDB that gives every request ``status`` and ``body``;
    yield its URL."""

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def frozen(server: QuestDBServer) -> Iterator[None]:
    """Freeze the server (SIGSTOP): it accepts connections and answers nothing, until thawed."""
    assert server._proc is not None
    pid = server._proc.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + 30  # stopped once every thread is (a busy machine)
        while any(_state(task) not in "Tt" for task in Path(f"/proc/{pid}/task").iterdir()):
            assert time.monotonic() < deadline, "QuestDB did not stop"
            time.sleep(0.01)
        yield
    finally:
        os.kill(server._proc.pid, signal.SIGCONT)


def _state(task: Path) -> str:
    """The state letter of a thread (``T``: stopped), ``T`` for one that ended."""
    with contextlib.suppress(OSError):
        return (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
    return "T"
