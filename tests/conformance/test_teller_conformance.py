"""Conformance: every JSON body the Teller emulator can produce validates against our schemas of Teller's shapes.

Success bodies for every route of Teller's API it serves (the test fails if a route has none), error
bodies for every error it can answer, and webhook bodies for every event type, each checked against
`tests.conformance.teller_schemas`.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from fin_infra.emulators.teller import create_app
from fin_infra.emulators.teller.app import CONTROL_PREFIX
from fin_infra.emulators.teller.errors import DISCONNECT_REASONS, STATUS_CODES, emitted_codes
from fin_infra.emulators.teller.webhooks import EVENT_TYPES
from fin_infra.testing.teller import TellerEmulator, serve_teller_emulator
from tests.conformance import teller_schemas as schemas
from tests.conformance.schema import errors
from tests.emulator_fixtures import served

UNREACHABLE = "http://127.0.0.1:9/hooks"  # deliveries fail fast, and are still recorded byte for byte


def _api_routes() -> set[str]:
    from fin_infra.emulators.teller import TellerBackend

    app = create_app(TellerBackend())
    return {r.path for r in app.routes if isinstance(r, Route) and not r.path.startswith(CONTROL_PREFIX)}


class Teller:
    """Calls the emulator over HTTPS and checks each answer against the schemas."""

    def __init__(self, emulator: TellerEmulator, client: httpx.Client) -> None:
        self.emulator = emulator
        self.http = client
        self.succeeded: set[str] = set()
        self.error_codes: set[str] = set()

    def ok(self, route: str, token: str | None, method: str = "GET", **params: Any) -> Any:
        path = route.format(**params.pop("path", {}))
        response = self.http.request(method, path, params=params, auth=(token, "") if token else None)
        if method == "DELETE":
            assert response.status_code == 204 and response.content == b"", (path, response.text)
            self.succeeded.add(f"DELETE {route}")
            return None
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        body = response.json()
        problems = errors(schemas.RESPONSES[route], body)
        assert not problems, f"{path}: {problems}"
        self.succeeded.add(route)
        return body

    def fail(self, path: str, token: str | None, status: int, method: str = "GET", **params: Any) -> str:
        response = self.http.request(method, path, params=params, auth=(token, "") if token else None)
        assert response.status_code == status, (path, response.status_code, response.text)
        body = response.json()
        problems = errors(schemas.ERROR, body)
        assert not problems, f"{path} {status}: {problems}\n{body}"
        code: str = body["error"]["code"]
        self.error_codes.add(code)
        return code


emulator = served(serve_teller_emulator, scope="module")


@pytest.fixture
def teller(emulator: TellerEmulator) -> Iterator[Teller]:
    emulator.reset()
    context = ssl.create_default_context(cafile=str(emulator.certs.ca_cert))
    context.load_cert_chain(str(emulator.certs.client_cert), str(emulator.certs.client_key))
    with httpx.Client(base_url=emulator.base_url, verify=context) as client:
        yield Teller(emulator, client)
    emulator.reset()


def test_every_success_body(teller: Teller) -> None:
    token = teller.emulator.enroll(accounts=5)
    teller.ok("/", None)
    teller.ok("/institutions", None)
    accounts = teller.ok("/accounts", token)
    statuses = set()
    for account in accounts:
        ids = {"account_id": account["id"]}
        teller.ok("/accounts/{account_id}", token, path=ids)
        teller.ok("/accounts/{account_id}/balances", token, path=ids)
        if account["type"] == "depository":
            teller.ok("/accounts/{account_id}/details", token, path=ids)
        rows = teller.ok("/accounts/{account_id}/transactions", token, path=ids)
        statuses |= {r["status"] for r in rows}
        teller.ok("/accounts/{account_id}/transactions", token, path=ids, count=3, from_id=rows[5]["id"],
                  start_date="2000-01-01", end_date="2100-01-01")  # fmt: skip
        teller.ok("/accounts/{account_id}/transactions/{txn_id}", token, path={**ids, "txn_id": rows[0]["id"]})
    assert statuses == {"pending", "posted"}
    teller.ok("/identity", token)
    teller.emulator.backend.close_account(accounts[0]["id"])
    closed = next(a for a in teller.ok("/accounts", token) if a["id"] == accounts[0]["id"])  # still listed
    assert closed["status"] == "closed" and set(closed["links"]) == {"self"}
    development = teller.emulator.enroll(environment="development")
    teller.ok("/accounts", development)
    teller.ok("/accounts/{account_id}", token, "DELETE", path={"account_id": accounts[1]["id"]})
    teller.ok("/accounts", token, "DELETE")
    routes = _api_routes()
    assert set(schemas.RESPONSES) == routes, "a route without a schema, or a schema for no route"
    assert routes <= teller.succeeded, f"routes without a checked success body: {routes - teller.succeeded}"


def test_every_error_body(teller: Teller, emulator: TellerEmulator) -> None:
    token = emulator.enroll()
    accounts = teller.ok("/accounts", token)
    card = next(a["id"] for a in accounts if a["type"] == "credit")
    checking = accounts[0]["id"]
    teller.fail("/accounts", None, 401)
    teller.fail("/accounts", "test_token_nope", 403)
    teller.fail("/accounts/acc_nope", token, 404)
    teller.fail(f"/accounts/{card}/details", token, 404)
    teller.fail(f"/accounts/{checking}/transactions/txn_nope", token, 404)
    teller.fail(f"/accounts/{checking}/transactions", token, 404, from_id="txn_nope")
    teller.fail(f"/accounts/{checking}/transactions", token, 400, count="x")
    teller.fail(f"/accounts/{checking}/transactions", token, 400, start_date="someday")
    teller.fail(f"/accounts/{checking}/transactions", token, 400, start_date="2025-02-01", end_date="2025-01-01")
    teller.fail("/nowhere", token, 404)
    teller.fail("/identity", token, 405, method="POST")
    development = emulator.enroll(environment="production")
    ca = ssl.create_default_context(cafile=str(emulator.certs.ca_cert))
    with httpx.Client(base_url=emulator.base_url, verify=ca) as bare:
        missing = bare.get("/accounts", auth=(development, ""))
    assert missing.status_code == 400 and not errors(schemas.ERROR, missing.json())
    emulator.backend.close_account(checking)
    assert teller.fail(f"/accounts/{checking}/balances", token, 410).startswith("account.closed")
    for reason in DISCONNECT_REASONS:
        broken = emulator.enroll(reason)
        assert teller.fail("/identity", broken, 404) == DISCONNECT_REASONS[reason]
    for status, code in STATUS_CODES.items():
        emulator.faults.fail_next(status, path="/accounts")
        assert teller.fail("/accounts", token, status) == code
    for code in emitted_codes() - teller.error_codes:  # codes only an injected fault produces
        emulator.faults.fail_next(404, code, path="/accounts")
        teller.fail("/accounts", token, 404)
    assert emitted_codes() <= teller.error_codes


def test_every_webhook_body(teller: Teller, emulator: TellerEmulator) -> None:
    emulator.set_webhook(UNREACHABLE, secrets=["whsec_conformance"])
    payload = emulator.connect()
    enrollment_id = payload["enrollment"]["id"]
    accounts = emulator.backend.enrollments[enrollment_id].accounts
    depository = next(a for a in accounts if a.template.type == "depository")
    emulator.process_transactions(enrollment_id, days=3)
    emulator.backend.complete_number_verification(depository.id, "completed")
    emulator.backend.complete_number_verification(depository.id, "expired")
    emulator.send_test_webhook()
    for reason in DISCONNECT_REASONS:
        emulator.backend.reconnect(enrollment_id)
        emulator.disconnect(enrollment_id, reason)
    sent = emulator.sent_webhooks
    assert sent and all(s.status_code is None for s in sent), "deliveries went nowhere, as intended"
    seen = set()
    for delivery in sent:
        event = delivery.event
        assert event["type"] in schemas.WEBHOOKS, f"the emulator sent {event['type']}, which has no schema"
        problems = errors(schemas.WEBHOOKS[event["type"]], event)
        assert not problems, f"{event['type']}: {problems}"
        seen.add(event["type"])
    assert seen == set(schemas.WEBHOOKS) == set(EVENT_TYPES)
    processed = next(s.event for s in sent if s.type == "transactions.processed")
    assert processed["payload"]["transactions"], "the transactions.processed event carried rows to check"
