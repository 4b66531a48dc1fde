"""End to end over real HTTP: the Teller emulator signs and posts webhooks to a running app.

Two servers on 127.0.0.1: the Teller emulator (HTTPS + mTLS for its API) and an app mounting the
Teller provider pointed at it with ``add_banking(webhooks=...)``. The emulator's ``disconnect`` /
``process_transactions`` POST a ``Teller-Signature``-signed event to the app, which verifies it with
``TELLER_WEBHOOK_SECRETS``, answers 200 and runs the handler once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.webhooks import Webhooks
from fin_infra.emulators import EmulatorServer
from fin_infra.testing import serve_teller_emulator
from tests.webhooks.received import Received

FIRST, NEXT = "whsec_e2e_first", "whsec_e2e_next"


@pytest.fixture
def running(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Webhooks, Received, str]]:
    with serve_teller_emulator() as teller:
        webhooks = Webhooks()  # secrets from TELLER_WEBHOOK_SECRETS, read per delivery
        received = Received()
        webhooks.add_handler(received.add, "*", provider="teller")
        app = FastAPI()
        add_banking(app, provider=teller.client(), webhooks=webhooks)
        with EmulatorServer(app) as server:
            url = f"{server.base_url}/banking/webhooks/teller"
            teller.set_webhook(url, secrets=[FIRST])
            monkeypatch.setenv("TELLER_WEBHOOK_SECRETS", teller.env()["TELLER_WEBHOOK_SECRETS"])
            yield teller, webhooks, received, url


def test_disconnect_reaches_the_handler_exactly_once(running: tuple[Any, Webhooks, Received, str]) -> None:
    teller, _, received, url = running
    enrollment_id = teller.connect()["enrollment"]["id"]

    sent = teller.disconnect(enrollment_id, "mfa_required")
    assert sent is not None and sent.status_code == 200, sent
    [event] = received.wait_for(1)
    assert (event.provider, event.type, event.code, event.item_id) == (
        "teller",
        "enrollment.disconnected",
        None,
        enrollment_id,
    )
    assert event.payload["payload"]["reason"] == "disconnected.user_action.mfa_required"
    assert event.delivery_id == f"teller:{sent.event_id}"

    # Teller retrying the event (same body, fresh t and signature), and an attacker replaying the bytes.
    retry = teller.redeliver_webhook(sent.event_id)
    assert retry.status_code == 200 and b"duplicate" in retry.response_body
    replay = httpx.post(url, content=sent.body, headers=sent.headers)
    assert replay.status_code == 200 and replay.json() == {"status": "duplicate"}
    # ... or altering them: 401.
    forged = sent.body.replace(b"mfa_required", b"account_locked")
    assert httpx.post(url, content=forged, headers=sent.headers).status_code == 401
    assert len(received.events) == 1


def test_secret_rotation(running: tuple[Any, Webhooks, Received, str], monkeypatch: pytest.MonkeyPatch) -> None:
    teller, _, received, _ = running
    enrollment_id = teller.connect()["enrollment"]["id"]

    # Teller signs with both secrets while the first one lives out its expiry: the app, still
    # configured with only the first, accepts; so does an app that already moved to the next.
    teller.rotate_webhook_secret(NEXT, expire_old_in=3600)
    sent = teller.process_transactions(enrollment_id)
    assert sent is not None and len(sent.signatures) == 2 and sent.status_code == 200
    [event] = received.wait_for(1)
    assert event.type == "transactions.processed" and event.payload["payload"]["transactions"]

    monkeypatch.setenv("TELLER_WEBHOOK_SECRETS", f"{NEXT},{FIRST}")
    assert teller.send_test_webhook().status_code == 200
    assert received.wait_for(2)[1].type == "webhook.test"

    # The first secret expires; an app that never learnt the next one now refuses (and runs nothing).
    teller.rotate_webhook_secret("whsec_e2e_third", expire_old_in=0)
    monkeypatch.setenv("TELLER_WEBHOOK_SECRETS", FIRST)
    refused = teller.send_test_webhook()
    assert refused.status_code == 401 and len(refused.signatures) == 1
    assert len(received.events) == 2
