"""What the routes remember of a query string (its parsed parameters, its query, its links) never changes an
answer: the same string from two users answers each with their own data, a bad string is refused every time,
links keep the text each caller sent, and no access token is kept as a key."""

from __future__ import annotations

import datetime as dt
import gc

import httpx
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.query.params import TransactionQueryParams
from fin_infra.banking.recent import Recent


def _client() -> httpx.AsyncClient:
    app = FastAPI()
    add_banking(app, provider="sandbox", cache_url="memory://")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def _bearer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer access-sandbox-{name}"}


async def test_one_query_string_from_two_users_answers_each_their_own() -> None:
    async with _client() as client:
        path = "/banking/transactions?page_size=5&sort_by=amount"
        answers = {}
        for _ in range(2):  # the second round is answered from what the first remembered
            for name in ("alice", "bob"):
                response = await client.get(path, headers=_bearer(name))
                assert response.status_code == 200
                ids = [t["id"] for t in response.json()["transactions"]]
                assert answers.setdefault(name, ids) == ids
        assert answers["alice"] != answers["bob"]
        accounts = {name: (await client.get("/banking/accounts", headers=_bearer(name))).json() for name in answers}
        assert accounts["alice"] != accounts["bob"]


async def test_a_bad_query_string_is_refused_every_time() -> None:
    async with _client() as client:
        for _ in range(3):
            bad = await client.get("/banking/transactions?page_size=0", headers=_bearer("alice"))
            assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "page_size"
            unknown = await client.get("/banking/transactions?pagesize=5", headers=_bearer("alice"))
            assert unknown.status_code == 422 and "page_size" in unknown.text
            missing = await client.get("/banking/transactions?page_size=5")
            assert missing.status_code == 401


async def test_links_keep_the_text_each_caller_sent() -> None:
    async with _client() as client:
        for sent in ("10.0", "10", "10.0"):
            body = (await client.get(f"/banking/transactions?min_amount={sent}&page_size=1",
                                     headers=_bearer("alice"))).json()
            assert f"min_amount={sent}&" in body["next"]
            assert body["next"].endswith("&page=2")


async def test_a_query_string_naming_a_token_is_never_kept() -> None:
    token = "access-sandbox-carol"
    async with _client() as client:
        for _ in range(2):
            response = await client.get(f"/banking/transactions?access_token={token}&page_size=3")
            assert response.status_code == 200 and len(response.json()["transactions"]) == 3
            assert (await client.get(f"/banking/accounts?access_token={token}")).status_code == 200
        kept = [key for memo in gc.get_objects() if isinstance(memo, Recent) for key in memo]
        assert kept, "the routes remember the query strings they saw"
        assert not [key for key in kept if token.encode() in (key if isinstance(key, bytes) else repr(key).encode())]


def test_a_remembered_query_follows_the_day() -> None:
    params = TransactionQueryParams(page_size=10)
    monday, tuesday = dt.date(2026, 11, 30), dt.date(2026, 12, 1)
    assert params.to_query(today=monday) is params.to_query(today=monday)
    assert params.to_query(today=monday).end_date == monday
    assert params.to_query(today=tuesday).end_date == tuesday
    assert params.to_query(today=monday).end_date == monday
