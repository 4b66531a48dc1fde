"""Fixtures of the jobs tests: a PostgreSQL schema of their own holding fin-infra's tables and the queue's
(applied by the same upgrade as ``db upgrade``), the Plaid emulator, and worker processes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fin_infra.storage.database import Database
from fin_infra.testing.plaid import PlaidEmulator, serve_plaid_emulator
from tests.jobs.workers import Workers
from tests.storage.databases import drop_schema, unique_schema


async def _upgrade(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.aclose()


@pytest.fixture
def schema(postgres_url: str) -> Iterator[str]:
    name = unique_schema()
    yield name
    drop_schema(postgres_url, name)


@pytest.fixture
def jobs_url(postgres_url: str, schema: str) -> str:
    """fin-infra's database and the job queue, upgraded, in a schema of this test's own."""
    url = f"{postgres_url}?schema={schema}"
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _upgrade(url)).result()
    return url


@pytest.fixture
def plaid() -> Iterator[PlaidEmulator]:
    with serve_plaid_emulator() as emulator:
        yield emulator


@pytest.fixture
def workers(jobs_url: str, plaid: PlaidEmulator, tmp_path: Path) -> Iterator[Workers]:
    group = Workers(jobs_url, tmp_path, plaid.env())
    yield group
    group.stop()
