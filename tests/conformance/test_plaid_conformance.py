"""Conformance: every JSON body the Plaid emulator can produce validates against our schemas of Plaid's shapes.

Success bodies for every endpoint it serves (the test fails if an endpoint has none), error bodies for
every error code it can answer, and webhook bodies for every type/code it can send, each checked
against `tests.conformance.plaid_schemas`; every JSON number on the wire must also be written as
Plaid writes it (shortest form: ``110``, ``12.3``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

from fin_infra.emulators.plaid import fire
from fin_infra.emulators.plaid.app import HANDLERS
from fin_infra.emulators.plaid.data import INSTITUTION_COUNTRIES, INSTITUTIONS
from fin_infra.emulators.plaid.errors import CATALOGUE
from fin_infra.emulators.plaid.validation import SERVED_PRODUCTS
from fin_infra.testing.plaid import PlaidEmulator, serve_plaid_emulator
from tests.conformance import plaid_schemas as schemas
from tests.conformance.schema import errors
from tests.emulator_fixtures import served

UNREACHABLE = "http://127.0.0.1:9/hooks"  # deliveries fail fast, and are still recorded byte for byte


def _number_tokens(text: str) -> list[str]:
    tokens: list[str] = []

    def keep(token: str) -> str:
        tokens.append(token)
        return token

    json.loads(text, parse_float=keep, parse_int=keep)
    return tokens


def _written_as_plaid_writes(token: str) -> bool:
    return "." not in token or (not token.endswith("0") and "e" not in token.lower())


class Plaid:
    """Calls the emulator over HTTP and checks each answer against the schemas."""

    def __init__(self, emulator: PlaidEmulator) -> None:
        self.emulator = emulator
        self.headers = {"PLAID-CLIENT-ID": emulator.client_id, "PLAID-SECRET": emulator.secret}
        self.succeeded: set[str] = set()
        self.error_codes: set[str] = set()

    def _check(self, path: str, response: httpx.Response) -> dict[str, Any]:
        assert response.headers["content-type"].startswith("application/json"), (path, response.text)
        body: dict[str, Any] = response.json()
        if response.status_code == 200:
            problems = errors(schemas.RESPONSES[path], body)
            self.succeeded.add(path)
        else:
            problems = errors(schemas.ERROR, body)
            self.error_codes.add(body.get("error_code", "?"))
            expected = CATALOGUE.get(body.get("error_code", ""))
            if expected is not None:
                assert (body["error_type"], response.status_code) == expected, body
        assert not problems, f"{path} {response.status_code}: {problems}\n{body}"
        bad = [t for t in _number_tokens(response.text) if not _written_as_plaid_writes(t)]
        assert not bad, f"{path}: numbers Plaid would write differently: {bad}"
        return body

    def ok(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(self.emulator.base_url + path, json=body, headers=self.headers)
        assert response.status_code == 200, (path, response.text)
        return self._check(path, response)

    def fail(self, path: str, body: Any, code: str, *, raw: bytes | None = None, **headers: str) -> dict[str, Any]:
        url = self.emulator.base_url + path
        all_headers = {**self.headers, **headers}
        if raw is not None:
            response = httpx.post(url, content=raw, headers=all_headers)
        else:
            response = httpx.post(url, json=body, headers=all_headers)
        assert response.status_code != 200, (path, response.text)
        found = self._check(path, response)
        assert found["error_code"] == code, found
        return found


emulator = served(serve_plaid_emulator, scope="module")


@pytest.fixture
def plaid(emulator: PlaidEmulator) -> Plaid:
    emulator.reset()
    return Plaid(emulator)


def _link_body(**extra: Any) -> dict[str, Any]:
    base = {"client_name": "conformance", "language": "en", "country_codes": ["US"], "user": {"client_user_id": "u"}}
    return {**base, **extra}


def test_every_success_body(plaid: Plaid) -> None:
    backend = plaid.emulator.backend
    link = plaid.ok("/link/token/create", _link_body(products=["transactions"], webhook=UNREACHABLE,
                                                     transactions={"days_requested": 30}))  # fmt: skip
    public = backend.complete_link(link["link_token"])
    token = plaid.ok("/item/public_token/exchange", {"public_token": public})["access_token"]
    plaid.ok("/link/token/create", _link_body(access_token=token))  # update mode
    options = {"webhook": UNREACHABLE, "transactions": {"days_requested": 60}}
    created = {"institution_id": "ins_109508", "initial_products": ["transactions", "identity"], "options": options}
    other = plaid.ok("/item/public_token/exchange", {"public_token": plaid.ok("/sandbox/public_token/create", created)[
        "public_token"]})["access_token"]  # fmt: skip
    accounts = plaid.ok("/accounts/get", {"access_token": token})["accounts"]
    plaid.ok("/accounts/get", {"access_token": token, "options": {"account_ids": [accounts[0]["account_id"]]}})
    plaid.ok("/accounts/balance/get", {"access_token": other})
    today = dt.date.today()
    entry = {"date_transacted": (today - dt.timedelta(days=3)).isoformat(), "date_posted": today.isoformat(),
             "amount": 25, "description": "CONFORMANCE"}  # fmt: skip
    plaid.ok("/sandbox/transactions/create", {"access_token": token, "transactions": [entry]})
    first = plaid.ok("/transactions/sync", {"access_token": token, "count": 7})
    assert first["has_more"] and first["added"]
    cursor = first["next_cursor"]
    while True:
        page = plaid.ok("/transactions/sync", {"access_token": token, "cursor": cursor, "count": 500})
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    plaid.ok("/transactions/refresh", {"access_token": token})  # posts pendings, changes one, adds one
    changes = plaid.ok("/transactions/sync", {"access_token": token, "cursor": cursor})
    assert changes["added"] and changes["modified"] and changes["removed"]
    plaid.ok("/transactions/sync", {"access_token": token, "cursor": "now"})
    plaid.ok("/transactions/sync", {"access_token": token, "options": {"account_id": accounts[2]["account_id"]}})
    plaid.ok("/transactions/get", {"access_token": token, "start_date": "2000-01-01", "end_date": today.isoformat(),
                                   "options": {"count": 500, "offset": 3}})  # fmt: skip
    plaid.ok("/identity/get", {"access_token": other})
    plaid.ok("/item/get", {"access_token": token})
    plaid.ok("/item/webhook/update", {"access_token": other, "webhook": UNREACHABLE})
    plaid.ok("/sandbox/item/fire_webhook", {"access_token": token, "webhook_code": "LOGIN_REPAIRED"})
    plaid.ok("/sandbox/item/reset_login", {"access_token": token})
    errored = plaid.ok("/item/get", {"access_token": token})  # an Item with its error, and a last webhook
    assert errored["item"]["error"] and errored["status"]["last_webhook"]
    for institution_id in INSTITUTIONS:
        country = INSTITUTION_COUNTRIES.get(institution_id, "US")
        plaid.ok("/institutions/get_by_id", {"institution_id": institution_id, "country_codes": [country]})
    first_kid = backend.webhook_keys.current.kid
    backend.rotate_webhook_key()
    expired = plaid.ok("/webhook_verification_key/get", {"key_id": first_kid})["key"]
    assert expired["expired_at"] is not None
    plaid.ok("/webhook_verification_key/get", {"key_id": backend.webhook_keys.current.kid})
    plaid.ok("/item/remove", {"access_token": other})
    unchecked = set(HANDLERS) - plaid.succeeded
    assert not unchecked, f"endpoints without a checked success body: {unchecked}"
    assert set(schemas.RESPONSES) == set(HANDLERS), "a schema for an endpoint the emulator doesn't serve, or none"


def test_every_error_body(plaid: Plaid) -> None:
    backend = plaid.emulator.backend
    token = plaid.emulator.create_access_token(days_requested=2)
    for code in CATALOGUE:  # every documented code the emulator can be made to answer
        backend.inject_fault(code, endpoint="/item/get")
        plaid.fail("/item/get", {"access_token": token}, code)
    plaid.fail("/accounts/get", {}, "MISSING_FIELDS")
    plaid.fail("/accounts/get", {"access_token": token, "nope": 1}, "UNKNOWN_FIELDS")
    plaid.fail("/transactions/sync", {"access_token": token, "count": 0}, "INVALID_FIELD")
    plaid.fail("/transactions/sync", {"access_token": token, "cursor": "garbage"}, "INVALID_FIELD")
    plaid.fail("/accounts/get", None, "INVALID_BODY", raw=b"{not json")
    plaid.fail("/accounts/get", None, "INVALID_BODY", raw=b"access_token=x", **{"Content-Type": "text/plain"})
    plaid.fail("/no/such/endpoint", {"access_token": token}, "NOT_FOUND")
    plaid.fail("/accounts/get", {"access_token": token}, "INVALID_API_KEYS", **{"PLAID-SECRET": "wrong"})
    plaid.fail("/accounts/get", {"access_token": "access-sandbox-nope"}, "INVALID_ACCESS_TOKEN")
    plaid.fail("/item/public_token/exchange", {"public_token": "public-sandbox-nope"}, "INVALID_PUBLIC_TOKEN")
    plaid.fail("/accounts/get", {"access_token": token, "options": {"account_ids": ["x"]}}, "INVALID_ACCOUNT_ID")
    plaid.fail("/institutions/get_by_id", {"institution_id": "ins_0", "country_codes": ["US"]}, "INVALID_INSTITUTION")
    plaid.fail("/link/token/create", _link_body(products=["auth"]), "INVALID_PRODUCT")
    plaid.fail("/link/token/create", _link_body(products=["transactions"], language="xx"), "INVALID_FIELD")
    bad_login = {"institution_id": "ins_109508", "initial_products": ["transactions"],
                 "options": {"override_password": "wrong"}}  # fmt: skip
    plaid.fail("/sandbox/public_token/create", bad_login, "INVALID_CREDENTIALS")
    locked = {**bad_login, "options": {"override_password": "error_ITEM_LOCKED"}}
    plaid.fail("/sandbox/public_token/create", locked, "ITEM_LOCKED")
    plaid.fail("/webhook_verification_key/get", {"key_id": "nope"}, "INVALID_WEBHOOK_VERIFICATION_KEY_ID")
    fire_body = {"access_token": token, "webhook_type": "ASSETS", "webhook_code": "PRODUCT_READY"}
    plaid.fail("/sandbox/item/fire_webhook", fire_body, "SANDBOX_PRODUCT_NOT_ENABLED")
    plaid.fail("/sandbox/transactions/create", {"access_token": token, "transactions": [{}]}, "MISSING_FIELDS")
    first = plaid.ok("/transactions/sync", {"access_token": token, "count": 1})
    backend.add_transaction(token, "1.00", "MID-LOOP CHANGE")
    plaid.fail("/transactions/sync", {"access_token": token, "cursor": first["next_cursor"]},
               "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION")  # fmt: skip
    backend.set_institution_down("ins_109508")
    plaid.fail("/accounts/get", {"access_token": token}, "INSTITUTION_DOWN")
    backend.set_institution_down("ins_109508", down=False)
    backend.reset_login(token)
    plaid.fail("/transactions/get", {"access_token": token, "start_date": "2020-01-01", "end_date": "2020-01-02"},
               "ITEM_LOGIN_REQUIRED")  # fmt: skip
    assert set(CATALOGUE) <= plaid.error_codes


def test_every_webhook_body(plaid: Plaid) -> None:
    backend = plaid.emulator.backend
    token = plaid.emulator.create_access_token(webhook=UNREACHABLE, products=["transactions", "identity"])
    refused = set()
    for (webhook_type, code), product in fire.PAIRS.items():
        body = {"access_token": token, "webhook_type": webhook_type, "webhook_code": code}
        if product is None or product in SERVED_PRODUCTS:
            plaid.ok("/sandbox/item/fire_webhook", body)
        else:
            plaid.fail("/sandbox/item/fire_webhook", body, "SANDBOX_PRODUCT_NOT_ENABLED")
            refused.add((webhook_type, code))
    for code, webhook_type in fire.DEFAULT_TYPE.items():
        if (webhook_type, code) not in refused:
            plaid.ok("/sandbox/item/fire_webhook", {"access_token": token, "webhook_code": code})
    plaid.ok("/sandbox/item/reset_login", {"access_token": token})
    plaid.ok("/item/webhook/update", {"access_token": token, "webhook": UNREACHABLE + "/2"})
    backend.complete_link(plaid.ok("/link/token/create", _link_body(access_token=token))["link_token"])
    plaid.ok("/transactions/refresh", {"access_token": token})
    sent = backend.sent_webhooks
    assert sent and all(s.status_code is None for s in sent), "deliveries went nowhere, as intended"
    seen = set()
    for delivery in sent:
        payload = json.loads(delivery.body)
        kind = (payload["webhook_type"], payload["webhook_code"])
        assert kind in schemas.WEBHOOKS, f"the emulator sent {kind}, which has no schema"
        problems = errors(schemas.WEBHOOKS[kind], payload)
        assert not problems, f"{kind}: {problems}\n{payload}"
        seen.add(kind)
    assert seen == set(schemas.WEBHOOKS), f"schemas never exercised: {set(schemas.WEBHOOKS) - seen}"
