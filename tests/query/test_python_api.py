"""``banking.transactions(...)`` and its async twin ``query_transactions``: the same keywords as the route."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fin_infra.banking import easy_banking
from fin_infra.banking.query import QueryError, TransactionPage, TransactionQuery
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN
from tests.query.fakes import ListProvider, txn
from tests.query.reference import reference_page


def test_documented_unpaged_call_returns_every_transaction_as_a_list() -> None:
    banking = easy_banking(provider="sandbox")
    txns = banking.transactions(access_token=DEMO_ACCESS_TOKEN, start_date="2025-01-01", end_date="2025-03-31")
    everything = [t for t in txns]
    assert isinstance(txns, list) and isinstance(txns, TransactionPage)
    assert len(txns) == txns.total == len(everything) > 150  # three months, not a first page of 50
    assert (txns.page, txns.page_size, txns.total_pages, txns.has_next) == (1, None, 1, False)
    assert [t.date for t in txns] == sorted((t.date for t in txns), reverse=True)


def test_documented_keywords_with_paging() -> None:
    banking = easy_banking(provider="sandbox")
    kwargs = {"access_token": DEMO_ACCESS_TOKEN, "start_date": "2025-01-01", "end_date": "2025-03-31",
              "min_amount": 10, "category": "Food & Drink", "sort_by": "amount"}
    everything = banking.transactions(**kwargs)  # type: ignore[arg-type]
    page2 = banking.transactions(**kwargs, page=2, page_size=5)  # type: ignore[arg-type]
    assert page2.page == 2 and page2.page_size == 5 and len(page2) == 5 and page2.total == len(everything)
    assert list(page2) == list(everything)[5:10]
    assert all(t.category == "Food & Drink" and abs(t.amount) >= 10 for t in everything)
    sizes = [abs(t.amount) for t in everything]
    assert sizes == sorted(sizes, reverse=True)
    assert banking.transactions(**kwargs, page=2).page_size == 50  # type: ignore[arg-type]


async def test_async_twin_matches_the_reference() -> None:
    data = [txn(f"t{i}", str(Decimal(i) - 10), dt.date(2025, 1, 1 + i % 5), merchant=["Ab", "aB", None][i % 3],
                description=f"D{i}", pending=i % 4 == 0) for i in range(30)]
    provider = ListProvider({"tok": data})
    page = await provider.query_transactions("tok", "2025-01-01", "2025-01-31", min_amount="2.5", max_amount=8.0,
                                             merchant_name="ab", exclude_pending=True, sort_by="merchant",
                                             sort_order="asc", page=2, page_size=3)
    q = TransactionQuery.build("2025-01-01", "2025-01-31", min_amount="2.5", max_amount=8.0, merchant_name="ab",
                               exclude_pending=True, sort_by="merchant", sort_order="asc", page=2, page_size=3)
    expected, total = reference_page(data, q)
    assert list(page) == expected and page.total == total


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sort_by": "price"}, "sort_by"),
        ({"sort_order": "up"}, "sort_order"),
        ({"page": 0}, "page"),
        ({"page": "2"}, "page"),
        ({"page_size": 201}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"start_date": "2025-02-30"}, "start_date"),
        ({"end_date": "soon"}, "end_date"),
        ({"start_date": "2025-02-01", "end_date": "2025-01-01"}, "start_date"),
        ({"min_amount": -1}, "min_amount"),
        ({"max_amount": "abc"}, "max_amount"),
        ({"min_amount": float("nan")}, "min_amount"),
        ({"min_amount": 5, "max_amount": 1}, "min_amount"),
        ({"merchant_name": "x" * 10_000}, "merchant_name"),
        ({"exclude_pending": "yes"}, "exclude_pending"),
    ],
)
def test_bad_keywords_raise_a_value_error_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    banking = easy_banking(provider="sandbox")
    with pytest.raises(QueryError) as caught:
        banking.transactions(DEMO_ACCESS_TOKEN, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field and isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(f"{field}: ")


def test_float_bounds_are_read_without_float_noise() -> None:
    q = TransactionQuery.build("2025-01-01", "2025-01-02", min_amount=0.1, max_amount=5432.10)
    assert (q.min_amount, q.max_amount) == (Decimal("0.1"), Decimal("5432.1"))


async def test_the_documented_fastapi_example() -> None:
    # the "Example Usage" of the docs' Transaction Filtering section, as written there
    import httpx
    from fastapi import FastAPI, Query

    banking = easy_banking(provider="sandbox")
    app = FastAPI()

    @app.get("/transactions/filtered")
    async def get_filtered_transactions(
        access_token: str = Query(...),
        start_date: str = Query(...),
        end_date: str = Query(...),
        min_amount: float | None = Query(None),
        category: str | None = Query(None),
    ):  # no return annotation, as in the docs: FastAPI's jsonable_encoder writes the page
        txns = banking.transactions(access_token=access_token, start_date=start_date, end_date=end_date,
                                    min_amount=min_amount, category=category)
        return {"transactions": txns, "count": len(txns)}

    params = {"access_token": DEMO_ACCESS_TOKEN, "start_date": "2025-01-01", "end_date": "2025-01-31",
              "min_amount": "10.00", "category": "Food & Drink"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = (await c.get("/transactions/filtered", params=params)).json()
    assert body["count"] == len(body["transactions"]) > 0
    # pydantic writes Decimals as strings in FastAPI's default encoding: exact either way
    assert all(t["category"] == "Food & Drink" and abs(Decimal(t["amount"])) >= 10 for t in body["transactions"])


def test_public_surface_of_the_query_layer() -> None:
    import fin_infra.banking.query as query

    assert set(query.__all__) == {
        "MemoryTransactionCache", "QueryError", "QueryResult", "SortBy", "SortOrder", "TransactionCache",
        "TransactionIndex", "TransactionPage", "TransactionQueries", "TransactionQuery", "TransactionQueryParams",
        "cache_from_env", "cache_key", "filter_transactions", "make_cache", "matches", "paginate", "sort_transactions",
    }
    assert all(getattr(query, name) is not None for name in query.__all__)
