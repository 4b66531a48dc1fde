"""GET /banking/balance-history and add_banking(track_balances=True), on every backend, over ASGITransport."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.history import DATABASE_URL_ENV, aget_balance_history, atrack_balances
from fin_infra.banking.history.stores import BalanceStore, MemoryBalanceStore
from fin_infra.banking.history.stores.sql import SQLBalanceStore
from fin_infra.models import BalanceSnapshot
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN, SandboxProvider

AUTH = {"Authorization": f"Bearer {DEMO_ACCESS_TOKEN}"}
D = dt.date


def decimals(response: httpx.Response) -> dict[str, object]:
    body = json.loads(response.text, parse_float=Decimal)
    assert isinstance(body, dict)
    return body


async def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def account_ids() -> list[str]:
    return [a.id for a in await SandboxProvider().get_accounts(DEMO_ACCESS_TOKEN)]


@pytest.fixture
async def tracked(store: BalanceStore) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose history lives in ``store`` and records every balance fetched."""
    app = FastAPI()
    add_banking(app, provider="sandbox", store=store, track_balances=True)
    async with await client_for(app) as client:
        yield client


async def test_history_with_summary(tracked: httpx.AsyncClient, store: BalanceStore, account_ids: list[str]) -> None:
    mine = account_ids[0]
    values = ("1000.00", "950.55", "1200.10")
    await atrack_balances(
        [{"account_id": mine, "balance": v, "date": D(2025, 1, i + 1)} for i, v in enumerate(values)], store=store
    )
    r = await tracked.get(
        "/banking/balance-history",
        params={"account_id": mine, "start_date": "2025-01-01", "end_date": "2025-01-31"},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    body = decimals(r)
    assert body["account_id"] == mine and body["count"] == 3
    assert (body["start_date"], body["end_date"]) == ("2025-01-01", "2025-01-31")
    assert body["history"] == [
        {"date": f"2025-01-0{i + 1}", "balance": Decimal(v), "currency": "USD"} for i, v in enumerate(values)
    ]
    assert '"balance":950.55' in r.text  # an exact JSON number, not a string, not 950.5499999
    assert body["summary"] == {
        "count": 3,
        "currency": "USD",
        "first_date": "2025-01-01",
        "last_date": "2025-01-03",
        "opening_balance": Decimal("1000.00"),
        "closing_balance": Decimal("1200.10"),
        "average": Decimal("1050.22"),
        "minimum": Decimal("950.55"),
        "maximum": Decimal("1200.10"),
        "change_amount": Decimal("200.10"),
        "change_percent": Decimal("20.01"),
        "trend": "increasing",
    }


async def test_start_after_end_is_422(tracked: httpx.AsyncClient, account_ids: list[str]) -> None:
    r = await tracked.get(
        "/banking/balance-history",
        params={"account_id": account_ids[0], "start_date": "2025-02-01", "end_date": "2025-01-01"},
        headers=AUTH,
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"] == [{"field": "start_date", "message": "must not be after end_date"}]


async def test_someone_elses_account_is_404_even_with_history(tracked: httpx.AsyncClient, store: BalanceStore) -> None:
    await atrack_balances([{"account_id": "acc_other_user", "balance": 5, "date": D(2025, 1, 1)}], store=store)
    r = await tracked.get("/banking/balance-history", params={"account_id": "acc_other_user"}, headers=AUTH)
    assert r.status_code == 404 and r.json()["code"] == "account_not_found"
    assert "5" not in r.json()["detail"]


async def test_ten_years_and_empty_history(tracked: httpx.AsyncClient, account_ids: list[str]) -> None:
    r = await tracked.get(
        "/banking/balance-history",
        params={"account_id": account_ids[1], "start_date": "2015-01-01", "end_date": "2025-01-01"},
        headers=AUTH,
    )
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 0 and body["history"] == [] and body["summary"]["trend"] is None


async def test_fetching_balances_records_them(tracked: httpx.AsyncClient, store: BalanceStore) -> None:
    balances = (await tracked.get("/banking/balances", headers=AUTH)).json()["balances"]
    today = D.today()
    for b in balances:
        got = await aget_balance_history(b["account_id"], today, today, store=store)
        assert [(s.balance, s.currency) for s in got] == [(Decimal(str(b["current"])), b["currency"])]
    again = await tracked.get("/banking/balances", headers=AUTH)  # the same day again: still one row each
    assert again.status_code == 200
    r = await tracked.get("/banking/balance-history", params={"account_id": balances[0]["account_id"]}, headers=AUTH)
    assert r.json()["count"] == 1 and r.json()["history"][0]["date"] == today.isoformat()


async def test_fetching_accounts_records_them(tracked: httpx.AsyncClient, store: BalanceStore) -> None:
    accounts = (await tracked.get("/banking/accounts", headers=AUTH)).json()["accounts"]
    today = D.today()
    got = await aget_balance_history(accounts[2]["id"], today, today, store=store)
    assert [s.balance for s in got] == [Decimal(str(accounts[2]["balance"]))]


async def test_without_track_balances_nothing_is_recorded(store: BalanceStore, account_ids: list[str]) -> None:
    app = FastAPI()
    add_banking(app, provider="sandbox", store=store)
    async with await client_for(app) as client:
        assert (await client.get("/banking/balances", headers=AUTH)).status_code == 200
    assert await aget_balance_history(account_ids[0], store=store) == []


class BrokenStore:
    """A store whose database is down (an edge case a real server can't easily produce on demand)."""

    async def create_schema(self) -> None: ...

    async def upsert_many(self, snapshots: Sequence[BalanceSnapshot]) -> int:
        raise ConnectionRefusedError("connection refused\n[parameters: balance=4242.42]")

    async def range(self, account_id: str, start: dt.date, end: dt.date) -> list[BalanceSnapshot]:
        raise ConnectionRefusedError(f"connection refused\n[parameters: account_id={account_id}]")

    async def delete_before(self, cutoff: dt.date) -> int:
        return 0

    async def aclose(self) -> None: ...


async def test_a_history_outage_still_serves_balances(caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()
    add_banking(app, provider="sandbox", store=BrokenStore(), track_balances=True)
    with caplog.at_level(logging.ERROR, logger="fin_infra.banking"):
        async with await client_for(app) as client:
            r = await client.get("/banking/balances", headers=AUTH)
    assert r.status_code == 200 and r.json()["count"] == 3
    assert "could not record balance history" in caplog.text and "ConnectionRefusedError" in caplog.text
    assert "4242.42" not in caplog.text and DEMO_ACCESS_TOKEN not in caplog.text


async def test_a_history_outage_is_a_503_problem(account_ids: list[str], caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()
    add_banking(app, provider="sandbox", store=BrokenStore())
    with caplog.at_level(logging.ERROR, logger="fin_infra.banking"):
        async with await client_for(app) as client:
            r = await client.get("/banking/balance-history", params={"account_id": account_ids[0]}, headers=AUTH)
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "history_unavailable"
    assert "could not read balance history" in caplog.text and account_ids[0] not in caplog.text


async def test_database_url_creates_the_schema_at_startup(tmp_path: Path, account_ids: list[str]) -> None:
    db = tmp_path / "app.db"
    app = FastAPI()
    add_banking(app, provider="sandbox", database_url=f"sqlite:///{db}", track_balances=True)
    store = app.state.balance_store
    assert isinstance(store, SQLBalanceStore)
    async with app.router.lifespan_context(app):
        tables = sqlite3.connect(db).execute("select name from sqlite_master where type='table'").fetchall()
        # the migrations ran: balance history, with fin-infra's other tables and its migration version
        assert ("balance_history",) in tables and ("fin_infra_alembic_version",) in tables
        async with await client_for(app) as client:
            assert (await client.get("/banking/balances", headers=AUTH)).status_code == 200
    assert store.database._engines == {}  # closed at shutdown
    rows = sqlite3.connect(db).execute("select account_id, balance from balance_history").fetchall()
    assert sorted(r[0] for r in rows) == sorted(account_ids)
    assert all(isinstance(r[1], str) for r in rows)  # stored as exact text, never a float


async def test_environment_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fin_infra.banking import history

    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'env.db'}")
    history.set_balance_store(None)
    app = FastAPI()
    add_banking(app, provider="sandbox")
    assert isinstance(app.state.balance_store, SQLBalanceStore)
    assert app.state.balance_store is history.get_balance_store()  # the module functions see the same history
    await app.state.balance_store.aclose()


def test_store_and_database_url_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        add_banking(FastAPI(), provider="sandbox", store=MemoryBalanceStore(), database_url="sqlite:///x.db")


async def test_openapi_documents_the_summary() -> None:
    app = FastAPI()
    add_banking(app, provider="sandbox")
    async with await client_for(app) as client:
        schema = (await client.get("/banking/openapi.json")).json()
    summary = schema["components"]["schemas"]["BalanceSummary"]["properties"]
    assert {"trend", "average", "minimum", "maximum", "change_amount", "change_percent"} <= set(summary)
