"""The emulator speaks Teller's wire format: driven with a bare httpx client over mTLS."""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from fin_infra.emulators.teller import EnrollmentError
from fin_infra.testing.teller import TellerEmulator

MONEY = re.compile(r"-?\d+\.\d\d")


@pytest.fixture
def raw(teller: TellerEmulator) -> Iterator[httpx.Client]:
    context = ssl.create_default_context(cafile=str(teller.certs.ca_cert))
    context.load_cert_chain(str(teller.certs.client_cert), str(teller.certs.client_key))
    with httpx.Client(base_url=teller.base_url, verify=context) as client:
        yield client


def test_accounts_shape(raw: httpx.Client, token: str) -> None:
    response = raw.get("/accounts", auth=(token, ""))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "teller-enrollment-status" not in response.headers, "Teller's recorded account list has none"
    assert len(response.headers["x-request-id"]) == 20
    accounts = response.json()
    for a in accounts:
        assert re.fullmatch(r"acc_[a-z0-9]{21}", a["id"]) and a["enrollment_id"].startswith("enr_")
        assert a["links"]["self"] == f"{teller_base(raw)}/accounts/{a['id']}"
        assert set(a) >= {"name", "type", "subtype", "status", "currency", "last_four", "institution", "links"}
    card = next(a for a in accounts if a["type"] == "credit")
    assert "details" not in card["links"], "credit cards have no details link"


def test_balances_and_transactions_shape(raw: httpx.Client, token: str) -> None:
    account = raw.get("/accounts", auth=(token, "")).json()[0]
    balances = raw.get(f"/accounts/{account['id']}/balances", auth=(token, "")).json()
    assert MONEY.fullmatch(balances["ledger"]) and MONEY.fullmatch(balances["available"])
    txns = raw.get(f"/accounts/{account['id']}/transactions", params={"count": 5}, auth=(token, "")).json()
    assert len(txns) == 5 and [t["date"] for t in txns] == sorted((t["date"] for t in txns), reverse=True)
    for t in txns:
        assert t["id"].startswith("txn_") and isinstance(t["amount"], str) and MONEY.fullmatch(t["amount"])
        assert t["status"] in ("pending", "posted")
        assert set(t["details"]) == {"processing_status", "category", "counterparty"}
        assert (t["running_balance"] is None) == (t["status"] == "pending")
    older = raw.get(
        f"/accounts/{account['id']}/transactions", params={"count": 5, "from_id": txns[-1]["id"]}, auth=(token, "")
    ).json()
    assert older[0]["date"] <= txns[-1]["date"] and not {t["id"] for t in older} & {t["id"] for t in txns}
    one = raw.get(f"/accounts/{account['id']}/transactions/{txns[0]['id']}", auth=(token, "")).json()
    assert one == txns[0]


def test_ledger_matches_running_balance(raw: httpx.Client, token: str) -> None:
    account = raw.get("/accounts", auth=(token, "")).json()[0]
    ledger = Decimal(raw.get(f"/accounts/{account['id']}/balances", auth=(token, "")).json()["ledger"])
    txns = raw.get(f"/accounts/{account['id']}/transactions", params={"count": 20}, auth=(token, "")).json()
    newest_posted = next(t for t in txns if t["status"] == "posted")
    assert Decimal(newest_posted["running_balance"]) == ledger


def test_error_shapes(raw: httpx.Client, token: str) -> None:
    no_token = raw.get("/accounts")
    assert no_token.status_code == 401 and no_token.json()["error"]["code"] == "unauthorized"
    bad = raw.get("/accounts", auth=("test_token_nope", ""))
    assert bad.status_code == 403 and set(bad.json()["error"]) == {"code", "message"}
    missing = raw.get("/accounts/acc_nope/balances", auth=(token, ""))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    card = next(a for a in raw.get("/accounts", auth=(token, "")).json() if a["type"] == "credit")
    details = raw.get(f"/accounts/{card['id']}/details", auth=(token, ""))
    assert details.status_code == 404 and "details" in details.json()["error"]["message"]
    count = raw.get(f"/accounts/{card['id']}/transactions", params={"count": "x"}, auth=(token, ""))
    assert count.status_code == 400 and count.json()["error"]["code"] == "bad_request"
    assert raw.get("/nowhere").json()["error"]["code"] == "not_found"


def test_disconnected_enrollment_headers_and_body(raw: httpx.Client, teller: TellerEmulator) -> None:
    token = teller.enroll("disconnected", "password")
    listing = raw.get("/accounts", auth=(token, ""))
    assert listing.status_code == 200
    account = raw.get(f"/accounts/{listing.json()[0]['id']}", auth=(token, ""))
    assert account.status_code == 200 and account.headers["teller-enrollment-status"] == "disconnected"
    identity = raw.get("/identity", auth=(token, ""))
    assert identity.status_code == 404 and identity.json()["error"]["code"] == "enrollment.disconnected"


def test_institutions_need_no_token(raw: httpx.Client) -> None:
    institutions = raw.get("/institutions").json()
    assert {"id": "security_cu", "name": "Security Credit Union"}.items() <= institutions[0].items()
    assert raw.get("/").json() == {"links": {"accounts": f"{teller_base(raw)}/accounts"}}


def teller_base(raw: httpx.Client) -> str:
    return str(raw.base_url).rstrip("/")


def test_sandbox_password_and_institutions(teller: TellerEmulator) -> None:
    with pytest.raises(EnrollmentError, match="password"):
        teller.enroll("username", "hunter2")
    with pytest.raises(EnrollmentError, match="unknown institution"):
        teller.enroll(institution="nope")
    assert len(teller.backend.accounts(teller.enroll(accounts=10))) == 10


def test_control_endpoints(raw: httpx.Client, teller: TellerEmulator) -> None:
    created = raw.post("/_emulator/enrollments", json={"username": "username", "password": "password"})
    assert created.status_code == 201 and created.json()["accessToken"].startswith("test_token_")
    refused = raw.post("/_emulator/enrollments", json={"username": "username", "password": "nope"})
    assert refused.status_code == 422
    raw.post("/_emulator/faults", json={"fail": {"status": 503, "times": 2}})
    token = created.json()["accessToken"]
    assert [raw.get("/accounts", auth=(token, "")).status_code for _ in range(3)] == [503, 503, 200]
    assert raw.post("/_emulator/reset").status_code == 204 and not teller.backend.enrollments


def test_same_seed_same_data(teller: TellerEmulator) -> None:
    a = teller.backend.accounts(teller.enroll(seed="fixed"))
    first = teller.backend.transactions(teller.enroll(seed="fixed"), a[0].id)[1]
    second = teller.backend.transactions(teller.enroll(seed="fixed"), a[0].id)[1]
    assert first == second and len(first) > 700  # two years of data
