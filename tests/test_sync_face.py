"""The synchronous calls: plain scripts, inside a running event loop, and from many threads at once."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI

from fin_infra.banking import easy_banking
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN


def test_documented_sync_calls() -> None:
    banking = easy_banking(provider="sandbox")
    accounts = banking.accounts(access_token=DEMO_ACCESS_TOKEN)
    txns = banking.transactions(access_token=DEMO_ACCESS_TOKEN, start_date="2025-01-01", end_date="2025-01-31")
    balances = banking.balances(access_token=DEMO_ACCESS_TOKEN)
    identity = banking.identity(access_token=DEMO_ACCESS_TOKEN)
    assert len(accounts) == 3 and txns and len(balances) == 3
    assert {b.account_id for b in balances} == {a.id for a in accounts}
    owner = identity.owners[0]
    assert owner.name and owner.email and owner.phone and owner.address


async def test_sync_call_inside_an_async_route() -> None:
    import httpx

    banking = easy_banking(provider="sandbox")
    app = FastAPI()

    @app.get("/accounts")
    async def accounts(access_token: str) -> dict[str, int]:
        return {"count": len(banking.accounts(access_token=access_token))}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/accounts", params={"access_token": DEMO_ACCESS_TOKEN})
    assert r.json() == {"count": 3}


def test_many_threads_at_once() -> None:
    banking = easy_banking(provider="sandbox")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: len(banking.accounts(access_token=DEMO_ACCESS_TOKEN)), range(32)))
    assert results == [3] * 32


def test_async_twins_agree_with_sync() -> None:
    banking = easy_banking(provider="sandbox")

    async def both() -> tuple[int, int]:
        public = await banking.create_sandbox_public_token()
        exchanged = await banking.exchange_public_token(public)
        link = await banking.create_link_token(user_id="user_123")
        assert link.link_token
        a = await banking.get_accounts(exchanged.access_token)
        return len(a), len(banking.accounts(access_token=exchanged.access_token))

    assert asyncio.run(both()) == (3, 3)
