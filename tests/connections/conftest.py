"""Connections-mode fixtures: a database per backend (SQLite file; PostgreSQL in a schema of its own),
encryption keys in the environment, users named by an ``X-User`` header (the app's own auth), and
apps on the sandbox or the real Plaid and Teller emulators over HTTP."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Header

from fin_infra.banking import add_banking
from fin_infra.crypto import ENCRYPTION_KEYS_ENV, new_key
from fin_infra.testing.plaid import serve_plaid_emulator
from fin_infra.testing.teller import serve_teller_emulator
from tests.emulator_fixtures import fresh, served
from tests.storage.databases import drop_schema, unique_schema

KEY = new_key("k1")


def current_user(x_user: Annotated[str | None, Header()] = None) -> str | None:
    """The app's auth, simplified: the user id is the X-User header."""
    return x_user


def as_user(user: str) -> dict[str, str]:
    return {"X-User": user}


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}"
        return
    base = str(request.getfixturevalue("postgres_url"))
    schema = unique_schema()
    yield f"{base}?schema={schema}"
    drop_schema(base, schema)


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(ENCRYPTION_KEYS_ENV, KEY)
    return KEY


plaid_server = served(serve_plaid_emulator)
plaid = fresh("plaid_server")
teller_server = served(serve_teller_emulator)
teller = fresh("teller_server", reset_after=True)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started (lifespan: migrations) and a client for it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def make_app(db_url: str, providers: list[Any], **options: Any) -> FastAPI:
    app = FastAPI()
    add_banking(app, providers=providers, connections=db_url, current_user=current_user, **options)
    return app


@pytest.fixture
def make(db_url: str) -> Callable[..., FastAPI]:
    def build(providers: list[Any] | None = None, **options: Any) -> FastAPI:
        return make_app(db_url, providers or ["sandbox"], **options)

    return build


class Captured(logging.Handler):
    """Every log record of every logger, formatted (DEBUG and up)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {text}")


@pytest.fixture
def all_logs() -> Iterator[Captured]:
    root = logging.getLogger()
    handler = Captured()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)
