"""The overview page in a real browser: its numbers are the JSON routes' numbers, the filters ask the
transactions route, and the balance-history charts are drawn (uPlot, served by the app)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from PIL import Image
from playwright.sync_api import expect

from fin_infra.banking.history import aget_balance_history, atrack_balances, open_balance_store
from fin_infra.testing.plaid import PlaidEmulator
from fin_infra.testing.teller import TellerEmulator
from tests.browser import browser, offline_page, serve
from tests.pages.a11y import low_contrast
from tests.pages.helpers import ALICE, connect_via_api

__all__ = ["browser"]  # the fixture, used by name

DAYS = 20


def seed_history(db: Path, accounts: list[dict[str, Any]]) -> None:
    """DAYS days of balances for every account before today (the test's data) in the app's database; today's
    comes from the app itself (track_balances)."""
    async def run() -> None:
        store = open_balance_store(f"sqlite:///{db}")
        today = dt.date.today()
        for n, account in enumerate(accounts):
            rows = [{"account_id": account["id"], "balance": Decimal(1000 + 50 * n + 7 * d), "currency": "USD",
                     "date": today - dt.timedelta(days=DAYS - d)} for d in range(DAYS)]
            await atrack_balances(rows, store=store, connection_id=account["connection_id"])
        assert len(await aget_balance_history(accounts[0]["id"], today - dt.timedelta(days=DAYS), today,
                                              store=store, connection_id=accounts[0]["connection_id"])) == DAYS + 1
        await store.aclose()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API keeps this thread's loop marked as running
        pool.submit(asyncio.run, run()).result()


def drawn_pixels(png: bytes) -> tuple[int, int]:
    """(pixels that aren't the white background, pixels of the line's blue) in a screenshot."""
    data = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    ink = blue = 0
    for i in range(0, len(data), 3):
        r, g, b = data[i], data[i + 1], data[i + 2]
        if r + g + b < 700:
            ink += 1
        if b > 150 and r < 60 and 50 < g < 110:
            blue += 1
    return ink, blue


def test_overview_shows_the_json_routes_numbers_and_draws_the_charts(
    browser: Any, page_app: FastAPI, plaid: PlaidEmulator, teller: TellerEmulator, tmp_path: Path
) -> None:
    with serve(page_app) as base, offline_page(browser) as (page, blocked):
        page.context.add_cookies([{"name": "session", "value": "alice", "url": base}])
        page.set_default_timeout(20_000)
        connect_via_api(base, ALICE, plaid=plaid, teller=teller)
        accounts = httpx.get(base + "/banking/accounts", headers=ALICE).json()["accounts"]
        seed_history(tmp_path / "app.db", accounts)

        page.goto(base + "/banking/overview")
        page.wait_for_selector("body[data-loaded=true]")
        expect(page.locator("#error")).to_have_text("")

        # balances, per account and institution, as GET /balances?live=true answers them
        balances = httpx.get(base + "/banking/balances?live=true", headers=ALICE).json()["balances"]
        by_account = {b["account_id"]: Decimal(str(b["current"])) for b in balances}
        shown = {
            row.get_attribute("data-account-id"): Decimal(row.locator(".balance").get_attribute("data-value"))
            for row in page.locator(".account").all()
        }
        assert shown == by_account and len(shown) == 6
        connections = httpx.get(base + "/banking/connections", headers=ALICE).json()["connections"]
        assert page.locator(".institution h3").all_inner_texts() == [c["institution_name"] for c in connections]
        owed = {a["id"] for a in accounts if a["type"] in ("credit", "loan")}
        worth = sum((-v if k in owed else v) for k, v in by_account.items())
        assert Decimal(page.locator("#networth").get_attribute("data-value")) == worth
        expect(page.locator("#networth")).to_have_text(f"{'-' if worth < 0 else ''}${abs(worth):,.2f}")

        # the latest transactions, then filtered: the same rows as GET /transactions with those filters
        def same_as(params: dict[str, Any]) -> None:
            body = httpx.get(base + "/banking/transactions", params={"page_size": 25, **params}, headers=ALICE).json()
            assert body["count"] > 0
            rows = page.locator("#transactions tbody tr")
            expect(rows).to_have_count(body["count"])
            ids = [r.get_attribute("data-transaction-id") for r in rows.all()]
            assert ids == [t["id"] for t in body["transactions"]]
            assert [Decimal(a) for a in rows.locator("td.num").evaluate_all("els => els.map(e => e.dataset.value)")] \
                == [Decimal(str(t["amount"])) for t in body["transactions"]]
            assert page.locator("#transactions").get_attribute("data-total") == str(body["total"])

        same_as({})
        before = page.locator("#transactions").get_attribute("data-total")
        page.get_by_label("Min amount").fill("20")
        page.get_by_label("Sort by").select_option("amount")
        page.get_by_label("Hide pending").check()
        page.get_by_role("button", name="Apply filters").click()
        expect(page.locator("#transactions")).not_to_have_attribute("data-total", str(before))
        same_as({"min_amount": "20", "sort_by": "amount", "exclude_pending": "true", "sort_order": "desc"})

        # every form control has a label, and each chart a text alternative
        unlabelled = page.locator("input, select").evaluate_all(
            "els => els.filter(e => !e.labels || e.labels.length === 0).map(e => e.id)")
        assert unlabelled == []
        assert all(c.get_attribute("aria-label") for c in page.locator(".chart").all())
        assert low_contrast(page) == []

        # the charts: one per account and net worth, each with every day of history, drawn (not blank)
        expect(page.locator(".chart canvas")).to_have_count(7)
        for row in page.locator(".account .chart").all():
            assert int(row.get_attribute("data-points")) >= DAYS
        chart = page.locator("#chart-networth")
        assert int(chart.get_attribute("data-points")) >= DAYS
        ink, blue = drawn_pixels(chart.locator("canvas").first.screenshot())
        box = chart.bounding_box()
        assert box is not None and box["width"] > 250 and box["height"] >= 150
        assert ink > 2000, "the plot area is blank"
        assert blue > 150, "no line drawn in the series colour"
        assert blocked == []
