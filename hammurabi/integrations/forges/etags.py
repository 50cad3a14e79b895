"""A small on-disk cache of GitHub answers by URL, for conditional requests between runs.

GitHub answers a ``GET`` carrying the ``ETag`` of its last answer in ``If-None-Match`` with
``304 Not Modified`` when nothing changed, and does not count it against the rate limit. The
state of a bot pull request rarely changes between two scheduled runs, so each run keeps the
answers it read here and the next one asks conditionally.

One SQLite file (``$XDG_CACHE_HOME/hammurabi/github-etags.sqlite3``), shared safely by the
processes of a fleet run (WAL). It holds what the API answered (pull requests, reviews,
statuses), never a credential. Entries unused for 30 days are dropped. When the file cannot be
used (a read-only home), requests are simply sent unconditionally.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Entries not used for this long are dropped when the cache is opened.
MAX_AGE_S = 30 * 86400


def default_path() -> Path:
    """``$XDG_CACHE_HOME/hammurabi/github-etags.sqlite3`` (``~/.cache`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hammurabi" / "github-etags.sqlite3"


class ETagCache:
    """Answers by key (the API URL and the credentials' kind), with their ETags."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS answers"
                " (key TEXT PRIMARY KEY, etag TEXT NOT NULL, body TEXT NOT NULL, used REAL)"
            )
            db.execute("DELETE FROM answers WHERE used < ?", (time.time() - MAX_AGE_S,))
            self._db = db
        except (OSError, sqlite3.Error) as exc:
            log.info("no conditional requests: cannot use %s: %s", self.path, exc)

    def get(self, key: str) -> tuple[str, Any] | None:
        """Return the ETag and the answer kept for ``key``, if any."""
        if self._db is None:
            return None
        try:
            row = self._db.execute(
                "SELECT etag, body FROM answers WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                return None
            self._db.execute("UPDATE answers SET used = ? WHERE key = ?", (time.time(), key))
            return row[0], json.loads(row[1])
        except (sqlite3.Error, ValueError) as exc:
            log.info("ETag cache unreadable: %s", exc)
            return None

    def put(self, key: str, etag: str, body: Any) -> None:
        """Keep an answer and its ETag."""
        if self._db is None:
            return
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO answers (key, etag, body, used) VALUES (?, ?, ?, ?)",
                (key, etag, json.dumps(body), time.time()),
            )
        except sqlite3.Error as exc:
            log.info("ETag cache not written: %s", exc)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
