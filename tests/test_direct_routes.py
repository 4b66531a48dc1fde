"""Routes called directly (`fin_infra.banking.direct`) answer exactly as FastAPI's own path does.

Each request goes to two apps on one sandbox: one as configured (the direct path), one with an unrelated
dependency override (which sends every request down FastAPI's path). Status, headers and body must match,
for good queries, bad ones (FastAPI words the 422) and missing tokens; the direct app must really skip
FastAPI's dependency solving for the good ones, and an override of the token dependency must be honoured.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException, Request

from fin_infra.banking import add_banking
from fin_infra.banking.routes import build_banking_router
from fin_infra.banking.security import require_access_token
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN, SandboxProvider

BEARER = {"Authorization": f"Bearer {DEMO_ACCESS_TOKEN}"}

CASES: list[tuple[str, dict[str, str]]] = [
    ("/banking/accounts", BEARER),
    ("/banking/accounts", {}),
    ("/banking/accounts", {"Authorization": "Bearer "}),
    (f"/banking/accounts?access_token={DEMO_ACCESS_TOKEN}", {}),
    ("/banking/accounts?access_token=", {}),
    ("/banking/accounts?acces_token=x", BEARER),
    ("/banking/transactions", BEARER),
    ("/banking/transactions", {}),
    ("/banking/transactions?page_size=0", {}),
    ("/banking/transactions?page_size=5&page=2&sort_by=amount&sort_order=asc", BEARER),
    ("/banking/transactions?page_size=5&page_size=7", BEARER),
    ("/banking/transactions?exclude_pending=yes&min_amount=1.50&max_amount=20", BEARER),
    ("/banking/transactions?exclude_pending=maybe", BEARER),
    ("/banking/transactions?min_amount=5&max_amount=1", BEARER),
    ("/banking/transactions?start_date=2025-01-01&end_date=2025-02-15&category=Food%20%26%20Drink", BEARER),
    ("/banking/transactions?start_date=20250101", BEARER),
    ("/banking/transactions?page_size=", BEARER),
    ("/banking/transactions?merchant_name=" + "x" * 500, BEARER),
    (f"/banking/transactions?access_token={DEMO_ACCESS_TOKEN}&page=3", {}),
    ("/banking/transactions?merchant=star", BEARER),
]


def _app(*, overridden: bool) -> FastAPI:
    app = FastAPI()
    add_banking(app, provider=SandboxProvider(), cache_url="memory://")
    if overridden:
        app.dependency_overrides[_unrelated] = lambda: None
    return app


def _unrelated() -> None:  # a dependency no route uses: overriding it changes nothing but the path taken
    return None


@pytest.fixture
async def clients() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    direct = httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(overridden=False)), base_url="http://t")
    fastapi_path = httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(overridden=True)), base_url="http://t")
    async with direct, fastapi_path:
        yield direct, fastapi_path


class Solves:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = fastapi.routing.solve_dependencies

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(*args, **kwargs)

        monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)


@pytest.mark.parametrize(("url", "headers"), CASES)
async def test_direct_answer_is_fastapis_answer(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], url: str, headers: dict[str, str]
) -> None:
    direct, fastapi_path = clients
    ours, theirs = await direct.get(url, headers=headers), await fastapi_path.get(url, headers=headers)
    assert (ours.status_code, ours.content) == (theirs.status_code, theirs.content)
    assert ours.headers.multi_items() == theirs.headers.multi_items()


async def test_good_requests_skip_dependency_solving(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    direct, fastapi_path = clients
    solves = Solves(monkeypatch)
    for url in ("/banking/accounts", "/banking/transactions?page_size=5", "/banking/transactions?page=2"):
        assert (await direct.get(url, headers=BEARER)).status_code == 200
    assert solves.count == 0
    assert (await direct.get("/banking/transactions?page_size=0", headers=BEARER)).status_code == 422
    assert solves.count == 1  # a query that doesn't validate: FastAPI's path words the 422
    assert (await fastapi_path.get("/banking/accounts", headers=BEARER)).status_code == 200
    assert solves.count == 2


async def test_an_override_of_the_token_dependency_is_honoured() -> None:
    app = _app(overridden=False)
    app.dependency_overrides[require_access_token] = lambda: DEMO_ACCESS_TOKEN
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.get("/banking/accounts")  # no token sent: the override supplies it
        assert answer.status_code == 200
        assert answer.json()["count"] >= 1


async def test_dependencies_the_app_adds_on_inclusion_still_run() -> None:
    async def staff_only(request: Request) -> None:
        if request.headers.get("x-staff") != "yes":
            raise HTTPException(status_code=403, detail="staff only")

    app = FastAPI()
    app.include_router(build_banking_router(SandboxProvider()), dependencies=[Depends(staff_only)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/banking/accounts", headers=BEARER)).status_code == 403
        assert (await client.get("/banking/transactions", headers=BEARER)).status_code == 403
        allowed = await client.get("/banking/accounts", headers={**BEARER, "x-staff": "yes"})
        assert allowed.status_code == 200


def test_routes_added_to_the_app_document_as_an_included_router_would(monkeypatch: pytest.MonkeyPatch) -> None:
    import fin_infra.banking.app as banking_app
    from fin_infra.banking.webhooks import Webhooks

    def build() -> dict[str, Any]:
        app = FastAPI()
        add_banking(app, provider=SandboxProvider(), cache_url="memory://", webhooks=Webhooks(teller_secrets="whsec_x"))
        return app.openapi()

    ours = build()
    with monkeypatch.context() as patched:
        patched.setattr(
            banking_app,
            "include_routes",
            lambda app, router, include_in_schema=True: app.include_router(router, include_in_schema=include_in_schema),
        )
        included = build()
    assert ours == included
    assert "/banking/transactions" in ours["paths"]
