"""Balance-history fixtures: a store per backend (memory, SQLite file, PostgreSQL), each on a fresh table.

PostgreSQL is the real server at ``FIN_INFRA_TEST_POSTGRES_URL`` (default
postgresql://postgres@127.0.0.1:5432/test, started by scripts/ensure-services.sh); tests needing it
skip with the reason when it can't be reached. Table names carry the pid and a random part, so
parallel runs never share a table.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from fin_infra.banking import history
from fin_infra.banking.history.stores import BalanceStore, MemoryBalanceStore
from fin_infra.banking.history.stores.sql import SQLBalanceStore
from tests.conftest import POSTGRES_URL  # noqa: F401  (kept importable from here)

BACKENDS = ("memory", "sqlite", "postgres")


def unique_table() -> str:
    return f"bh_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"


def url_for(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A database URL for ``backend`` (``memory://`` for the memory store)."""
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def table() -> str:
    return unique_table()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    return url_for(backend, tmp_path, request)


@pytest.fixture
async def store(database_url: str, table: str) -> AsyncIterator[BalanceStore]:
    """A store of the parametrised backend on its own table, dropped afterwards."""
    if database_url == "memory://":
        yield MemoryBalanceStore()
        return
    sql = SQLBalanceStore(database_url, table_name=table)
    try:
        yield sql
    finally:
        await sql.drop_schema()
        await sql.aclose()


@pytest.fixture(autouse=True)
def _module_default_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with the in-memory default store and no FIN_INFRA_DATABASE_URL."""
    monkeypatch.delenv(history.DATABASE_URL_ENV, raising=False)
    previous = history.set_balance_store(MemoryBalanceStore())
    yield
    history.set_balance_store(previous)
