"""End to end over real HTTP for Teller webhooks.

The Teller emulator does not send webhooks (its README lists them under "does not reproduce"), so
`TellerWebhookSender` below stands in for Teller's delivery side: it signs exactly as Teller's docs
describe (``Teller-Signature: t=...,v1=...``, one ``v1`` per live secret) and POSTs over real HTTP.
The enrollment comes from the Teller emulator (HTTPS + mTLS) and the app mounts the Teller provider
pointed at it. When the emulator gains webhook delivery, replace the sender with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.webhooks import WebhookEvent, Webhooks
from fin_infra.emulators import EmulatorServer
from fin_infra.testing import serve_teller_emulator

NEW, OLD = "whsec_e2e_new", "whsec_e2e_old"


class TellerWebhookSender:
    """Teller's side of a delivery: one event id, signed with every live secret, posted as raw JSON."""

    def __init__(self, url: str, secrets: list[str]) -> None:
        self.url = url
        self.secrets = secrets

    def event(self, event_type: str, payload: dict[str, Any], event_id: str) -> bytes:
        body = {"id": event_id, "type": event_type, "timestamp": "2026-02-14T09:21:07Z", "payload": payload}
        return json.dumps(body).encode()

    def post(self, body: bytes, *, t: int | None = None, secrets: list[str] | None = None) -> httpx.Response:
        ts = int(time.time()) if t is None else t
        message = f"{ts}.".encode() + body
        v1 = [hmac.new(s.encode(), message, hashlib.sha256).hexdigest() for s in (secrets or self.secrets)]
        header = ",".join([f"t={ts}", *(f"v1={sig}" for sig in v1)])
        return httpx.post(
            self.url, content=body, headers={"Teller-Signature": header, "Content-Type": "application/json"}
        )


class Received:
    def __init__(self) -> None:
        self.events: list[WebhookEvent] = []
        self._cond = threading.Condition()

    def add(self, event: WebhookEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[WebhookEvent]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.events) >= count, timeout), f"{len(self.events)} < {count}"
            return list(self.events)


@pytest.fixture
def running() -> Iterator[tuple[Any, Received, str]]:
    with serve_teller_emulator() as teller:
        webhooks = Webhooks(teller_secrets=[NEW, OLD])  # the app lists both while Teller rotates
        received = Received()

        @webhooks.on("enrollment.disconnected", provider="teller")
        async def disconnected(event: WebhookEvent) -> None:
            received.add(event)

        app = FastAPI()
        add_banking(app, provider=teller.client(), webhooks=webhooks)
        with EmulatorServer(app) as server:
            yield teller, received, f"{server.base_url}/banking/webhooks/teller"


def test_signed_event_reaches_the_handler_exactly_once(running: tuple[Any, Received, str]) -> None:
    teller, received, url = running
    enrollment_id = teller.connect()["enrollment"]["id"]
    sender = TellerWebhookSender(url, [NEW])
    body = sender.event(
        "enrollment.disconnected", {"enrollment_id": enrollment_id, "reason": "disconnected.mfa"}, "wh_e2e_1"
    )

    first = sender.post(body)
    assert first.status_code == 200 and first.json() == {"status": "accepted"}
    [event] = received.wait_for(1)
    assert (event.provider, event.type, event.code, event.item_id) == (
        "teller",
        "enrollment.disconnected",
        None,
        enrollment_id,
    )

    # Teller re-sending the same event (new t, new signature) and an attacker replaying the exact request.
    assert sender.post(body, t=int(time.time()) - 5).json() == {"status": "duplicate"}
    assert sender.post(body).json() == {"status": "duplicate"}
    assert len(received.events) == 1


def test_rotation_and_forgeries(running: tuple[Any, Received, str]) -> None:
    teller, received, url = running
    enrollment_id = teller.connect()["enrollment"]["id"]
    payload = {"enrollment_id": enrollment_id, "reason": "disconnected.account_locked"}
    rotating = TellerWebhookSender(url, [OLD, NEW])  # Teller signs with both until the old secret expires
    assert rotating.post(rotating.event("enrollment.disconnected", payload, "wh_e2e_2")).status_code == 200
    received.wait_for(1)

    attacker = TellerWebhookSender(url, ["whsec_guess"])
    forged = attacker.post(attacker.event("enrollment.disconnected", payload, "wh_e2e_3"))
    assert forged.status_code == 401 and forged.json()["code"] == "webhook_unverified"
    stale = rotating.post(rotating.event("enrollment.disconnected", payload, "wh_e2e_4"), t=int(time.time()) - 600)
    assert stale.status_code == 401
    unsigned = httpx.post(url, content=rotating.event("enrollment.disconnected", payload, "wh_e2e_5"))
    assert unsigned.status_code == 401
    assert len(received.events) == 1
