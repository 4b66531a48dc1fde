"""MX webhooks end to end over real HTTP: the MX emulator posts them with HTTP Basic credentials to a running app.

Two servers on 127.0.0.1: the MX emulator and an app mounting the MX provider pointed at it with
``add_banking(webhooks=...)``. A status change at the bank, or a job the client runs, makes the emulator
POST a JSON event; the app checks the credentials (constant time), answers 200 and runs the handler once.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import jsonschema
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.webhooks import Webhooks, check_mx_webhook, verify_mx_webhook
from fin_infra.emulators import EmulatorServer
from fin_infra.testing.mx import MXEmulator
from tests.mx import schemas
from tests.mx.conftest import FAST
from tests.webhooks.received import Received

USER, PASSWORD = "mx-hooks", "s3cret-hook-password"


@pytest.fixture
def running(mx: MXEmulator) -> Iterator[tuple[Received, str]]:
    webhooks = Webhooks(mx_credentials=(USER, PASSWORD))
    received = Received()
    webhooks.add_handler(received.add, "*", provider="mx")
    app = FastAPI()
    add_banking(app, provider=mx.client(**FAST), webhooks=webhooks)
    with EmulatorServer(app) as server:
        url = f"{server.base_url}/banking/webhooks/mx"
        mx.set_webhook(url, USER, PASSWORD)
        yield received, url


def test_connection_status_reaches_the_handler_once(mx: MXEmulator, running: tuple[Received, str]) -> None:
    received, _ = running
    token = mx.create_access_token("hooked")
    member = mx.member_of(token)
    mx.set_status(member, "CHALLENGED")
    [sent] = mx.drain_webhooks()
    assert sent.status_code == 200 and b"accepted" in sent.response_body
    jsonschema.validate(sent.event, schemas.WEBHOOK_CONNECTION_STATUS)
    [event] = received.wait_for(1)
    assert (event.provider, event.type, event.code, event.item_id) == ("mx", "CONNECTION_STATUS", "CHANGED", member)
    assert event.payload["connection_status"] == "CHALLENGED"
    retry = mx.backend.webhooks.redeliver()  # MX retrying: the same bytes
    assert retry.status_code == 200 and b"duplicate" in retry.response_body
    mx.set_status(member, "CONNECTED")  # no webhook for CONNECTED (MX notifies the states that need the user)
    assert len(mx.drain_webhooks()) == 2
    assert len(received.events) == 1


async def test_jobs_send_member_data_updated(mx: MXEmulator, running: tuple[Received, str]) -> None:
    received, _ = running
    token = mx.create_access_token("hooked-2")
    async with mx.client(**FAST) as client:
        await client.get_balances(token, fresh=True)
    sent = mx.drain_webhooks()
    kinds = [s.event["type"] for s in sent]
    assert kinds == ["AGGREGATION", "BALANCE"], "the first aggregation, then check_balance"
    for s in sent:
        jsonschema.validate(s.event, schemas.WEBHOOK_MEMBER_DATA)
        assert s.status_code == 200
    events = received.wait_for(2)
    assert {e.type for e in events} == {"AGGREGATION", "BALANCE"}
    balance = next(e for e in events if e.type == "BALANCE")
    assert balance.code == "member_data_updated"
    assert len(balance.payload["accounts"]) == 3


def test_wrong_or_missing_credentials_are_refused(mx: MXEmulator, running: tuple[Received, str]) -> None:
    received, url = running
    body = b'{"type":"CONNECTION_STATUS","action":"CHANGED","member_guid":"MBR-1","user_guid":"USR-1"}'
    for auth in (None, (USER, "wrong"), ("someone", PASSWORD)):
        response = httpx.post(url, content=body, auth=auth, headers={"Content-Type": "application/json"})
        assert response.status_code == 401 and response.json()["code"] == "webhook_unverified"
        assert PASSWORD not in response.text
    mx.set_webhook(url, USER, "an-old-password")
    mx.set_status(mx.member_of(mx.create_access_token("hooked-3")), "LOCKED")
    [sent] = mx.drain_webhooks()
    assert sent.status_code == 401
    assert received.events == []


def test_verifier_directly() -> None:
    good = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
    assert verify_mx_webhook(good, b"{}", (USER, PASSWORD))
    as_bytes, as_text = check_mx_webhook(good, b"{}", (USER, PASSWORD)), check_mx_webhook(good, "{}", (USER, PASSWORD))
    assert as_bytes.delivery_id == as_text.delivery_id
    assert check_mx_webhook({}, b"{}", (USER, PASSWORD)).reason == "missing_credentials"
    assert check_mx_webhook({"Authorization": "Basic !!"}, b"{}", (USER, PASSWORD)).reason == "malformed_header"
    assert check_mx_webhook({"Authorization": "Bearer x"}, b"{}", (USER, PASSWORD)).reason == "malformed_header"
    assert check_mx_webhook(good, b"{}", None).reason == "not_configured"


def test_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    good = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
    monkeypatch.setenv("MX_WEBHOOK_USERNAME", USER)
    monkeypatch.setenv("MX_WEBHOOK_PASSWORD", PASSWORD)
    assert verify_mx_webhook(good, b"{}")
    monkeypatch.setenv("MX_WEBHOOK_PASSWORD", "rotated")
    assert not verify_mx_webhook(good, b"{}")

