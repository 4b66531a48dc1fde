"""Connections mode documents its data routes' bodies: OpenAPI names a schema for each 200, and real answers
(from the ledger and live) validate against it with no field left undocumented."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

from fastapi import FastAPI
from pydantic import BaseModel

from fin_infra.banking.connections import data_models as m
from tests.connections.conftest import as_user, running
from tests.connections.test_custody import _connect, _institutions

ALICE = as_user("alice")

ROUTES: dict[str, type[BaseModel]] = {
    "/banking/accounts": m.ConnectionAccountsResponse,
    "/banking/balances": m.ConnectionBalancesResponse,
    "/banking/transactions": m.ConnectionTransactionsResponse,
    "/banking/identity": m.ConnectionIdentitiesResponse,
    "/banking/balance-history": m.ConnectionBalanceHistoryResponse,
}


def _row_model(annotation: Any) -> type[BaseModel]:
    """The model of a ``list[Model]`` (or ``list[Model] | None``) field."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if arg is not type(None):
            return _row_model(arg)
    raise AssertionError(f"no model in {annotation!r}")


def _documented(model: type[BaseModel], body: dict[str, Any]) -> None:
    model.model_validate(body)
    assert set(body) <= set(model.model_fields), set(body) - set(model.model_fields)
    for name, value in body.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            rows = _row_model(model.model_fields[name].annotation)
            for row in value:
                assert set(row) <= set(rows.model_fields), (name, set(row) - set(rows.model_fields))


async def test_every_data_route_documents_the_body_it_sends(make: Callable[..., FastAPI]) -> None:
    app = make()
    async with running(app) as client:
        schema = (await client.get("/openapi.json")).json()
        for path, model in ROUTES.items():
            ok = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            assert ok == {"$ref": f"#/components/schemas/{model.__name__}"}, (path, ok)

        await _connect(client, ALICE, _institutions()[0])
        await _connect(client, ALICE, _institutions()[1])
        await app.state.banking_ledger.runner.drain()
        accounts = (await client.get("/banking/accounts", headers=ALICE)).json()
        _documented(m.ConnectionAccountsResponse, accounts)
        assert accounts["count"] > 0 and all(a["connection_id"] for a in accounts["accounts"])
        for params in ({}, {"live": "true"}):
            balances = (await client.get("/banking/balances", params=params, headers=ALICE)).json()
            _documented(m.ConnectionBalancesResponse, balances)
            page = (await client.get("/banking/transactions", params=params, headers=ALICE)).json()
            _documented(m.ConnectionTransactionsResponse, page)
            assert page["count"] > 0
        assert balances["count"] > 0 and "source" not in balances  # live: no ledger freshness
        ledger = (await client.get("/banking/balances", headers=ALICE)).json()
        assert ledger["source"] == "ledger" and len(ledger["connections"]) == 2
        identity = (await client.get("/banking/identity", headers=ALICE)).json()
        _documented(m.ConnectionIdentitiesResponse, identity)
        account_id = accounts["accounts"][0]["id"]
        history = await client.get("/banking/balance-history", params={"account_id": account_id}, headers=ALICE)
        assert history.status_code == 200, history.text
        _documented(m.ConnectionBalanceHistoryResponse, history.json())
