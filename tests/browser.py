"""A real headless browser for page tests: Debian's chromium driven by Playwright, with no network.

    from tests.browser import browser, serve, offline_page   # fixtures and helpers

    def test_page(browser):
        with serve(app) as base, offline_page(browser) as (page, blocked):
            page.goto(base + "/banking/docs")

Chromium comes from the distribution (``scripts/ensure-browser.sh`` installs it for ``make test``); Playwright
never downloads a browser of its own. Every request to anything but 127.0.0.1 is aborted and recorded, so a
page that needs the internet fails its test.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("FIN_INFRA_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless chromium for one test (skips, saying why, where it isn't installed).

    Per test on purpose: Playwright's synchronous API keeps its event loop marked as running in this thread
    while it is open, which would stop the async tests that follow from starting theirs."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no chromium at {CHROMIUM}: scripts/ensure-browser.sh installs Debian's (apt-get, as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is missing: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def offline_page(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A fresh page whose requests to any host but 127.0.0.1 are aborted; yields (page, blocked URLs)."""
    context = browser.new_context()
    blocked: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    try:
        yield page, blocked
    finally:
        context.close()


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an ASGI app over real HTTP on 127.0.0.1 (a free port) with its lifespan; yields the base URL."""
    import threading
    import time

    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
