"""End to end over real HTTP: an app with ``add_banking(app, provider="finicity")`` against the Finicity emulator.

Two servers on 127.0.0.1: the emulator and the app. The app's user links a bank (Data Connect URL), the
emulator completes Connect and POSTs the signed ``added`` event to the app's webhook route, the app
exchanges the event for an access token and serves every banking route with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request

from fin_infra.banking import add_banking, easy_banking
from fin_infra.banking.webhooks import Webhooks, verify_finicity_webhook
from fin_infra.emulators import EmulatorServer
from fin_infra.providers.banking.finicity import FinicityClient
from fin_infra.testing.finicity import FinicityEmulator
from tests.finicity.conftest import TODAY
from tests.webhooks.received import Received


@pytest.fixture
def app_url(finicity: FinicityEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Received]]:
    for key, value in finicity.env().items():
        monkeypatch.setenv(key, value)
    webhooks = Webhooks()
    received = Received()
    webhooks.add_handler(received.add, "*", provider="finicity")
    app = FastAPI()
    provider = add_banking(app, provider="finicity", webhooks=webhooks)
    assert isinstance(provider, FinicityClient)
    with EmulatorServer(app) as server:
        yield server.base_url, received


def test_link_connect_webhook_exchange_and_every_route(
    app_url: tuple[str, Received], finicity: FinicityEmulator
) -> None:
    base, received = app_url
    hook = f"{base}/banking/webhooks/finicity"
    with httpx.Client(base_url=base, timeout=20) as http:
        link = http.post("/banking/link", json={"user_id": "user-7", "webhook": hook})
        assert link.status_code == 200, link.text
        assert link.json()["provider"] == "finicity" and link.json()["link_token"].startswith(finicity.base_url)

        finicity.complete_connect(link.json()["link_token"])  # the user finishes Data Connect
        [sent] = finicity.sent_webhooks
        assert sent.status_code == 200 and sent.headers["X-Finicity-Signature"]
        [event] = received.wait_for(1)
        assert (event.provider, event.type, event.code) == ("finicity", "added", None)
        assert event.delivery_id == f"finicity:{sent.event['eventId']}"

        exchanged = http.post("/banking/exchange", json=event.payload)
        assert exchanged.status_code == 200, exchanged.text
        token = exchanged.json()["access_token"]
        assert exchanged.json()["item_id"] == event.item_id
        auth = {"Authorization": f"Bearer {token}"}

        accounts = http.get("/banking/accounts", headers=auth).json()
        assert accounts["count"] == 3 and {a["type"] for a in accounts["accounts"]} == {"depository", "credit"}
        txns = http.get("/banking/transactions", headers=auth, params={
            "start_date": (TODAY - dt.timedelta(days=30)).isoformat(), "end_date": TODAY.isoformat(), "page_size": 20,
        }).json()  # fmt: skip
        assert txns["total"] > 20 and len(txns["transactions"]) == 20 and txns["has_next"]
        balances = http.get("/banking/balances", headers=auth).json()
        assert balances["count"] == 3
        identity = http.get("/banking/identity", headers=auth).json()
        assert identity["owners"][0]["name"]

        # Finicity retrying the delivery, and someone replaying or altering it
        retry = finicity.redeliver_webhook(sent.event_id)
        assert retry.status_code == 200 and b"duplicate" in retry.response_body
        forged = sent.body.replace(b'"added"', b'"accountsDeleted"')
        assert httpx.post(hook, content=forged, headers=sent.headers).status_code == 401
        assert httpx.post(hook, content=sent.body).status_code == 401  # unsigned
        assert len(received.events) == 1

        # a login that needs the user: 400 item_login_required, and /link in fix mode
        finicity.set_aggregation_status(event.item_id.split(":")[1], 103)  # type: ignore[union-attr]
        broken = http.get("/banking/accounts", headers=auth)
        assert broken.status_code == 400 and broken.json()["code"] == "item_login_required"
        assert broken.json()["provider_code"] == "aggregation_103"
        fix = http.post("/banking/link", json={"user_id": "user-7"}, headers=auth)
        assert fix.status_code == 200 and fix.json()["mode"] == "update"

        refused = http.get("/banking/accounts", headers={"Authorization": "Bearer fcy1.1005061234..forged"})
        assert refused.status_code == 401 and refused.json()["code"] == "invalid_credentials"
        bad_exchange = http.post("/banking/exchange", json={"eventType": "added"})
        assert bad_exchange.status_code == 422


def test_webhook_verifier_matches_the_emulators_signature(finicity: FinicityEmulator) -> None:
    customer = finicity.create_customer()
    received: list[Any] = []
    app = FastAPI()

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, bool]:
        ok = verify_finicity_webhook(request.headers, await request.body(), [finicity.backend.partner_secret])
        received.append(ok)
        return {"ok": ok}

    with EmulatorServer(app) as server:
        sent = finicity.backend.send_event(f"{server.base_url}/raw", customer, "ping")
    assert sent.status_code == 200 and received == [True]
    assert not verify_finicity_webhook(sent.headers, sent.body, ["another-secret"])
    assert verify_finicity_webhook(sent.headers, sent.event, [finicity.backend.partner_secret])  # parsed dict


def test_easy_banking_detects_finicity(finicity: FinicityEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    env = finicity.env()
    env.pop("FIN_INFRA_BANKING_PROVIDER")
    for key in ("FIN_INFRA_BANKING_PROVIDER", "TELLER_CERTIFICATE_PATH", "TELLER_CERT_PATH", "PLAID_CLIENT_ID"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    banking = easy_banking()
    assert isinstance(banking, FinicityClient)
    token = finicity.create_access_token()
    assert len(banking.accounts(access_token=token)) == 3
    banking.close()
