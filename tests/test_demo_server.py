"""The demo command really serves: uvicorn on a free port, real HTTP, and its access log never shows a token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN
from tests.browser import browser, offline_page

__all__ = ["browser"]  # the fixture, used by name

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's temporary folder (TMPDIR), to see what it leaves behind."""
    return tmp_path_factory.mktemp("demo-tmp")


@pytest.fixture(scope="module")
def demo(demo_tmp: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    # The command `make demo` runs, on a free port (the Makefile's PORT variable sets it too).
    env = {k: v for k, v in os.environ.items() if k != "FIN_INFRA_DATABASE_URL"} | {"TMPDIR": str(demo_tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "examples.demo_app:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/banking/openapi.json", timeout=1)
            break
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                out, _ = proc.communicate(timeout=10)
                raise RuntimeError("the demo app did not start:\n" + out) from None
            time.sleep(0.1)
    yield base, proc
    proc.terminate()
    proc.communicate(timeout=10)


def test_docs_and_accounts_over_real_http(demo: tuple[str, subprocess.Popen[str]], demo_tmp: Path) -> None:
    base, _ = demo
    (folder,) = demo_tmp.glob("fin-infra-demo-*")  # this run's own history database, not a shared fixed file
    assert (folder / "history.db").is_file()
    docs = httpx.get(base + "/banking/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    r = httpx.get(base + "/banking/accounts", headers={"Authorization": f"Bearer {DEMO_ACCESS_TOKEN}"})
    assert r.status_code == 200 and r.json()["count"] == 3
    account = r.json()["accounts"][0]["id"]
    history = httpx.get(base + "/banking/balance-history", params={"account_id": account},
                        headers={"Authorization": f"Bearer {DEMO_ACCESS_TOKEN}"})
    assert history.status_code == 200 and history.json()["count"] > 0, "the demo seeds balance history"


def test_a_newcomer_connects_a_sandbox_bank_and_sees_accounts_transactions_and_the_chart(
    demo: tuple[str, subprocess.Popen[str]], browser: Any
) -> None:
    from playwright.sync_api import expect

    base, _ = demo
    with offline_page(browser) as (page, blocked):
        page.set_default_timeout(30_000)
        page.goto(base + "/")
        expect(page).to_have_url(base + "/my/connect")
        page.get_by_role("button", name="Connect with Plaid").click()
        frame = page.frame_locator("iframe[title^='Plaid Link']")
        expect(frame.locator(".hint")).to_contain_text("user_good")  # the sandbox credentials are on the form
        frame.locator("#username").fill("user_good")
        frame.locator("#password").fill("pass_good")
        frame.get_by_role("button", name="Continue").click()
        expect(page.locator(".connection .status")).to_have_text(["Connected"])
        page.get_by_role("link", name="Overview").click()
        expect(page.locator(".account")).to_have_count(3)
        expect(page.locator("#transactions tbody tr").first).to_be_visible()
        chart = page.locator("#chart-networth")
        expect(chart.locator("canvas")).to_have_count(1)
        assert int(chart.get_attribute("data-points") or 0) > 60, "the demo fills 90 days of history"
        assert blocked == []


def test_access_log_never_shows_the_token(demo: tuple[str, subprocess.Popen[str]]) -> None:
    base, proc = demo
    secret = "access-sandbox-ins_sandbox_chase-0123456789abcdef-deadbeef"
    httpx.get(base + f"/banking/accounts?access_token={DEMO_ACCESS_TOKEN}&x=1")
    httpx.get(base + f"/banking/accounts?access_token={secret}")
    httpx.get(base + "/banking/accounts", headers={"Authorization": f"Bearer {secret}"})
    httpx.get(base + "/banking/identity?access_token=plainsecretvalue")
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    assert "GET /banking/accounts?access_token=[REDACTED]" in out, out[-2000:]
    for leaked in (DEMO_ACCESS_TOKEN, secret, "plainsecretvalue"):
        assert leaked not in out


def test_the_demo_keeps_its_database_to_itself_and_removes_it(
    demo: tuple[str, subprocess.Popen[str]], demo_tmp: Path
) -> None:
    _, proc = demo
    if proc.poll() is None:
        proc.terminate()
        proc.communicate(timeout=10)
    assert list(demo_tmp.iterdir()) == []
