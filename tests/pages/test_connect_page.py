"""The connect page in a real browser (Debian's chromium): banks connected end to end through the emulators'
widgets, the provider's errors in words, Reconnect in update mode, removal; no request leaves 127.0.0.1 and the
page never holds a provider access token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from playwright.sync_api import expect

from fin_infra.testing.plaid import PlaidEmulator
from fin_infra.testing.teller import TellerEmulator
from tests.browser import browser, offline_page, serve
from tests.pages.a11y import low_contrast
from tests.pages.helpers import (
    ALICE,
    TIMEOUT,
    active_element,
    assert_never_seen,
    assert_offline_under_csp,
    connect_page,
    connect_via_api,
    connections,
    held,
    log_in,
    open_connect,
    page_for,
    reconnect,
    refused_login,
    start_connect,
)

__all__ = ["browser"]  # the fixture, used by name


def test_connect_plaid_and_teller_through_their_widgets_offline_and_tokenless(
    browser: Any, page_app: FastAPI, plaid: PlaidEmulator, teller: TellerEmulator
) -> None:
    with connect_page(browser, page_app) as (base, page, blocked, log):
        expect(page.locator("#empty")).to_be_visible()
        log_in(start_connect(page, "plaid"), "user_good", "pass_good", institution="First Gingham Credit Union")
        expect(page.locator("#status")).to_have_text("Connected First Gingham Credit Union.")
        log_in(start_connect(page, "teller"), "username", "password", institution="Chase")
        expect(page.locator("#status")).to_have_text("Connected Chase.")
        items = page.locator(".connection")
        expect(items).to_have_count(2)
        expect(items.filter(has_text="First Gingham Credit Union")).to_contain_text("Through Plaid")
        expect(items.filter(has_text="Chase")).to_contain_text("Through Teller")
        expect(items.locator(".status")).to_have_text(["Connected", "Connected"])
        # keyboard focus came back to the button that opened the widget
        assert active_element(page, "connect-teller") == "connect-teller"

        assert low_contrast(page) == []

        # what the server holds matches what the page shows
        rows = connections(base)
        assert sorted((r["provider"], r["institution_name"], r["status"]) for r in rows) == [
            ("plaid", "First Gingham Credit Union", "ok"), ("teller", "Chase", "ok")]

        # the tokens the providers issued are nowhere in the page, its storage or its network log
        plaid_tokens = list(plaid.backend.items)
        teller_tokens = list(teller.backend.tokens)
        assert plaid_tokens and teller_tokens
        in_page = held(page)
        connect_login = str(teller.connect_script_url).replace("connect.js", "login")
        for token in [*plaid_tokens, *teller_tokens]:
            assert token not in in_page
            assert not any(token in body for url, body in log.responses if url.startswith(base)), "the app sent one"
        assert_never_seen(plaid_tokens, log)  # Plaid's access token never reaches the browser at all
        for token in teller_tokens:  # Teller Connect hands it to the page, which only forwards it to /exchange
            assert [(m, url) for m, url, body in log.requests if token in url + body] == [
                ("POST", base + "/banking/exchange")]
            # ... and only Connect's own login answer held it (inside Connect's frame, whose body the browser may
            # already have dropped when the frame closed)
            assert {url for url, body in log.responses if token in body} <= {connect_login}

        assert_offline_under_csp(blocked, log)


def test_a_wrong_password_shows_the_providers_error_in_words(
    browser: Any, page_app: FastAPI, plaid: PlaidEmulator, teller: TellerEmulator
) -> None:
    with connect_page(browser, page_app) as (base, page, blocked, _):
        frame = refused_login(page, "plaid", "user_good", "wrong-password",
                              "The provided credentials were not correct. Please try again.")
        frame.get_by_role("button", name="Exit").click()  # the user gives up: Link's onExit carries the error
        expect(page.locator("#error")).to_have_text(
            "The username or password was not correct. Check them and try again.")
        expect(page.locator("iframe")).to_have_count(0)

        frame = refused_login(page, "teller", "username", "nope", "The username or password is incorrect.")
        frame.locator("#username").press("Escape")
        expect(page.locator("#status")).to_have_text("Connecting was cancelled.")
        assert httpx.get(base + "/banking/connections", headers=ALICE).json()["count"] == 0
        assert blocked == []


def test_reset_login_shows_reconnect_and_update_mode_repairs_it(
    browser: Any, page_app: FastAPI, plaid: PlaidEmulator, teller: TellerEmulator
) -> None:
    with serve(page_app) as base, page_for(browser, base) as (page, blocked, _):
        made = connect_via_api(base, ALICE, plaid=plaid, teller=teller)
        (access_token,) = list(plaid.backend.items)
        plaid.backend.reset_login(access_token)  # what /sandbox/item/reset_login does
        assert set(made) == {"plaid", "teller"}
        (enrollment_id,) = list(teller.backend.enrollments)
        teller.disconnect(enrollment_id, "mfa_required")

        # the overview's live calls meet the errors: they are shown in words and mark the connections
        page.goto(base + "/banking/overview")
        page.wait_for_selector("body[data-loaded=true]")
        expect(page.locator("#error")).to_contain_text("Your bank needs you to log in again: use Reconnect.")

        open_connect(page, base)
        items = page.locator(".connection")
        expect(items.locator(".status")).to_have_text(["Needs you to log in again"] * 2)
        plaid_item, teller_item = items.filter(has_text="Through Plaid"), items.filter(has_text="Through Teller")
        reconnect(page, plaid_item, "plaid", "First Platypus Bank", "user_good", "pass_good")
        reconnect(page, teller_item, "teller", "Security Credit Union", "username", "password")

        rows = httpx.get(base + "/banking/connections", headers=ALICE).json()
        assert rows["count"] == 2 and {r["status"] for r in rows["connections"]} == {"ok"}  # repaired, not doubled
        assert httpx.get(base + "/banking/accounts", headers=ALICE).json()["errors"] == []
        assert blocked == []


def test_remove_a_connection_with_the_apps_bearer_token(
    browser: Any, make_page_app: Callable[..., FastAPI], plaid: PlaidEmulator
) -> None:
    bob = {"Authorization": "Bearer bob"}
    # the host's own script supplies its Bearer token to the pages (the browser has no cookie at all)
    app = make_page_app(auth_script="/static/banking-auth.js")
    with serve(app) as base, offline_page(browser) as (page, blocked):
        connect_via_api(base, bob, plaid=plaid)
        connect_via_api(base, ALICE, plaid=plaid)
        page.set_default_timeout(TIMEOUT)
        open_connect(page, base)
        items = page.locator(".connection")
        expect(items).to_have_count(1)  # bob's only: alice's connection is not his
        page.once("dialog", lambda d: d.accept())
        items.get_by_role("button", name="Remove First Platypus Bank").click()
        expect(page.locator("#status")).to_have_text("Removed First Platypus Bank.")
        expect(items).to_have_count(0)
        expect(page.locator("#empty")).to_be_visible()
        assert httpx.get(base + "/banking/connections", headers=bob).json()["count"] == 0
        assert httpx.get(base + "/banking/connections", headers=ALICE).json()["count"] == 1
        assert len(plaid.backend.items) == 1  # removed at the provider too
        assert blocked == []


def test_without_a_signed_in_user_the_page_says_so(browser: Any, page_app: FastAPI) -> None:
    with serve(page_app) as base, offline_page(browser) as (page, blocked):
        page.goto(base + "/banking/connect")  # no cookie, no token: the app's auth says nobody is signed in
        expect(page.locator("#error")).to_have_text("Please sign in to this app first.", timeout=TIMEOUT)
        assert blocked == []


def test_the_offline_sandbox_provider_connects_without_a_widget(browser: Any, tmp_path: Any) -> None:
    from fin_infra.banking import add_banking
    from tests.pages.conftest import current_user

    app = FastAPI()
    add_banking(app, providers=["sandbox"], connections=f"sqlite:///{tmp_path / 'sandbox.db'}",
                current_user=current_user, connect_page=True)
    with serve(app) as base, page_for(browser, base) as (page, blocked, _):
        open_connect(page, base)
        page.get_by_role("button", name="Connect a sandbox bank").click()
        expect(page.locator(".connection .status")).to_have_text(["Connected"])
        name = httpx.get(base + "/banking/connections", headers=ALICE).json()["connections"][0]["institution_name"]
        expect(page.locator("#status")).to_have_text(f"Connected {name}.")
        page.get_by_role("link", name="Overview").click()
        expect(page.locator(".account").first).to_be_visible()
        assert blocked == []
