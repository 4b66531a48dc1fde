"""The connect page in a real browser (Debian's chromium): banks connected end to end through the emulators'
widgets, the provider's errors in words, Reconnect in update mode, removal; no request leaves 127.0.0.1 and the
page never holds a provider access token."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from fastapi import FastAPI
from playwright.sync_api import expect

from fin_infra.testing.plaid import PlaidEmulator
from fin_infra.testing.teller import TellerEmulator
from tests.browser import browser, offline_page, serve
from tests.pages.a11y import low_contrast
from tests.pages.conftest import connect_via_api

__all__ = ["browser"]  # the fixture, used by name

ALICE = {"Cookie": "session=alice"}
TIMEOUT = 20_000


class Recorder:
    """Every request and response of a page: URL, method, body (what the network log shows)."""

    def __init__(self, page: Any) -> None:
        self.requests: list[tuple[str, str, str]] = []
        self.responses: list[tuple[str, str]] = []
        self.console: list[str] = []
        page.on("request", lambda r: self.requests.append((r.method, r.url, r.post_data or "")))
        page.on("response", self._response)
        page.on("console", lambda m: self.console.append(m.text))

    def _response(self, response: Any) -> None:
        try:
            body = response.text()
        except Exception:  # a redirect or a body the browser no longer keeps
            body = ""
        self.responses.append((response.url, body))


@contextlib.contextmanager
def page_for(browser: Any, base: str, user: str = "alice") -> Iterator[tuple[Any, list[str], Recorder]]:
    with offline_page(browser) as (page, blocked):
        page.context.add_cookies([{"name": "session", "value": user, "url": base}])
        page.set_default_timeout(TIMEOUT)
        recorder = Recorder(page)
        yield page, blocked, recorder


def open_connect(page: Any, base: str) -> None:
    page.goto(base + "/banking/connect")
    page.wait_for_selector("body[data-loaded=true]")


def log_in(frame: Any, username: str, password: str, institution: str | None = None) -> None:
    if institution is not None:
        frame.locator("#institution").select_option(label=institution)
    frame.locator("#username").fill(username)
    frame.locator("#password").fill(password)
    frame.locator("#password").press("Enter")  # the keyboard submits the form


def active_element(page: Any, expected: str, timeout: float = 10) -> str:
    """The id of the page's focused element, once it is ``expected`` or after ``timeout`` seconds (document focus,
    not whether the browser window has it: a headless window beside another may not)."""
    deadline = time.monotonic() + timeout
    while True:
        found = str(page.evaluate("() => document.activeElement ? document.activeElement.id : ''"))
        if found == expected or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def plaid_frame(page: Any) -> Any:
    return page.frame_locator("iframe[title^='Plaid Link']")


def teller_frame(page: Any) -> Any:
    return page.frame_locator("iframe[title^='Teller Connect']")


def test_connect_plaid_and_teller_through_their_widgets_offline_and_tokenless(
    browser: Any, page_app: FastAPI, plaid: PlaidEmulator, teller: TellerEmulator
) -> None:
    with serve(page_app) as base, page_for(browser, base) as (page, blocked, log):
        open_connect(page, base)
        expect(page.locator("#empty")).to_be_visible()
        page.get_by_role("button", name="Connect with Plaid").click()
        log_in(plaid_frame(page), "user_good", "pass_good", institution="First Gingham Credit Union")
        expect(page.locator("#status")).to_have_text("Connected First Gingham Credit Union.")
        page.get_by_role("button", name="Connect with Teller").click()
        log_in(teller_frame(page), "username", "password", institution="Chase")
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
        rows = httpx.get(base + "/banking/connections", headers=ALICE).json()["connections"]
        assert sorted((r["provider"], r["institution_name"], r["status"]) for r in rows) == [
            ("plaid", "First Gingham Credit Union", "ok"), ("teller", "Chase", "ok")]

        # the tokens the providers issued are nowhere in the page, its storage or its network log
        plaid_tokens = list(plaid.backend.items)
        teller_tokens = list(teller.backend.tokens)
        assert plaid_tokens and teller_tokens
        held = page.content() + json.dumps(page.context.storage_state()) + "".join(
            f.content() for f in page.frames)
        connect_login = str(teller.connect_script_url).replace("connect.js", "login")
        for token in [*plaid_tokens, *teller_tokens]:
            assert token not in held
            assert not any(token in body for url, body in log.responses if url.startswith(base)), "the app sent one"
        for token in plaid_tokens:  # Plaid's access token never reaches the browser at all
            assert not any(token in url + body for _, url, body in log.requests)
            assert not any(token in body for _, body in log.responses)
        for token in teller_tokens:  # Teller Connect hands it to the page, which only forwards it to /exchange
            assert [(m, url) for m, url, body in log.requests if token in url + body] == [
                ("POST", base + "/banking/exchange")]
            # ... and only Connect's own login answer held it (inside Connect's frame, whose body the browser may
            # already have dropped when the frame closed)
            assert {url for url, body in log.responses if token in body} <= {connect_login}

        # nothing left 127.0.0.1, and the strict CSP was never violated
        assert blocked == []
        assert all(url.startswith(("http://127.0.0.1:", "data:")) for _, url, _ in log.requests)
        assert not [m for m in log.console if "Content Security Policy" in m], log.console


def test_a_wrong_password_shows_the_providers_error_in_words(
    browser: Any, page_app: FastAPI, plaid: PlaidEmulator, teller: TellerEmulator
) -> None:
    with serve(page_app) as base, page_for(browser, base) as (page, blocked, _):
        open_connect(page, base)
        page.get_by_role("button", name="Connect with Plaid").click()
        frame = plaid_frame(page)
        log_in(frame, "user_good", "wrong-password")
        expect(frame.get_by_role("alert")).to_have_text("The provided credentials were not correct. Please try again.")
        frame.get_by_role("button", name="Exit").click()  # the user gives up: Link's onExit carries the error
        expect(page.locator("#error")).to_have_text(
            "The username or password was not correct. Check them and try again.")
        expect(page.locator("iframe")).to_have_count(0)

        page.get_by_role("button", name="Connect with Teller").click()
        frame = teller_frame(page)
        log_in(frame, "username", "nope")
        expect(frame.get_by_role("alert")).to_have_text("The username or password is incorrect.")
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
        plaid_item = items.filter(has_text="Through Plaid")
        plaid_item.get_by_role("button", name="Reconnect First Platypus Bank").click()
        frame = plaid_frame(page)
        expect(frame.locator("h1")).to_have_text("Log in again to First Platypus Bank")
        log_in(frame, "user_good", "pass_good")
        expect(page.locator("#status")).to_have_text("Reconnected First Platypus Bank.")
        expect(plaid_item.locator(".status")).to_have_text("Connected")

        teller_item = items.filter(has_text="Through Teller")
        teller_item.get_by_role("button", name="Reconnect Security Credit Union").click()
        frame = teller_frame(page)
        expect(frame.locator("h1")).to_have_text("Log in again to Security Credit Union")
        log_in(frame, "username", "password")
        expect(page.locator("#status")).to_have_text("Reconnected Security Credit Union.")
        expect(teller_item.locator(".status")).to_have_text("Connected")

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
