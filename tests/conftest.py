"""Shared fixtures: a fresh app per test, driven through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN

AUTH = {"Authorization": f"Bearer {DEMO_ACCESS_TOKEN}"}


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()
    add_banking(app, provider="sandbox")
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c
