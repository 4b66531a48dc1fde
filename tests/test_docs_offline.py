"""The API docs render in a real headless browser with no network: Swagger UI comes from the installed package."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from fin_infra.banking import add_banking
from tests.browser import browser, offline_page, serve

__all__ = ["browser"]  # the fixture, used by name

BANKING_OPERATIONS = 7  # link, exchange, accounts, transactions, balances, identity, balance-history


def app_with_docs(**options: Any) -> FastAPI:
    app = FastAPI(title="docs test")

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    add_banking(app, provider="sandbox", **options)
    return app


def test_banking_docs_render_operations_and_authorize_offline(browser: Any) -> None:
    with serve(app_with_docs()) as base, offline_page(browser) as (page, blocked):
        page.goto(base + "/banking/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        assert page.locator(".opblock").count() >= BANKING_OPERATIONS
        assert page.locator("button.authorize").is_visible()
        assert "/banking/accounts" in page.inner_text(".swagger-ui")
        assert blocked == [], f"the docs page wanted the network: {blocked}"


def test_the_apps_own_docs_render_offline_when_asked(browser: Any) -> None:
    with serve(app_with_docs(offline_docs=True)) as base, offline_page(browser) as (page, blocked):
        page.goto(base + "/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        assert "/hello" in page.inner_text(".swagger-ui")
        assert blocked == [], f"the docs page wanted the network: {blocked}"


def test_assets_come_from_this_server_and_nothing_else_is_served() -> None:
    with serve(app_with_docs()) as base:
        html = httpx.get(base + "/banking/docs").text
        assert "cdn" not in html.lower() and "/banking/docs/assets/swagger-ui-bundle.js" in html
        js = httpx.get(base + "/banking/docs/assets/swagger-ui-bundle.js")
        assert js.status_code == 200 and "SwaggerUIBundle" in js.text
        assert httpx.get(base + "/banking/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
        assert httpx.get(base + "/banking/docs/assets/..%2F..%2Fsecret").status_code == 404
        assert httpx.get(base + "/banking/docs/assets/index.html").status_code == 404


def test_the_apps_own_docs_are_left_alone_without_the_opt_in() -> None:
    with serve(app_with_docs()) as base:
        assert "cdn.jsdelivr.net" in httpx.get(base + "/docs").text
