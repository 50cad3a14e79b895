"""The courier: a helper process that sends a run's spooled rows to QuestDB.

Run as ``python -m hammurabi.metrics.courier`` by the metrics plugin, never by hand.

A run (``hammurabi enforce``) starts one as it begins. The courier imports the ``questdb``
client (which loads numpy), checks the tables and connects while the rules run, on a CPU of
its own and without taking the run's interpreter lock: done in a thread of the run, the
import alone slowed a run's git work by about as much as it took. When the run has spooled
its rows, the parent's shipper thread asks the courier to replay the spool and reads back
what it did.

Protocol, one JSON object per line: the parent writes the configuration first (on stdin,
so the conf string, which may hold a token, is never in a command line), then
``{"ship": true}`` for each replay; the courier answers each with a :class:`ShipReport`.
End of input ends the courier; one whose parent is gone finishes the replay it is doing
(the spool's lock keeps replays one at a time) and exits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from hammurabi.metrics.config import MetricsConfig, UnavailableError
from hammurabi.metrics.spool import RejectedRow, ShipReport, Spool

log = logging.getLogger(__name__)


class CourierGone(Exception):
    """The courier process is not there (any more) to answer."""


#: The ``questdb`` client loads numpy, whose OpenBLAS starts a thread per CPU that spins
#: for a while: about 75 ms of CPU taken from the run on a two-CPU machine. The courier does
#: no arithmetic, so one thread each.
_ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _environment() -> dict[str, str]:
    """The courier's environment: the run's, with one math thread and no warnings printed."""
    return {**os.environ, "PYTHONWARNINGS": "ignore", **dict.fromkeys(_ONE_THREAD, "1")}


class Courier:
    """The parent's handle on a courier process; :meth:`ship` blocks (call it from a thread)."""

    def __init__(self, config: MetricsConfig) -> None:
        self.config = config
        self._proc: subprocess.Popen[str] = subprocess.Popen(
            [sys.executable, "-m", "hammurabi.metrics.courier"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            env=_environment(),
        )
        self._send({**dataclasses.asdict(config), "spool": str(config.spool)})

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _send(self, message: dict[str, Any]) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(message) + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError) as exc:
            raise CourierGone(f"the metrics courier is gone: {exc}") from exc

    def ship(self) -> ShipReport:
        """Have the courier replay the spool; return its report (CourierGone if it died)."""
        self._send({"ship": True})
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise CourierGone(f"the metrics courier exited ({self._proc.poll()})")
        try:
            data = json.loads(line)
            rejected = [RejectedRow(**item) for item in data.pop("rejected")]
            return ShipReport(**data, rejected=rejected)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise CourierGone(f"the metrics courier answered {line[:200]!r}") from exc

    def close(self) -> None:
        """End the courier's input; it exits once its current replay is done."""
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()


def serve(stdin: IO[str], stdout: IO[str]) -> None:
    """The courier's loop: read the configuration, get ready, answer each ``ship``."""
    line = stdin.readline()
    if not line:
        return
    first = json.loads(line)
    config = MetricsConfig(**{**first, "spool": Path(first["spool"])})
    from hammurabi.metrics.link import Link

    link = Link(config)
    try:
        link.connect()
    except UnavailableError as exc:
        log.debug("metrics courier: not ready yet: %s", exc)
    with Spool(config.spool) as spool:
        for line in stdin:
            if not json.loads(line).get("ship"):
                continue
            try:
                report = spool.ship(link.connect(), lock_timeout=5.0)
            except UnavailableError as exc:
                report = ShipReport(remaining=spool.state().pending, error=str(exc))
            except Exception as exc:  # the parent reports it; the courier answers on
                report = ShipReport(error=f"{type(exc).__name__}: {exc}")
            stdout.write(json.dumps(dataclasses.asdict(report)) + "\n")
            stdout.flush()
    link.close()


if __name__ == "__main__":
    serve(sys.stdin, sys.stdout)
