"""The Teller emulator answers as Teller does (issue #12, items 6-8): the client certificate is asked for
in the handshake but judged over HTTP (400 ``Missing certificate`` where one is needed; the sandbox
needs none), ``teller-enrollment-status`` only where Teller sends it, enrichment status, institution
products, and our documented answers to bad transaction queries."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.providers.banking.teller import TellerClient
from fin_infra.testing.teller import TellerEmulator
from tests.teller.conftest import FAST_RETRY


def _client(teller: TellerEmulator, *, certificate: bool) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(teller.certs.ca_cert))
    if certificate:
        context.load_cert_chain(str(teller.certs.client_cert), str(teller.certs.client_key))
    return httpx.Client(base_url=teller.base_url, verify=context)


@pytest.fixture
def bare(teller: TellerEmulator) -> Iterator[httpx.Client]:
    """HTTPS that trusts the emulator but presents no client certificate."""
    with _client(teller, certificate=False) as client:
        yield client


@pytest.fixture
def mtls(teller: TellerEmulator) -> Iterator[httpx.Client]:
    """HTTPS presenting the application's client certificate."""
    with _client(teller, certificate=True) as client:
        yield client


# --- 6. the client certificate ----------------------------------------------------------------


def test_the_sandbox_needs_no_certificate(bare: httpx.Client, token: str) -> None:
    response = bare.get("/accounts", auth=(token, ""))
    assert response.status_code == 200 and len(response.json()) == 3


def test_a_development_token_without_certificate_is_a_400(
    bare: httpx.Client, mtls: httpx.Client, teller: TellerEmulator
) -> None:
    token = teller.enroll(environment="development")
    assert token.startswith("token_")
    for path in ("/accounts", "/identity"):
        refused = bare.get(path, auth=(token, ""))
        assert refused.status_code == 400, path
        assert refused.json() == {
            "error": {
                "code": "bad_request",
                "message": "Missing certificate: Retry request using your Teller client certificate.",
            }
        }
    assert mtls.get("/accounts", auth=(token, "")).status_code == 200
    assert bare.get("/institutions").status_code == 200, "no token, no certificate needed"


async def test_our_client_says_to_configure_the_certificate(teller: TellerEmulator) -> None:
    token = teller.enroll(environment="production")
    async with TellerClient(base_url=teller.base_url, ca_bundle=str(teller.certs.ca_cert), retry=FAST_RETRY) as c:
        with pytest.raises(ProviderConfigurationError) as info:
            await c.get_accounts(token)
    message = str(info.value)
    assert "Missing certificate" in message and "TELLER_CERTIFICATE_PATH" in message
    assert "configure" in message.lower() and token not in message


async def test_our_client_without_certificate_works_in_the_sandbox(teller: TellerEmulator, token: str) -> None:
    async with TellerClient(base_url=teller.base_url, ca_bundle=str(teller.certs.ca_cert), retry=FAST_RETRY) as c:
        assert len(await c.get_accounts(token)) == 3


# --- 7. teller-enrollment-status ----------------------------------------------------------------

STATUS = "teller-enrollment-status"


def test_enrollment_status_only_where_teller_sends_it(mtls: httpx.Client, token: str) -> None:
    listing = mtls.get("/accounts", auth=(token, ""))
    assert listing.status_code == 200 and STATUS not in listing.headers, "Teller's recorded account list has none"
    card = next(a for a in listing.json() if a["type"] == "credit")
    assert mtls.get(f"/accounts/{card['id']}", auth=(token, "")).headers[STATUS] == "healthy"
    assert mtls.get(f"/accounts/{card['id']}/transactions", auth=(token, "")).headers[STATUS] == "healthy"
    details = mtls.get(f"/accounts/{card['id']}/details", auth=(token, ""))
    assert details.status_code == 404 and details.headers[STATUS] == "healthy", "as in Teller's recorded 404"
    missing = mtls.get("/accounts/acc_nope/balances", auth=(token, ""))
    assert missing.status_code == 404 and missing.headers[STATUS] == "healthy"
    unauthorized = mtls.get(f"/accounts/{card['id']}")
    assert unauthorized.status_code == 401 and STATUS not in unauthorized.headers, "no enrollment, no status"


def test_a_disconnected_enrollment_says_so_on_its_errors(mtls: httpx.Client, teller: TellerEmulator) -> None:
    token = teller.enroll("mfa_required", "password")
    listing = mtls.get("/accounts", auth=(token, ""))
    assert listing.status_code == 200 and STATUS not in listing.headers
    balances = mtls.get(f"/accounts/{listing.json()[0]['id']}/balances", auth=(token, ""))
    assert balances.status_code == 404 and balances.headers[STATUS] == "disconnected"
    identity = mtls.get("/identity", auth=(token, ""))
    assert identity.status_code == 404 and identity.headers[STATUS] == "disconnected"


# --- 8. enrichment status, institutions, bad queries ---------------------------------------------


def test_pending_rows_report_enrichment_complete(mtls: httpx.Client, token: str) -> None:
    checking = mtls.get("/accounts", auth=(token, "")).json()[0]
    rows = mtls.get(f"/accounts/{checking['id']}/transactions", params={"count": 50}, auth=(token, "")).json()
    pending = [r for r in rows if r["status"] == "pending"]
    assert pending, "the emulator's last two days are pending"
    assert {r["details"]["processing_status"] for r in rows} == {"complete"}


def test_institutions_list_teller_product_names(bare: httpx.Client) -> None:
    institutions = bare.get("/institutions").json()
    for institution in institutions:
        products = set(institution["products"])
        assert "verify" not in products and products & {"verify.instant", "verify.microdeposit"}
        assert {"balance", "transactions", "identity"} <= products


def test_bad_transaction_queries(mtls: httpx.Client, token: str) -> None:
    account = mtls.get("/accounts", auth=(token, "")).json()[0]
    path = f"/accounts/{account['id']}/transactions"
    for count in ("0", "-1", "x", "1.5"):
        bad = mtls.get(path, params={"count": count}, auth=(token, ""))
        assert (bad.status_code, bad.json()["error"]["code"]) == (400, "bad_request"), count
        assert "count" in bad.json()["error"]["message"]
    unknown = mtls.get(path, params={"from_id": "txn_nope"}, auth=(token, ""))
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    assert "from_id" in unknown.json()["error"]["message"]
    backwards = mtls.get(path, params={"start_date": "2025-06-10", "end_date": "2025-06-01"}, auth=(token, ""))
    assert backwards.status_code == 400, backwards.text
    assert backwards.json()["error"]["code"] == "bad_request"
    assert "start_date" in backwards.json()["error"]["message"]
    same_day = mtls.get(path, params={"start_date": "2025-06-10", "end_date": "2025-06-10"}, auth=(token, ""))
    assert same_day.status_code == 200 and {r["date"] for r in same_day.json()} <= {"2025-06-10"}
