"""Benchmark: GET /banking/transactions over 100,000 transactions (two years), against a plain reference.

    .venv/bin/python -m bench.transactions_query

Both apps are driven the same way (httpx.AsyncClient over ASGITransport) with the same parameters
model; the reference route filters, sorts and slices the model objects of a range it already holds in
memory on every request (the favourable case for it: no refetch). Figures are medians, in ms:

- cold: first request for a range (provider fetch and model building included) — new token each time;
- next page: pages 2.. of one query (target: under 5 ms);
- new filter: a filter/sort combination not asked before, over the fetched range (target: under 25 ms
  and at least 3x faster than the reference).

Every response is checked against the reference's, so the speed is not bought with wrong pages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import statistics
import sys
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Query
from starlette.requests import Request
from starlette.responses import Response

from fin_infra._json import dumps
from fin_infra.banking import add_banking
from fin_infra.banking.query import (
    MemoryTransactionCache,
    TransactionQueryParams,
    filter_transactions,
    paginate,
    sort_transactions,
)
from fin_infra.banking.query.paging import total_pages
from fin_infra.models import Balance, BankAccount, Identity, LinkToken, TokenExchange, Transaction
from fin_infra.providers.base import BankingProvider, DateLike
from fin_infra.providers.dates import date_range

N = 100_000
TODAY = dt.date(2026, 1, 31)
START = TODAY - dt.timedelta(days=729)
RANGE = {"start_date": START.isoformat(), "end_date": TODAY.isoformat()}
MERCHANTS = [
    ("Starbucks", "Food & Drink", "Coffee"), ("Blue Bottle Coffee", "Food & Drink", "Coffee"),
    ("Chipotle", "Food & Drink", "Restaurants"), ("Sweetgreen", "Food & Drink", "Restaurants"),
    ("DoorDash", "Food & Drink", "Food Delivery"), ("Whole Foods Market", "Groceries", "Supermarkets"),
    ("Trader Joe's", "Groceries", "Supermarkets"), ("Safeway", "Groceries", "Supermarkets"),
    ("Shell", "Transportation", "Gas"), ("Chevron", "Transportation", "Gas"), ("Uber", "Transportation", "Rideshare"),
    ("Lyft", "Transportation", "Rideshare"), ("Amazon", "Shopping", "Online Marketplaces"),
    ("Target", "Shopping", "General Merchandise"), ("Best Buy", "Shopping", "Electronics"),
    ("CVS Pharmacy", "Health", "Pharmacies"), ("Walgreens", "Health", "Pharmacies"),
    ("AMC Theatres", "Entertainment", "Movies"), ("Netflix", "Entertainment", "Streaming"),
    ("Spotify", "Entertainment", "Streaming"), ("Comcast", "Bills & Utilities", "Internet"),
    ("PG&E", "Bills & Utilities", "Gas & Electric"), ("Verizon", "Bills & Utilities", "Phone"),
    ("Café Müller", "Food & Drink", "Coffee"), ("Straße Bäckerei", "Food & Drink", "Bakeries"),
]
NO_MERCHANT = [("ONLINE TRANSFER TO SAVINGS", "Transfer", "Savings"), ("ACME CORP PAYROLL", "Income", "Wages"),
               ("INTEREST PAYMENT", "Income", "Interest"), ("ATM WITHDRAWAL", "Transfer", "Cash")]


def make_rows(n: int = N, seed: int = 6) -> list[dict[str, Any]]:
    """The provider's wire data: ``n`` rows over two years, as a provider's JSON would carry them."""
    rng = random.Random(seed)
    accounts = ["acc_checking", "acc_savings", "acc_card", "acc_card_2"]
    rows = []
    for i in range(n):
        day = START + dt.timedelta(days=rng.randrange(730))
        if rng.random() < 0.15:
            desc, cat, sub = rng.choice(NO_MERCHANT)
            merchant = None
            cents = rng.randint(100, 400_000) * (1 if cat == "Income" else rng.choice((1, -1)))
        else:
            merchant, cat, sub = rng.choice(MERCHANTS)
            desc = f"{merchant.upper()} #{rng.randint(100, 9999)}"
            cents = -rng.randint(99, 25_000) if rng.random() < 0.97 else rng.randint(99, 5_000)
        rows.append({
            "transaction_id": f"txn_{i:06d}_{rng.getrandbits(32):08x}", "account_id": rng.choice(accounts),
            "amount": f"{Decimal(cents) / 100:.2f}", "date": day.isoformat(), "name": desc, "merchant_name": merchant,
            "category": [cat, sub], "pending": day >= TODAY - dt.timedelta(days=1), "iso_currency_code": "USD",
        })
    return rows


class WireProvider(BankingProvider):
    """Holds wire rows and normalises them into `Transaction` models on every fetch, as a real provider does."""

    name = "bench"

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.fetches = 0

    async def get_transactions(
        self,
        access_token: str,
        start_date: DateLike = None,
        end_date: DateLike = None,
        *,
        account_id: str | None = None,
    ) -> list[Transaction]:
        self.fetches += 1
        start, end = date_range(start_date, end_date, today=TODAY)
        lo, hi = start.isoformat(), end.isoformat()
        return [Transaction.model_validate(r) for r in self.rows if lo <= r["date"] <= hi
                and (account_id is None or r["account_id"] == account_id)]

    async def get_accounts(self, access_token: str) -> list[BankAccount]:
        return []

    async def get_balances(self, access_token: str, *, account_id: str | None = None) -> list[Balance]:
        return []

    async def get_identity(self, access_token: str) -> Identity:
        return Identity(owners=[])

    async def create_link_token(self, user_id: str, *, access_token: str | None = None, **options: Any) -> LinkToken:
        raise NotImplementedError

    async def exchange_public_token(self, public_token: str | Mapping[str, Any]) -> TokenExchange:
        raise NotImplementedError


def reference_app(provider: WireProvider) -> FastAPI:
    """The plain way: hold the fetched models; filter, sort and slice them on every request."""
    app = FastAPI()
    held: dict[tuple[str, Any], list[Transaction]] = {}

    @app.get("/banking/transactions")
    async def transactions(request: Request, params: Annotated[TransactionQueryParams, Query()]) -> Response:
        q = params.to_query(today=TODAY)
        token = request.headers["authorization"]
        if (token, q.fetch_key) not in held:
            held[(token, q.fetch_key)] = await provider.get_transactions(token, q.start_date, q.end_date)
        matches = sort_transactions(filter_transactions(q, held[(token, q.fetch_key)]), q.sort_by, q.sort_order)
        page = paginate(matches, q.page, q.page_size)
        body = {"transactions": page, "count": len(page), "total": len(matches), "page": q.page,
                "page_size": q.page_size, "total_pages": total_pages(len(matches), q.page_size)}
        return Response(dumps(body), media_type="application/json")

    return app


FILTERS: list[dict[str, str]] = [
    {"min_amount": "10", "category": "Food & Drink", "sort_by": "amount"},
    {"merchant_name": "starbucks"},
    {"merchant_name": "straße", "sort_by": "merchant", "sort_order": "asc"},
    {"min_amount": "500", "sort_by": "amount", "sort_order": "desc"},
    {"category": "Groceries", "exclude_pending": "true"},
    {"max_amount": "5", "sort_by": "date", "sort_order": "asc"},
    {"min_amount": "20", "max_amount": "80", "category": "Shopping"},
    {"exclude_pending": "true", "sort_by": "merchant"},
    {"category": "Coffee", "min_amount": "4.50"},
    {"merchant_name": "payroll", "sort_by": "amount"},
    {"min_amount": "1", "max_amount": "1000", "sort_by": "merchant", "sort_order": "desc"},
    {"category": "Income"},
    {"merchant_name": "a", "min_amount": "50", "exclude_pending": "true"},
    {"category": "Transportation", "sort_by": "amount", "sort_order": "asc"},
    {"merchant_name": "uber", "max_amount": "30"},
    {"min_amount": "100", "exclude_pending": "true", "sort_by": "date"},
    {"category": "Entertainment", "sort_by": "merchant"},
    {"merchant_name": "café", "sort_by": "date", "sort_order": "asc"},
    {"max_amount": "250", "category": "Bills & Utilities"},
    {"min_amount": "0.99", "sort_by": "amount"},
]


async def timed(client: httpx.AsyncClient, params: dict[str, str], token: str) -> tuple[float, bytes]:
    begin = time.perf_counter()
    r = await client.get("/banking/transactions", params={**RANGE, **params},
                         headers={"Authorization": f"Bearer {token}"})
    elapsed = (time.perf_counter() - begin) * 1000
    if r.status_code != 200:
        raise SystemExit(f"request failed: {r.status_code} {r.text[:300]}")
    return elapsed, r.content


def same_page(ours: bytes, theirs: bytes) -> None:
    a, b = json.loads(ours, parse_float=Decimal), json.loads(theirs, parse_float=Decimal)
    keys = ("transactions", "count", "total", "page", "page_size", "total_pages")
    if any(a[k] != b[k] for k in keys):
        raise SystemExit("MISMATCH: the query layer and the reference disagree")


async def run() -> dict[str, tuple[float, float]]:
    rows = make_rows()
    ours_provider, ref_provider = WireProvider(rows), WireProvider(rows)
    app = FastAPI()
    add_banking(app, provider=ours_provider, transactions_cache=MemoryTransactionCache(ttl=600))
    ref = reference_app(ref_provider)
    out: dict[str, tuple[float, float]] = {}
    transport, ref_transport = httpx.ASGITransport(app=app), httpx.ASGITransport(app=ref)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as ours, \
            httpx.AsyncClient(transport=ref_transport, base_url="http://bench") as theirs:
        await timed(ours, {"page_size": "1"}, "warmup")  # imports, first-call costs
        cold_ours, cold_ref = [], []
        for i in range(6):
            # alternate who goes first: a full garbage collection lands on whichever allocates at the time
            if i % 2:
                t2, body2 = await timed(theirs, {"page_size": "50"}, f"cold-{i}")
                t1, body1 = await timed(ours, {"page_size": "50"}, f"cold-{i}")
            else:
                t1, body1 = await timed(ours, {"page_size": "50"}, f"cold-{i}")
                t2, body2 = await timed(theirs, {"page_size": "50"}, f"cold-{i}")
            same_page(body1, body2)
            cold_ours.append(t1)
            cold_ref.append(t2)
        out["cold (first request, fetch included)"] = (statistics.median(cold_ours), statistics.median(cold_ref))

        token = "cold-5"  # the range fetched last: still cached (the cache holds 500,000 transactions)
        query = {"min_amount": "10", "category": "Food & Drink", "sort_by": "amount", "page_size": "50"}
        await timed(ours, {**query, "page": "1"}, token)
        await timed(theirs, {**query, "page": "1"}, token)
        next_ours, next_ref = [], []
        for page in range(2, 32):
            t1, body1 = await timed(ours, {**query, "page": str(page)}, token)
            t2, body2 = await timed(theirs, {**query, "page": str(page)}, token)
            same_page(body1, body2)
            next_ours.append(t1)
            next_ref.append(t2)
        out["next page of the same query"] = (statistics.median(next_ours), statistics.median(next_ref))

        new_ours, new_ref = [], []
        for params in FILTERS:
            t1, body1 = await timed(ours, params, token)
            t2, body2 = await timed(theirs, params, token)
            same_page(body1, body2)
            new_ours.append(t1)
            new_ref.append(t2)
        out["new filter combination, fetched range"] = (statistics.median(new_ours), statistics.median(new_ref))
        if ours_provider.fetches != 1 + 6:  # warm-up + the cold requests, nothing else
            raise SystemExit(f"the query layer refetched: {ours_provider.fetches} fetches")
    return out


def main() -> int:
    print(f"{N:,} transactions over two years; medians in ms through ASGITransport "
          "(reference: filter, sort, slice the held models per request)")
    results = asyncio.run(run())
    print(f"{'case':<40} {'query layer':>12} {'reference':>12} {'speed-up':>9}")
    for case, (ours, ref) in results.items():
        print(f"{case:<40} {ours:>12.2f} {ref:>12.2f} {ref / ours:>8.1f}x")
    nxt = results["next page of the same query"][0]
    new, new_ref = results["new filter combination, fetched range"]
    verdicts = [
        ("next page < 5 ms", nxt < 5),
        ("new filter < 25 ms", new < 25),
        ("new filter >= 3x faster than reference", new_ref / new >= 3),
    ]
    for name, ok in verdicts:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
