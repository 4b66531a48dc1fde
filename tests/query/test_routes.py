"""GET /banking/transactions: every parameter, every 422, links, odd input; through ASGITransport."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from tests.query.fakes import ListProvider, txn

PROBLEM = "application/problem+json"
TOKEN = "access-list-user-1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
RANGE = {"start_date": "2025-01-01", "end_date": "2025-01-31"}

DATA = [
    txn("t01", "-4.50", "2025-01-02", merchant="Starbucks", description="STARBUCKS #1", category="Food & Drink",
        path=["Food & Drink", "Coffee"]),
    txn("t02", "-12.00", "2025-01-03", merchant="STARBUCKS", category="Food & Drink", path=["Food & Drink", "Coffee"]),
    txn("t03", "2500.00", "2025-01-05", merchant=None, description="ACME PAYROLL", category="Income"),
    txn("t04", "-10.00", "2025-01-05", merchant="Straße Café", category="Food & Drink", account="acc_2"),
    txn("t05", "10.00", "2025-01-06", merchant=None, description="Refund starbucks", category="Transfer"),
    txn("t06", "-100.00", "2025-01-07", merchant="Whole Foods", category="Groceries", account="acc_2"),
    txn("t07", "-100.01", "2025-01-08", merchant="Whole Foods", category="Groceries", pending=True),
    txn("t08", "-0.10", "2025-01-31", merchant="Amazon", category="Shopping", pending=True),
    txn("t09", "-55.55", "2024-12-31", merchant="Starbucks", category="Food & Drink"),  # outside the range
    txn("t10", "-7.25", "2025-01-05", merchant="amazon", category="Shopping"),
]


@pytest.fixture
def provider() -> ListProvider:
    return ListProvider({TOKEN: DATA, "access-list-user-2": [txn("u1", "-1.00", "2025-01-02", merchant="Other")]})


@pytest.fixture
async def client(provider: ListProvider) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    add_banking(app, provider=provider, cache_ttl=60)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def get(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    r = await client.get("/banking/transactions", params={**RANGE, **params}, headers=AUTH)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = json.loads(r.text, parse_float=Decimal)
    return body


def tids(body: dict[str, Any]) -> list[str]:
    return [t["id"] for t in body["transactions"]]


async def test_defaults_newest_first_with_totals(client: httpx.AsyncClient) -> None:
    body = await get(client)
    # date desc; same-day ties by id, reversed with the order (t10 > t04 > t03 on 2025-01-05)
    assert tids(body) == ["t08", "t07", "t06", "t05", "t10", "t04", "t03", "t02", "t01"]
    assert body["count"] == body["total"] == 9
    assert (body["page"], body["page_size"], body["total_pages"]) == (1, 50, 1)
    assert body["has_next"] is False and body["has_previous"] is False
    assert body["next"] is None and body["previous"] is None
    assert (body["start_date"], body["end_date"]) == ("2025-01-01", "2025-01-31")


async def test_amounts_are_exact_numbers(client: httpx.AsyncClient) -> None:
    body = await get(client, merchant_name="whole")
    assert [t["amount"] for t in body["transactions"]] == [Decimal("-100.01"), Decimal("-100.00")]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"min_amount": "10"}, {"t02", "t03", "t04", "t05", "t06", "t07"}),  # absolute, bound included
        ({"max_amount": "10.00"}, {"t01", "t04", "t05", "t08", "t10"}),
        ({"min_amount": "10", "max_amount": "100"}, {"t02", "t04", "t05", "t06"}),
        ({"min_amount": "100.01", "max_amount": "100.01"}, {"t07"}),
        ({"merchant_name": "starbucks"}, {"t01", "t02", "t05"}),  # t05: no merchant, description matches
        ({"merchant_name": "STRASSE"}, {"t04"}),  # casefold: ß == ss
        ({"merchant_name": "café"}, {"t04"}),
        ({"category": "Food & Drink"}, {"t01", "t02", "t04"}),
        ({"category": "Coffee"}, {"t01", "t02"}),  # any level of the category path
        ({"category": "food & drink"}, set()),  # exact
        ({"account_id": "acc_2"}, {"t04", "t06"}),
        ({"exclude_pending": "true"}, {"t01", "t02", "t03", "t04", "t05", "t06", "t10"}),
        ({"exclude_pending": "false"}, {"t01", "t02", "t03", "t04", "t05", "t06", "t07", "t08", "t10"}),
        ({"start_date": "2025-01-05", "end_date": "2025-01-06"}, {"t03", "t04", "t05", "t10"}),
        ({"start_date": "2024-12-31", "end_date": "2024-12-31"}, {"t09"}),
        ({"category": "Food & Drink", "min_amount": "5", "merchant_name": "star"}, {"t02"}),  # AND
        ({"merchant_name": "nothing like it"}, set()),
    ],
)
async def test_each_filter(client: httpx.AsyncClient, params: dict[str, str], expected: set[str]) -> None:
    body = await get(client, **params)
    assert set(tids(body)) == expected and body["total"] == len(expected)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sort_by": "date", "sort_order": "asc"}, ["t01", "t02", "t03", "t04", "t10", "t05", "t06", "t07", "t08"]),
        ({"sort_by": "amount", "sort_order": "desc"}, ["t03", "t07", "t06", "t02", "t05", "t04", "t10", "t01", "t08"]),
        ({"sort_by": "amount", "sort_order": "asc"}, ["t08", "t01", "t10", "t04", "t05", "t02", "t06", "t07", "t03"]),
        ({"sort_by": "merchant", "sort_order": "asc"}, ["t03", "t08", "t10", "t05", "t01", "t02", "t04", "t06", "t07"]),
    ],
)
async def test_sorting(client: httpx.AsyncClient, params: dict[str, str], expected: list[str]) -> None:
    assert tids(await get(client, **params)) == expected


async def test_pages_links_keep_the_other_parameters(client: httpx.AsyncClient) -> None:
    params = {"min_amount": "0.5", "sort_by": "amount", "sort_order": "asc", "page_size": "2",
              "category": "Food & Drink", "exclude_pending": "true"}
    r = await client.get("/banking/transactions", params={**RANGE, **params}, headers=AUTH)
    first = r.json()
    assert tids(first) == ["t01", "t04"] and first["total"] == 3 and first["total_pages"] == 2
    assert first["has_next"] is True and first["previous"] is None
    link = urlsplit(first["next"])
    assert link.path == "/banking/transactions" and not link.scheme
    query = parse_qs(link.query)
    assert {k: v[0] for k, v in query.items()} == {**RANGE, **params, "page": "2"}
    second = (await client.get(first["next"], headers=AUTH)).json()
    assert tids(second) == ["t02"] and second["has_next"] is False and second["next"] is None
    assert parse_qs(urlsplit(second["previous"]).query)["page"] == ["1"]


async def test_links_never_carry_the_token(client: httpx.AsyncClient) -> None:
    r = await client.get("/banking/transactions", params={**RANGE, "page_size": "1", "access_token": TOKEN})
    body = r.json()
    assert r.status_code == 200 and body["next"] and TOKEN not in r.text and "access_token" not in body["next"]


async def test_links_pin_the_default_dates() -> None:
    today = dt.date.today()
    recent = [txn(f"r{i}", "-1.00", today - dt.timedelta(days=i)) for i in range(3)]
    app = FastAPI()
    add_banking(app, provider=ListProvider({TOKEN: recent}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        body = (await c.get("/banking/transactions", params={"page_size": "1"}, headers=AUTH)).json()
    assert tids(body) == ["r0"] and body["total"] == 3
    query = parse_qs(urlsplit(body["next"]).query)
    assert query["end_date"] == [today.isoformat()]
    assert query["start_date"] == [(today - dt.timedelta(days=30)).isoformat()]


async def test_page_past_the_end_is_empty_with_the_total(client: httpx.AsyncClient) -> None:
    body = await get(client, page="7", page_size="2")
    assert body["transactions"] == [] and body["count"] == 0 and body["total"] == 9 and body["total_pages"] == 5
    assert body["has_next"] is False and body["next"] is None
    assert parse_qs(urlsplit(body["previous"]).query)["page"] == ["5"]  # back to the last page that exists


async def test_no_match_is_zero_pages(client: httpx.AsyncClient) -> None:
    body = await get(client, category="Nope")
    assert (body["total"], body["total_pages"], body["has_next"], body["transactions"]) == (0, 0, False, [])


async def test_paging_through_yields_each_exactly_once(client: httpx.AsyncClient, provider: ListProvider) -> None:
    seen: list[str] = []
    url: str | None = "/banking/transactions?start_date=2025-01-01&end_date=2025-01-31&page_size=2&sort_by=merchant"
    while url:
        body = (await client.get(url, headers=AUTH)).json()
        seen.extend(tids(body))
        url = body["next"]
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 9
    assert provider.fetches == 1  # one fetch for five pages: the range is cached


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort_by=price", "sort_by"),
        ("sort_by=", "sort_by"),
        ("sort_order=up", "sort_order"),
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=ten", "page_size"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=two", "page"),
        ("start_date=2025-13-01", "start_date"),
        ("start_date=01/02/2025", "start_date"),
        ("end_date=yesterday", "end_date"),
        ("end_date=1735689600", "end_date"),
        ("start_date=2025-02-01&end_date=2025-01-01", "start_date"),
        ("min_amount=-1", "min_amount"),
        ("max_amount=-0.01", "max_amount"),
        ("min_amount=ten", "min_amount"),
        ("min_amount=NaN", "min_amount"),
        ("max_amount=Infinity", "max_amount"),
        ("min_amount=100&max_amount=10", "min_amount"),
        ("exclude_pending=maybe", "exclude_pending"),
        ("merchant_name=" + "x" * 10_000, "merchant_name"),
        ("category=" + "é" * 300, "category"),
        ("account_id=" + "a" * 257, "account_id"),
    ],
)
async def test_bad_input_is_422_naming_the_field(client: httpx.AsyncClient, query: str, field: str) -> None:
    r = await client.get(f"/banking/transactions?{query}", headers=AUTH)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["code"] == "validation_error"
    assert [e["field"] for e in body["errors"]] == [field] and body["errors"][0]["message"]
    assert "x" * 300 not in r.text  # the rejected value is not echoed back


@pytest.mark.parametrize(
    "value",
    ["'; DROP TABLE transactions; --", "%_*?[]", "\u0000", "🙂☕", "Ω≈ç√", " ", "\\", "%", "a" * 256, "İ"],
)
async def test_odd_strings_are_just_text(client: httpx.AsyncClient, value: str) -> None:
    for name in ("merchant_name", "category", "account_id"):
        r = await client.get("/banking/transactions", params={**RANGE, name: value}, headers=AUTH)
        # an unknown account is the provider's 404; otherwise an empty (or matching) page
        assert r.status_code in (200, 404), (name, value, r.status_code)
        if r.status_code == 404:
            assert name == "account_id" and r.json()["code"] == "account_not_found"


@pytest.mark.parametrize("raw", ["%FF%FE", "%ED%A0%80", "%C0%AF", "%", "%%41", "a%00b"])
async def test_undecodable_query_bytes_are_handled(client: httpx.AsyncClient, raw: str) -> None:
    r = await client.get(f"/banking/transactions?start_date=2025-01-01&end_date=2025-01-31&merchant_name={raw}",
                         headers=AUTH)
    assert r.status_code == 200 and r.json()["total"] == 0


async def test_422_messages_say_what_to_send(client: httpx.AsyncClient) -> None:
    r = await client.get("/banking/transactions?start_date=01/02/2025&page_size=500&sort_by=price", headers=AUTH)
    messages = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert messages == {
        "start_date": "must be an ISO 8601 date (YYYY-MM-DD)",
        "page_size": "Input should be less than or equal to 200",
        "sort_by": "Input should be 'date', 'amount' or 'merchant'",
    }


async def test_empty_text_parameters_mean_no_filter(client: httpx.AsyncClient) -> None:
    body = await get(client, merchant_name="", category="", account_id="")
    assert body["total"] == 9


@pytest.mark.parametrize(
    ("query", "start"),
    [("end_date=0001-01-05", "0001-01-01"), ("start_date=0001-01-01&end_date=9999-12-31", "0001-01-01"),
     ("end_date=9999-12-31", "9999-12-01")],
)
async def test_extreme_dates_are_handled(client: httpx.AsyncClient, query: str, start: str) -> None:
    r = await client.get(f"/banking/transactions?{query}", headers=AUTH)
    assert r.status_code == 200 and r.json()["start_date"] == start


async def test_huge_page_number_is_an_empty_page(client: httpx.AsyncClient) -> None:
    body = await get(client, page=str(10**30))
    assert body["transactions"] == [] and body["total"] == 9


async def test_unknown_account_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/banking/transactions", params={**RANGE, "account_id": "acc_nope"}, headers=AUTH)
    assert r.status_code == 404 and r.json()["code"] == "account_not_found"


async def test_missing_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.get("/banking/transactions", params=RANGE)
    assert r.status_code == 401 and r.json()["code"] == "missing_access_token"


async def test_openapi_documents_every_parameter(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/banking/openapi.json")).json()
    operation = schema["paths"]["/banking/transactions"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names >= {"start_date", "end_date", "min_amount", "max_amount", "merchant_name", "category", "account_id",
                     "exclude_pending", "sort_by", "sort_order", "page", "page_size"}
    assert "422" in operation["responses"]


async def test_openapi_documents_the_page_fields(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/banking/openapi.json")).json()
    ok = schema["paths"]["/banking/transactions"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    body = schema["components"]["schemas"][ok["$ref"].rsplit("/", 1)[-1]]
    assert set(body["properties"]) == {"transactions", "count", "total", "page", "page_size", "total_pages",
                                       "has_next", "has_previous", "next", "previous", "start_date", "end_date"}
