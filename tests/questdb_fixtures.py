"""Pytest fixtures for the real QuestDB server.

``questdb_server`` runs one server per test session; ``questdb`` hands it to a test with no user
tables left over. A QuestDB that cannot be installed or started makes the tests error, never skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.questdb_server import QuestDBServer, install


@pytest.fixture(scope="session")
def questdb_server() -> Iterator[QuestDBServer]:
    """Install QuestDB if needed, start it for the session, and stop it at the end."""
    install()
    server = QuestDBServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def questdb(questdb_server: QuestDBServer) -> QuestDBServer:
    """Return the session's server, running and with every user table dropped."""
    if not questdb_server.running:  # a test that stopped it may have failed before restarting
        questdb_server.start()
    questdb_server.drop_all_tables()
    return questdb_server
