"""What the page tests share: a recorded offline page signed in as a user, opening the connect page, the widgets'
frames and their login form, Reconnect through a widget, connections made through the JSON routes, and the checks
every connect test ends with (nothing left 127.0.0.1, the strict CSP held, no provider token in the page)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
from playwright.sync_api import expect

from fin_infra.testing.plaid import PlaidEmulator
from fin_infra.testing.teller import TellerEmulator
from tests.browser import offline_page, serve

ALICE = {"Cookie": "session=alice"}
TIMEOUT = 20_000
# the title of each widget's iframe (the stand-ins' own, MX's as the connect page names the frame it makes)
FRAME_TITLES = {"plaid": "Plaid Link", "teller": "Teller Connect", "mx": "MX Connect", "finicity": "Finicity Connect"}
LABELS = {"plaid": "Plaid", "teller": "Teller", "mx": "MX", "finicity": "Finicity"}


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


@contextlib.contextmanager
def connect_page(browser: Any, app: Any) -> Iterator[tuple[str, Any, list[str], Recorder]]:
    """``app`` served, and its connect page open for alice: (the app's URL, the page, blocked URLs, the log)."""
    with serve(app) as base, page_for(browser, base) as (page, blocked, log):
        open_connect(page, base)
        yield base, page, blocked, log


def widget_frame(page: Any, provider: str) -> Any:
    """The provider's widget frame on the page."""
    return page.frame_locator(f"iframe[title^='{FRAME_TITLES[provider]}']")


def start_connect(page: Any, provider: str) -> Any:
    """Click "Connect with <provider>": the widget's frame."""
    page.get_by_role("button", name=f"Connect with {LABELS[provider]}").click()
    return widget_frame(page, provider)


def log_in(frame: Any, username: str, password: str, institution: str | None = None) -> None:
    if institution is not None:
        frame.locator("#institution").select_option(label=institution)
    frame.locator("#username").fill(username)
    frame.locator("#password").fill(password)
    frame.locator("#password").press("Enter")  # the keyboard submits the form


def refused_login(page: Any, provider: str, username: str, password: str, alert: str) -> Any:
    """Connect with ``provider`` and log in with credentials it refuses: its form says ``alert``; the frame."""
    frame = start_connect(page, provider)
    log_in(frame, username, password)
    expect(frame.get_by_role("alert")).to_have_text(alert)
    return frame


def reconnect(page: Any, item: Any, provider: str, bank: str, username: str, password: str,
              button: str | None = None, said: str | None = None) -> None:
    """Reconnect ``item`` (the button ``button``, else "Reconnect <bank>"): the widget opens in update mode on
    ``bank``, the login repairs the connection, the page says so (``said``, else "Reconnected <bank>.")."""
    item.get_by_role("button", name=button or f"Reconnect {bank}").click()
    frame = widget_frame(page, provider)
    expect(frame.locator("h1")).to_have_text(f"Log in again to {bank}")
    log_in(frame, username, password)
    if said is None:
        expect(page.locator("#status")).to_have_text(f"Reconnected {bank}.")
    else:
        expect(page.locator("#status")).to_contain_text(said)
    expect(item.locator(".status")).to_have_text("Connected")


def active_element(page: Any, expected: str, timeout: float = 10) -> str:
    """The id of the page's focused element, once it is ``expected`` or after ``timeout`` seconds (document focus,
    not whether the browser window has it: a headless window beside another may not)."""
    deadline = time.monotonic() + timeout
    while True:
        found = str(page.evaluate("() => document.activeElement ? document.activeElement.id : ''"))
        if found == expected or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def held(page: Any) -> str:
    """All the page holds: its document, its storage and its frames' documents."""
    return page.content() + json.dumps(page.context.storage_state()) + "".join(f.content() for f in page.frames)


def assert_never_seen(tokens: Iterable[str], log: Recorder) -> None:
    """No token in anything the page sent or received."""
    for token in tokens:
        assert not any(token in url + body for _, url, body in log.requests)
        assert not any(token in body for _, body in log.responses)


def assert_offline_under_csp(blocked: list[str], log: Recorder) -> None:
    """Nothing left 127.0.0.1, and the strict CSP was never violated."""
    assert blocked == []
    assert all(url.startswith(("http://127.0.0.1:", "data:")) for _, url, _ in log.requests)
    assert not [m for m in log.console if "Content Security Policy" in m], log.console


def connections(base: str, user: dict[str, str] = ALICE) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = httpx.get(base + "/banking/connections", headers=user).json()["connections"]
    return rows


def wait_synced(base: str, user: dict[str, str], connection_id: str, timeout: float = 60) -> None:
    """Until the connection's first ledger sync ended (a deadline, not a speed check)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = httpx.get(f"{base}/banking/connections/{connection_id}", headers=user).json()["connection"]
        run = (body.get("sync") or {}).get("run") or {}
        if run.get("outcome") in ("ok", "error", "crashed"):
            return
        time.sleep(0.1)
    raise AssertionError(f"the first sync of {connection_id} did not end")


def connect_via_api(base: str, user: dict[str, str], plaid: PlaidEmulator | None = None,
                    teller: TellerEmulator | None = None) -> dict[str, Any]:
    """Connections made through the JSON routes (what the widgets' results would give), synced."""
    made: dict[str, Any] = {}
    if plaid is not None:
        body = {"provider": "plaid", "public_token": plaid.create_public_token("ins_109508")}
        made["plaid"] = httpx.post(f"{base}/banking/exchange", json=body, headers=user).json()["connection"]
    if teller is not None:
        body = {"provider": "teller", **teller.connect(seed="pages-test")}
        made["teller"] = httpx.post(f"{base}/banking/exchange", json=body, headers=user).json()["connection"]
    for connection in made.values():
        wait_synced(base, user, connection["id"])
    return made
