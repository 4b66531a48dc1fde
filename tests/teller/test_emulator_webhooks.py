"""The Teller emulator's webhooks: signed as Teller documents, POSTed over real HTTP, recorded byte-exact.

A receiver on 127.0.0.1 records every request it gets; signatures are checked here with an HMAC
written from Teller's docs (``v1 = hex(HMAC-SHA256(secret, f"{t}.{body}"))``), not with the code
under test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fin_infra.emulators import EmulatorServer
from fin_infra.emulators.teller import EnrollmentError
from fin_infra.emulators.teller.webhooks import TellerWebhooks, signature_header
from fin_infra.testing.teller import TellerEmulator
from tests.teller.conftest import TODAY

SECRET = "whsec_emulator_test"
EVENT_ID = re.compile(r"wh_[a-z0-9]{21}")


def teller_v1(secret: str, t: str, body: bytes) -> str:
    return hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()


def parse(header: str) -> tuple[str, list[str]]:
    parts = [p.split("=", 1) for p in header.split(",")]
    assert all(len(p) == 2 for p in parts), header
    ts = [v for k, v in parts if k == "t"]
    assert len(ts) == 1 and {k for k, _ in parts} <= {"t", "v1"}, header
    return ts[0], [v for k, v in parts if k == "v1"]


@dataclass
class Got:
    body: bytes
    headers: dict[str, str]


@dataclass
class Receiver:
    """What a webhook endpoint received; ``status`` is what it answers, ``delay`` how long it stalls."""

    url: str = ""
    got: list[Got] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                self.got.append(Got(body, dict(request.headers)))
            if self.delay:
                await asyncio.sleep(self.delay)
            return Response(status_code=self.status)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    receiver = Receiver()
    with EmulatorServer(receiver.app()) as server:
        receiver.url = f"{server.base_url}/hook"
        yield receiver


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.got.clear()
    receiver_server.status, receiver_server.delay = 200, 0.0
    return receiver_server


@pytest.fixture
def hooked(teller: TellerEmulator, receiver: Receiver) -> TellerEmulator:
    assert teller.set_webhook(receiver.url, secrets=[SECRET]) == [SECRET]
    return teller


def test_signature_header_matches_the_documented_hmac() -> None:
    body = b'{"id":"wh_x","payload":{},"timestamp":"2026-02-14T09:21:07Z","type":"webhook.test"}'
    header = signature_header(body, ["whsec_a", "whsec_b"], 1771060867)
    t, sigs = parse(header)
    assert t == "1771060867" and sigs == [teller_v1("whsec_a", t, body), teller_v1("whsec_b", t, body)]
    assert header == f"t={t},v1={sigs[0]},v1={sigs[1]}"
    assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in sigs)


def test_test_webhook_is_posted_signed_and_recorded(hooked: TellerEmulator, receiver: Receiver) -> None:
    sent = hooked.send_test_webhook()
    assert sent is not None and sent.status_code == 200 and sent.error is None
    [got] = receiver.got
    assert got.body == sent.body, "the receiver gets exactly the recorded bytes"
    assert got.headers["content-type"] == "application/json"
    t, [v1] = parse(got.headers["teller-signature"])
    assert hmac.compare_digest(v1, teller_v1(SECRET, t, got.body))
    assert abs(int(t) - time.time()) < 60

    event = json.loads(got.body)
    assert list(event) == ["id", "payload", "timestamp", "type"]
    assert event["type"] == "webhook.test" and event["payload"] == {}
    assert EVENT_ID.fullmatch(event["id"]) and event["id"] == sent.event_id
    stamp = dt.datetime.strptime(event["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert abs(stamp.timestamp() - int(t)) <= 1
    assert hooked.sent_webhooks == [sent]


def test_disconnect_sends_enrollment_disconnected_once(hooked: TellerEmulator, receiver: Receiver) -> None:
    enrollment_id = hooked.connect()["enrollment"]["id"]
    sent = hooked.disconnect(enrollment_id, "mfa_required")
    assert sent is not None and sent.status_code == 200
    event = json.loads(receiver.got[0].body)
    assert event["type"] == "enrollment.disconnected"
    # The payload's reason has no "enrollment." prefix, unlike the API's error code.
    assert event["payload"] == {"enrollment_id": enrollment_id, "reason": "disconnected.user_action.mfa_required"}

    assert hooked.disconnect(enrollment_id, "mfa_required") is None, "no change, no event"
    other = hooked.disconnect(enrollment_id, "account_locked")
    assert other is not None and other.event["payload"]["reason"] == "disconnected.account_locked"
    assert len(receiver.got) == 2 and other.event_id != sent.event_id
    with pytest.raises(ValueError, match="unknown disconnect reason"):
        hooked.disconnect(enrollment_id, "bogus")


def test_transactions_processed_carries_the_api_transactions(hooked: TellerEmulator, receiver: Receiver) -> None:
    enrolled = hooked.connect(seed="webhook-tests")
    token, enrollment_id = enrolled["accessToken"], enrolled["enrollment"]["id"]
    sent = hooked.process_transactions(enrollment_id, days=3)
    assert sent is not None and sent.status_code == 200
    payload = json.loads(receiver.got[0].body)["payload"]
    assert payload["enrollment_id"] == enrollment_id

    # The same objects GET /accounts/{id}/transactions answers, for the last three days of every account.
    context = ssl.create_default_context(cafile=str(hooked.certs.ca_cert))
    context.load_cert_chain(str(hooked.certs.client_cert), str(hooked.certs.client_key))
    expected: list[dict[str, Any]] = []
    with httpx.Client(base_url=hooked.base_url, verify=context, auth=(token, "")) as api:
        since = (TODAY - dt.timedelta(days=2)).isoformat()
        for account in api.get("/accounts").json():
            expected += api.get(f"/accounts/{account['id']}/transactions", params={"start_date": since}).json()
    assert expected and payload["transactions"] == expected

    hooked.disconnect(enrollment_id)
    with pytest.raises(EnrollmentError, match="disconnected"):
        hooked.process_transactions(enrollment_id)


def test_number_verification_event(hooked: TellerEmulator, receiver: Receiver) -> None:
    enrollment_id = hooked.connect()["enrollment"]["id"]
    accounts = hooked.backend.enrollments[enrollment_id].accounts
    checking = next(a for a in accounts if a.template.type == "depository")
    card = next(a for a in accounts if a.template.type == "credit")
    sent = hooked.backend.complete_number_verification(checking.id, "expired")
    assert sent is not None
    assert json.loads(receiver.got[0].body)["payload"] == {
        "enrollment_id": enrollment_id, "account_id": checking.id, "status": "expired",
    }  # fmt: skip
    with pytest.raises(ValueError, match="depository"):
        hooked.backend.complete_number_verification(card.id)
    with pytest.raises(ValueError, match="completed"):
        hooked.backend.complete_number_verification(checking.id, "pending")


def test_rotation_signs_with_both_secrets_until_the_old_one_expires(receiver: Receiver) -> None:
    now = [1_771_060_867.0]
    hooks = TellerWebhooks(clock=lambda: now[0])
    hooks.configure(receiver.url, ["whsec_old"])
    new = hooks.rotate_secret("whsec_new", expire_old_in=600)
    assert new == "whsec_new" and hooks.live_secrets() == ["whsec_old", "whsec_new"]

    rotating = hooks.send("webhook.test", {})
    assert rotating is not None
    t, sigs = parse(receiver.got[-1].headers["teller-signature"])
    body = receiver.got[-1].body
    assert t == "1771060867" and sigs == [teller_v1("whsec_old", t, body), teller_v1("whsec_new", t, body)]
    assert rotating.signatures == sigs

    now[0] += 601
    after = hooks.send("webhook.test", {})
    assert after is not None and hooks.live_secrets() == ["whsec_new"]
    t, sigs = parse(receiver.got[-1].headers["teller-signature"])
    assert sigs == [teller_v1("whsec_new", t, receiver.got[-1].body)]


def test_redeliver_is_the_same_event_freshly_signed(receiver: Receiver) -> None:
    now = [1_771_060_867.0]
    hooks = TellerWebhooks(clock=lambda: now[0])
    hooks.configure(receiver.url, [SECRET])
    first = hooks.send("webhook.test", {})
    assert first is not None
    now[0] += 30
    again = hooks.redeliver(first.event_id)
    assert (again.event_id, again.body) == (first.event_id, first.body)
    t, [v1] = parse(again.headers["Teller-Signature"])
    assert t == "1771060897" and v1 == teller_v1(SECRET, t, first.body)
    assert [g.body for g in receiver.got] == [first.body, first.body]
    with pytest.raises(KeyError):
        hooks.redeliver("wh_never_sent")


def test_receiver_answers_and_failures_are_recorded(hooked: TellerEmulator, receiver: Receiver) -> None:
    receiver.status = 500
    sent = hooked.send_test_webhook()
    assert sent is not None and (sent.status_code, sent.error) == (500, None)

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    hooked.set_webhook(f"http://127.0.0.1:{closed}/hook")
    unreachable = hooked.send_test_webhook()
    assert unreachable is not None and unreachable.status_code is None and unreachable.error == "ConnectError"
    assert [s.status_code for s in hooked.sent_webhooks] == [500, None]


def test_a_stalling_receiver_is_cut_off_by_the_timeout(receiver: Receiver) -> None:
    receiver.delay = 1.0
    hooks = TellerWebhooks(timeout=0.2)
    hooks.configure(receiver.url, [SECRET])
    sent = hooks.send("webhook.test", {})
    assert sent is not None and sent.status_code is None and sent.error == "ReadTimeout"


def test_without_a_url_nothing_is_sent_and_bad_settings_are_refused(teller: TellerEmulator) -> None:
    enrollment_id = teller.connect()["enrollment"]["id"]
    assert teller.disconnect(enrollment_id) is None and teller.send_test_webhook() is None
    assert teller.sent_webhooks == []
    assert "TELLER_WEBHOOK_SECRETS" not in teller.env()
    with pytest.raises(ValueError, match="absolute http"):
        teller.set_webhook("/relative/hook")
    with pytest.raises(ValueError, match="list of non-empty strings"):
        teller.set_webhook("http://127.0.0.1:9/hook", secrets="whsec_not_a_list")
    with pytest.raises(ValueError, match="unknown Teller webhook type"):
        teller.backend.webhooks.send("transactions.created", {})


def test_generated_secret_env_and_reset(teller: TellerEmulator, receiver: Receiver) -> None:
    [secret] = teller.set_webhook(receiver.url)
    assert len(secret) >= 32
    assert teller.env()["TELLER_WEBHOOK_SECRETS"] == secret
    new = teller.rotate_webhook_secret()
    assert teller.env()["TELLER_WEBHOOK_SECRETS"] == f"{secret},{new}"
    sent = teller.send_test_webhook()
    assert sent is not None and len(sent.signatures) == 2
    teller.reset()
    assert teller.sent_webhooks == [] and teller.backend.webhooks.url is None


def test_http_controls_configure_and_fire(teller: TellerEmulator, receiver: Receiver) -> None:
    context = ssl.create_default_context(cafile=str(teller.certs.ca_cert))
    context.load_cert_chain(str(teller.certs.client_cert), str(teller.certs.client_key))
    with httpx.Client(base_url=teller.base_url, verify=context) as control:
        configured = control.post("/_emulator/webhook", json={"url": receiver.url, "secrets": [SECRET]})
        assert configured.json() == {"url": receiver.url, "secrets": [SECRET]}
        enrollment_id = control.post("/_emulator/enrollments", json={}).json()["enrollment"]["id"]

        fired = control.post(
            "/_emulator/webhooks",
            json={"type": "enrollment.disconnected", "enrollment_id": enrollment_id, "reason": "credentials_invalid"},
        )
        assert fired.status_code == 200 and fired.json()["sent"]["status_code"] == 200
        event = json.loads(receiver.got[-1].body)
        assert event["id"] == fired.json()["sent"]["id"]
        assert event["payload"]["reason"] == "disconnected.credentials_invalid"

        assert control.post("/_emulator/webhooks", json={"type": "nope"}).status_code == 422
        missing = control.post("/_emulator/webhooks", json={"type": "transactions.processed", "enrollment_id": "enr_x"})
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        assert control.post("/_emulator/webhook", json={"url": "ftp://x"}).status_code == 422
