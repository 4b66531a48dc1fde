"""Any query string gets a 200, the provider's 404 (unknown account) or a 422 naming a parameter; never a 500."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st

from fin_infra.banking import add_banking
from tests.query.fakes import ListProvider, txn

PARAMS = ["start_date", "end_date", "min_amount", "max_amount", "merchant_name", "category", "account_id",
          "exclude_pending", "sort_by", "sort_order", "page", "page_size"]
PLAUSIBLE = ["2025-01-01", "2025-01-31", "10", "-1", "0", "1e3", "nan", "true", "amount", "desc", "1", "200", "201",
             "", "acc_1", "Food & Drink", "' OR 1=1 --", "☕", "0001-01-01", "9999-12-31"]

DATA = [txn(f"t{i}", f"-{i}.50", f"2025-01-{i + 1:02d}", category="Food & Drink", merchant="Café") for i in range(20)]
app = FastAPI()
add_banking(app, provider=ListProvider({"tok": DATA}), cache_ttl=60)
values = st.sampled_from(PLAUSIBLE) | st.text(max_size=20)


async def call(params: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.get("/banking/transactions", params=params, headers={"Authorization": "Bearer tok"})


@settings(max_examples=200, deadline=None)
@given(params=st.dictionaries(st.sampled_from(PARAMS), values, max_size=6))
def test_no_query_string_is_a_500(params: dict[str, str]) -> None:
    r = asyncio.run(call(params))
    assert r.status_code in (200, 404, 422), (params, r.status_code, r.text[:200])
    body = r.json()
    if r.status_code == 422:
        assert body["errors"] and all(e["field"] in PARAMS for e in body["errors"])
    elif r.status_code == 200:
        assert body["count"] == len(body["transactions"]) <= body["page_size"] and body["total"] >= body["count"]
    else:
        assert body["code"] == "account_not_found"
