"""What the pages are served with: a strict CSP, no inline script, uPlot from this server (the vendored upstream
file, unmodified), the providers' real widget scripts in production, and the option's rules."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.pages import (
    FINICITY_CONNECT_SCRIPT,
    PLAID_LINK_SCRIPT,
    TELLER_CONNECT_SCRIPT,
    UPLOT_VERSION,
    ConnectPage,
    content_security_policy,
    widget_frame,
    widget_script,
)
from fin_infra.providers.banking.finicity import FinicityClient
from fin_infra.providers.banking.mx import MXClient
from fin_infra.providers.banking.plaid import PlaidProvider
from fin_infra.testing.finicity import FinicityEmulator
from fin_infra.testing.mx import MXEmulator
from fin_infra.testing.plaid import PlaidEmulator
from fin_infra.testing.teller import TellerEmulator
from tests.browser import serve

VENDOR = Path(__file__).resolve().parents[2] / "fin_infra" / "banking" / "pages" / "vendor" / "uplot"


def test_pages_have_a_strict_csp_and_load_only_files_of_this_server(
    page_app: FastAPI, plaid: PlaidEmulator, teller: TellerEmulator
) -> None:
    connect_origin = str(teller.connect_script_url).removesuffix("/connect/connect.js")
    with serve(page_app) as base:
        for name in ("connect", "overview"):
            r = httpx.get(f"{base}/banking/{name}")
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
            csp = r.headers["content-security-policy"]
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "default-src 'none'" in csp
            directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
            assert set(directives["script-src"].split()) == {"'self'", plaid.base_url, connect_origin}
            assert set(directives["frame-src"].split()) == {plaid.base_url, connect_origin}
            assert directives["connect-src"] == "'self'" and directives["style-src"] == "'self'"
            assert r.headers["x-content-type-options"] == "nosniff"
            # every script is a file (src=...), none inline; nothing from another host but the widget origins
            assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", r.text) == []
            assert " style=" not in r.text and "<style" not in r.text
            assert "cdn" not in r.text.lower() and "https://" not in r.text
        js = httpx.get(base + "/banking/pages/uPlot.iife.min.js")
        assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
        assert js.content == (VENDOR / "uPlot.iife.min.js").read_bytes()
        assert httpx.get(base + "/banking/pages/uPlot-LICENSE.txt").text.startswith("The MIT License")
        for bad in ("..%2Fapp.py", "__init__.py", "nope.js"):
            assert httpx.get(f"{base}/banking/pages/{bad}").status_code == 404
        # Link's stand-in is on the emulator, next to its API
        assert "Plaid.create" in httpx.get(plaid.base_url + "/link/v2/stable/link-initialize.js").text


def test_the_vendored_uplot_is_the_recorded_upstream_release() -> None:
    version = (VENDOR / "VERSION").read_text()
    assert f"uPlot {UPLOT_VERSION}" in version and (VENDOR / "LICENSE").is_file()
    for name in ("uPlot.iife.min.js", "uPlot.min.css"):
        digest = hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in version, f"{name} differs from the recorded upstream file"
    assert f"/*! https://github.com/leeoniya/uPlot (v{UPLOT_VERSION}) */" in (VENDOR / "uPlot.iife.min.js").read_text()


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No emulator host left in the environment (a README example run in this process may have set one)."""
    for name in ("PLAID_BASE_URL", "PLAID_HOST", "PLAID_ENVIRONMENT", "MX_BASE_URL", "MX_ENVIRONMENT",
                 "FINICITY_BASE_URL", "FINICITY_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("production_env")
def test_production_pages_load_the_providers_own_widgets() -> None:
    plaid = PlaidProvider(client_id="id", secret="secret", environment="production")
    assert widget_script(plaid, ConnectPage()) == PLAID_LINK_SCRIPT
    csp = content_security_policy({"plaid": PLAID_LINK_SCRIPT, "teller": TELLER_CONNECT_SCRIPT}, None)
    assert "script-src 'self' https://cdn.plaid.com https://cdn.teller.io;" in csp
    assert "frame-src https://cdn.plaid.com https://cdn.teller.io https://teller.io;" in csp


@pytest.mark.usefixtures("production_env")
def test_production_mx_and_finicity_pages_frame_the_providers_own_hosts() -> None:
    mx = MXClient(client_id="id", api_key="key", environment="production", token_secret="s")
    mx_int = MXClient(client_id="id", api_key="key", environment="integration", token_secret="s")
    finicity = FinicityClient(partner_id="1", partner_secret="s", app_key="k", environment="production")
    assert widget_script(mx, ConnectPage()) is None  # MX's widget is a URL the page frames, no script
    assert widget_frame(mx) == "https://widgets.moneydesktop.com"
    assert widget_frame(mx_int) == "https://int-widgets.moneydesktop.com"
    assert widget_script(finicity, ConnectPage()) == FINICITY_CONNECT_SCRIPT
    csp = content_security_policy({"finicity": FINICITY_CONNECT_SCRIPT}, None, {"mx": widget_frame(mx) or ""})
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self' https://connect2.finicity.com"
    assert directives["frame-src"] == "https://connect2.finicity.com https://widgets.moneydesktop.com"
    assert directives["connect-src"] == "'self'"


def test_mx_and_finicity_pages_use_the_emulators_stand_ins(
    widget_app: FastAPI, mx: MXEmulator, finicity: FinicityEmulator
) -> None:
    with serve(widget_app) as base:
        r = httpx.get(base + "/banking/connect")
        directives = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
        assert directives["script-src"] == f"'self' {finicity.base_url}"
        assert set(directives["frame-src"].split()) == {mx.base_url, finicity.base_url}
        assert "unsafe-inline" not in r.headers["content-security-policy"]
    sdk = httpx.get(finicity.base_url + "/assets/sdk/finicity-connect.min.js")
    assert sdk.status_code == 200 and "finicityConnect" in sdk.text  # served without Finicity's app key
    assert httpx.get(finicity.base_url + "/connect/v2/generate").status_code == 401  # the API still checks it
    assert httpx.get(mx.base_url + "/md/connect/no-such-token").headers["content-security-policy"].startswith(
        "default-src 'none'")


def test_connect_page_needs_connections_mode() -> None:
    with pytest.raises(ValueError, match="connections mode"):
        add_banking(FastAPI(), provider="sandbox", connect_page=True)
    with pytest.raises(TypeError, match="connect_page"):
        add_banking(FastAPI(), providers=["sandbox"], connections="memory://", current_user=lambda: "u",
                    connect_page="yes")
