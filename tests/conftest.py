"""Shared fixtures: a fresh app per test, driven through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN

AUTH = {"Authorization": f"Bearer {DEMO_ACCESS_TOKEN}"}
POSTGRES_URL = os.environ.get("FIN_INFRA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def _probe(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=3)
    await conn.close()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test PostgreSQL URL, or a skip saying why it isn't reachable."""
    try:
        # in a thread of its own: this fixture may first be asked for from inside a running loop
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _probe(POSTGRES_URL)).result()
    except Exception as exc:  # any failure to connect means: no server for these tests
        pytest.skip(
            f"PostgreSQL not reachable at {POSTGRES_URL} ({type(exc).__name__}: {exc}); "
            "run scripts/ensure-services.sh or set FIN_INFRA_TEST_POSTGRES_URL"
        )
    return POSTGRES_URL


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()
    add_banking(app, provider="sandbox")
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c
