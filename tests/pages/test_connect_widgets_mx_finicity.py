"""The connect page with MX and Finicity in a real browser (Debian's chromium): banks connected end to end
through the emulators' stand-ins of MX Connect (a widget URL the page frames, MX's postMessage events) and
Finicity Connect (the web SDK's ``finicityConnect.launch``), the providers' refusals in words, Reconnect in update
and fix mode; no request leaves 127.0.0.1 and the page never holds a provider access token (only ids)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from playwright.sync_api import expect

from fin_infra.testing.finicity import FinicityEmulator
from fin_infra.testing.mx import MXEmulator
from tests.browser import browser, serve
from tests.pages.a11y import low_contrast
from tests.pages.helpers import (
    ALICE,
    active_element,
    assert_never_seen,
    assert_offline_under_csp,
    connect_page,
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


def provider_tokens(mx: MXEmulator, finicity: FinicityEmulator) -> list[str]:
    """Every access token our clients would accept for what the emulators hold, and Finicity's partner tokens."""
    tokens = [mx.access_token(m.user_guid, m.guid) for m in mx.backend.members.values()]
    for customer in finicity.backend.customers.values():
        tokens.append(finicity.access_token(customer.id))
        tokens.extend(finicity.access_token(customer.id, login) for login in customer.logins)
    return tokens + list(finicity.backend.tokens)


def test_connect_mx_and_finicity_through_their_widgets_offline_and_tokenless(
    browser: Any, widget_app: FastAPI, mx: MXEmulator, finicity: FinicityEmulator
) -> None:
    with connect_page(browser, widget_app) as (base, page, blocked, log):
        frame = start_connect(page, "mx")
        expect(frame.locator("h1")).to_have_text("Connect a bank with MX")
        log_in(frame, "mxuser", "any-password", institution="MX Bank")
        expect(page.locator("#status")).to_have_text("Connected MX Bank.")
        expect(page.locator("iframe")).to_have_count(0)

        frame = start_connect(page, "finicity")
        expect(frame.locator("h1")).to_have_text("Connect a bank with Finicity")
        log_in(frame, "demo", "go", institution="FinBank")
        expect(page.locator("#status")).to_have_text("Connected a bank through Finicity.")
        items = page.locator(".connection")
        expect(items).to_have_count(2)
        expect(items.filter(has_text="MX Bank")).to_contain_text("Through MX")
        expect(items.filter(has_text="Through Finicity")).to_contain_text("3 accounts")
        expect(items.locator(".status")).to_have_text(["Connected", "Connected"])
        assert active_element(page, "connect-finicity") == "connect-finicity"  # focus back on the opener
        assert low_contrast(page) == []

        rows = connections(base)
        assert sorted((r["provider"], r["status"], len(r["accounts"])) for r in rows) == [
            ("finicity", "ok", 3), ("mx", "ok", 3)]
        (member,) = mx.backend.members.values()
        (customer,) = finicity.backend.customers.values()
        assert len(customer.logins) == 1

        # the widgets handed the page ids only: no token of either provider is in the page, its storage, or
        # anything it sent or received
        tokens = provider_tokens(mx, finicity)
        assert len(tokens) >= 3
        in_page = held(page)
        assert not [token for token in tokens if token in in_page]
        assert_never_seen(tokens, log)
        exchanged = [json.loads(body) for method, url, body in log.requests if url == base + "/banking/exchange"]
        assert [e["provider"] for e in exchanged] == ["mx", "finicity"]
        assert exchanged[0]["type"] == "mx/connect/memberConnected"
        assert exchanged[0]["metadata"]["member_guid"] == member.guid
        assert exchanged[1]["customerId"] == customer.id and exchanged[1]["reason"] == "complete"

        assert_offline_under_csp(blocked, log)


def test_a_refused_login_shows_the_providers_error_in_words(
    browser: Any, widget_app: FastAPI, mx: MXEmulator, finicity: FinicityEmulator
) -> None:
    with connect_page(browser, widget_app) as (base, page, blocked, _):
        refused_login(page, "mx", "someone-else", "wrong", "The credentials entered are incorrect.")
        words = "The username or password was not correct. Check them and try again."
        expect(page.locator("#error")).to_have_text(words)  # memberStatusUpdate DENIED, read while MX is open
        page.get_by_role("button", name="Close the MX window").press("Escape")  # the keyboard closes it too
        expect(page.locator("iframe")).to_have_count(0)
        assert active_element(page, "connect-mx") == "connect-mx"
        expect(page.locator("#error")).to_have_text(words)

        frame = refused_login(page, "finicity", "demo", "not-go", "Invalid credentials.")
        frame.get_by_role("button", name="Exit").click()  # cancel, after the user event said AddAccounts failed (103)
        expect(page.locator("iframe")).to_have_count(0)
        expect(page.locator("#error")).to_have_text(words)
        assert connections(base) == []

        # a link Connect can't open ends with the SDK's error callback (the stand-in is loaded on the page now)
        launch = "url => new Promise(done => finicityConnect.launch(url, {error: done, cancel: () => done(null)}))"
        stale = finicity.base_url + "/connect/?customerId=1005000000&origin=url&signature=unknown"
        assert page.evaluate(launch, stale) == {"code": "14001", "reason": "error"}
        expect(page.locator("iframe")).to_have_count(0)
        assert blocked == []


def test_needs_reauth_reconnects_in_mx_update_mode_and_finicity_fix_mode(
    browser: Any, widget_app: FastAPI, mx: MXEmulator, finicity: FinicityEmulator
) -> None:
    with serve(widget_app) as base, page_for(browser, base) as (page, blocked, _):
        # connected through the JSON routes with what the widgets would have posted
        link = httpx.post(base + "/banking/link", json={"provider": "mx"}, headers=ALICE).json()
        event = mx.backend.connect(link["extra"]["widget_url"], password="pw")
        r = httpx.post(base + "/banking/exchange", json={"provider": "mx", **event}, headers=ALICE)
        assert r.status_code in (200, 201), r.text
        link = httpx.post(base + "/banking/link", json={"provider": "finicity"}, headers=ALICE).json()
        finicity.complete_connect(link["link_token"])
        body = {"provider": "finicity", "customerId": link["extra"]["customer_id"]}
        r = httpx.post(base + "/banking/exchange", json=body, headers=ALICE)
        assert r.status_code in (200, 201), r.text

        # the banks now need the user: MX's member is DENIED, Finicity's login has aggregation status 103
        (member,) = mx.backend.members.values()
        mx.set_status(member.guid, "DENIED")
        (customer,) = finicity.backend.customers.values()
        (login_id,) = customer.logins
        finicity.backend.set_aggregation_status(login_id, 103)
        assert httpx.get(base + "/banking/accounts", headers=ALICE).json()["errors"]  # the live calls meet them

        open_connect(page, base)
        items = page.locator(".connection")
        expect(items.locator(".status")).to_have_text(["Needs you to log in again"] * 2)
        reconnect(page, items.filter(has_text="Through MX"), "mx", "MX Bank", "mxuser", "new-password")
        reconnect(page, items.filter(has_text="Through Finicity"), "finicity", "FinBank", "demo", "go",
                  button="Reconnect", said="Reconnected")

        rows = connections(base)
        assert len(rows) == 2 and {r["status"] for r in rows} == {"ok"}  # repaired, not doubled
        assert len(mx.backend.members) == 1 and len(customer.logins) == 1
        assert httpx.get(base + "/banking/accounts", headers=ALICE).json()["errors"] == []
        assert blocked == []
