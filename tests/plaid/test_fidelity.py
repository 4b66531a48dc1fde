"""The Plaid emulator answers as Plaid does where a kinder answer would hide a bug (issue #12, items 1-5):
sandbox webhook pairs, request validation, ``/sandbox/transactions/create`` rules, data, and amounts
written on the wire the way Plaid writes JSON numbers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fin_infra.providers.banking.plaid import PlaidProvider
from fin_infra.testing.plaid import PlaidEmulator
from tests.plaid.conftest import Received


def _post(plaid: PlaidEmulator, path: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    return httpx.post(f"{plaid.base_url}{path}", json=body, headers=headers)


def _error(response: httpx.Response) -> tuple[int, str, str, str]:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    return response.status_code, body["error_type"], body["error_code"], body["error_message"]


# --- 1. /sandbox/item/fire_webhook ------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fields"),
    [
        ("LOGIN_REPAIRED", set()),
        ("NEW_ACCOUNTS_AVAILABLE", {"error"}),
        ("PENDING_DISCONNECT", {"reason", "disconnect_time"}),
        ("USER_ACCOUNT_REVOKED", {"account_id"}),
        ("USER_PERMISSION_REVOKED", {"error"}),
    ],
)
def test_item_codes_fire_as_item_webhooks_with_their_fields(
    plaid: PlaidEmulator, webhook_receiver: tuple[str, Received], code: str, fields: set[str]
) -> None:
    url, received = webhook_receiver
    token = plaid.create_access_token(webhook=url)
    fired = _post(plaid, "/sandbox/item/fire_webhook", {"access_token": token, "webhook_code": code})
    assert fired.status_code == 200 and fired.json()["webhook_fired"] is True
    [(body, _)] = received.requests
    payload = json.loads(body)
    assert (payload["webhook_type"], payload["webhook_code"]) == ("ITEM", code)
    assert fields <= set(payload), f"{code} lacks {fields - set(payload)}"
    if code == "USER_ACCOUNT_REVOKED":
        assert payload["account_id"] in {a.account_id for a in plaid.backend.item_for(token).accounts}
    if code == "PENDING_DISCONNECT":
        assert payload["reason"] in {"INSTITUTION_MIGRATION", "INSTITUTION_TOKEN_EXPIRATION"}
        assert dt.datetime.fromisoformat(payload["disconnect_time"]) > dt.datetime.now(dt.UTC)


def test_recurring_update_names_the_accounts(plaid: PlaidEmulator, webhook_receiver: tuple[str, Received]) -> None:
    url, received = webhook_receiver
    token = plaid.create_access_token(webhook=url)
    _post(plaid, "/sandbox/item/fire_webhook", {"access_token": token, "webhook_code": "RECURRING_TRANSACTIONS_UPDATE"})
    [(body, _)] = received.requests
    payload = json.loads(body)
    assert payload["webhook_type"] == "TRANSACTIONS"
    assert payload["account_ids"] and set(payload["account_ids"]) <= {
        a.account_id for a in plaid.backend.item_for(token).accounts
    }


@pytest.mark.parametrize(
    ("webhook_type", "code"),
    [("TRANSACTIONS", "NEW_ACCOUNTS_AVAILABLE"), ("ITEM", "DEFAULT_UPDATE"), ("ITEM", "SYNC_UPDATES_AVAILABLE"),
     ("TRANSACTIONS", "NO_SUCH_CODE"), ("NO_SUCH_TYPE", "DEFAULT_UPDATE"), (None, "AUTHORIZATION_GRANTED")],
)  # fmt: skip
def test_pairs_plaid_does_not_fire_are_refused(
    plaid: PlaidEmulator, webhook_receiver: tuple[str, Received], webhook_type: str | None, code: str
) -> None:
    url, received = webhook_receiver
    token = plaid.create_access_token(webhook=url)
    body = {"access_token": token, "webhook_code": code}
    if webhook_type is not None:
        body["webhook_type"] = webhook_type
    status, error_type, error_code, _ = _error(_post(plaid, "/sandbox/item/fire_webhook", body))
    assert (status, error_type, error_code) == (400, "INVALID_REQUEST", "INVALID_FIELD")
    assert not received.requests


@pytest.mark.parametrize(
    ("webhook_type", "code"),
    [("AUTH", "DEFAULT_UPDATE"), ("ASSETS", "PRODUCT_READY"), (None, "PRODUCT_READY"), (None, "ERROR"),
     (None, "SMS_MICRODEPOSITS_VERIFICATION"), ("HOLDINGS", "DEFAULT_UPDATE"), ("IDENTITY", "DEFAULT_UPDATE")],
)  # fmt: skip
def test_pairs_for_products_the_item_lacks(
    plaid: PlaidEmulator, webhook_receiver: tuple[str, Received], webhook_type: str | None, code: str
) -> None:
    url, received = webhook_receiver
    token = plaid.create_access_token(webhook=url)  # a Transactions-only Item
    body = {"access_token": token, "webhook_code": code}
    if webhook_type is not None:
        body["webhook_type"] = webhook_type
    status, error_type, error_code, _ = _error(_post(plaid, "/sandbox/item/fire_webhook", body))
    assert (status, error_type, error_code) == (400, "SANDBOX_ERROR", "SANDBOX_PRODUCT_NOT_ENABLED")
    assert not received.requests


def test_identity_default_update_fires_for_an_identity_item(
    plaid: PlaidEmulator, webhook_receiver: tuple[str, Received]
) -> None:
    url, received = webhook_receiver
    token = plaid.create_access_token(webhook=url, products=["transactions", "identity"])
    body = {"access_token": token, "webhook_type": "IDENTITY", "webhook_code": "DEFAULT_UPDATE"}
    assert _post(plaid, "/sandbox/item/fire_webhook", body).status_code == 200
    payload = json.loads(received.requests[0][0])
    assert payload["webhook_type"] == "IDENTITY" and payload["error"] is None
    assert all(kinds == ["ADDRESSES"] for kinds in payload["account_ids_with_updated_identity"].values())


# --- 2. request validation ------------------------------------------------------------------


def _link_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "client_name": "t",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "u"},
        "products": ["transactions"],
    }
    return {**body, **overrides}


def test_unknown_fields_are_refused(plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=1)
    cases = [
        ("/accounts/get", {"access_token": token, "acount_ids": []}, "acount_ids"),
        ("/accounts/get", {"access_token": token, "options": {"account_id": "x"}}, "options.account_id"),
        ("/transactions/sync", {"access_token": token, "limit": 5}, "limit"),
        ("/link/token/create", _link_body(user={"client_user_id": "u", "nickname": "n"}), "user.nickname"),
        ("/item/get", {"access_token": token, "verbose": True}, "verbose"),
    ]
    for path, body, field in cases:
        status, error_type, error_code, message = _error(_post(plaid, path, body))
        assert (status, error_type, error_code) == (400, "INVALID_REQUEST", "UNKNOWN_FIELDS"), path
        assert field in message


def test_country_codes_and_language_must_be_plaids(plaid: PlaidEmulator) -> None:
    for body in (_link_body(country_codes=["XX"]), _link_body(country_codes=[]), _link_body(language="klingon")):
        assert _error(_post(plaid, "/link/token/create", body))[2] == "INVALID_FIELD"
    assert _post(plaid, "/link/token/create", _link_body(country_codes=["GB", "FR"], language="fr")).status_code == 200
    by_id = {"institution_id": "ins_109508", "country_codes": ["ZZ"]}
    assert _error(_post(plaid, "/institutions/get_by_id", by_id))[2] == "INVALID_FIELD"


def test_transactions_get_refuses_unknown_account_ids(plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=5)
    today = dt.date.today().isoformat()
    base = {"access_token": token, "start_date": "2000-01-01", "end_date": today}
    refused = _post(plaid, "/transactions/get", {**base, "options": {"account_ids": ["nope"]}})
    assert _error(refused)[:3] == (400, "INVALID_INPUT", "INVALID_ACCOUNT_ID")
    card = plaid.backend.item_for(token).accounts[2].account_id
    only = _post(plaid, "/transactions/get", {**base, "options": {"account_ids": [card]}}).json()
    assert only["transactions"] and {t["account_id"] for t in only["transactions"]} == {card}
    assert [a["account_id"] for a in only["accounts"]] == [card]
    backwards = _post(plaid, "/transactions/get", {**base, "start_date": today, "end_date": "2000-01-01"})
    assert _error(backwards)[2] == "INVALID_FIELD"


@pytest.mark.parametrize("products", [["auth"], ["transactions", "investments"], ["liabilities"], ["not_a_product"]])
def test_products_the_emulator_does_not_serve_are_refused_up_front(plaid: PlaidEmulator, products: list[str]) -> None:
    link = _post(plaid, "/link/token/create", _link_body(products=products))
    assert _error(link)[:3] == (400, "INVALID_INPUT", "INVALID_PRODUCT")
    public = _post(
        plaid, "/sandbox/public_token/create", {"institution_id": "ins_109508", "initial_products": products}
    )
    assert _error(public)[:3] == (400, "INVALID_INPUT", "INVALID_PRODUCT")
    optional = _post(plaid, "/link/token/create", _link_body(optional_products=products))
    assert _error(optional)[2] == "INVALID_PRODUCT"


def test_served_products_are_accepted(plaid: PlaidEmulator) -> None:
    body = {"institution_id": "ins_109508", "initial_products": ["transactions", "identity"]}
    assert _post(plaid, "/sandbox/public_token/create", body).status_code == 200


# --- 3. /sandbox/transactions/create -----------------------------------------------------------


def _txn(**fields: Any) -> dict[str, Any]:
    today = dt.date.today().isoformat()
    return {"date_transacted": today, "date_posted": today, "amount": 12.5, "description": "COFFEE", **fields}


def test_sandbox_transactions_create_validates_like_plaid(plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=1)
    today = dt.date.today()
    day = dt.timedelta(days=1)
    no_posted = _txn()
    del no_posted["date_posted"]
    cases: list[tuple[Any, str, str]] = [
        ([no_posted], "MISSING_FIELDS", "transactions[0].date_posted"),
        ([_txn(date_posted=(today - 15 * day).isoformat())], "INVALID_FIELD", "14 days"),
        ([_txn(date_transacted=(today - 15 * day).isoformat())], "INVALID_FIELD", "date_transacted"),
        ([_txn(date_posted=(today + day).isoformat())], "INVALID_FIELD", "date_posted"),
        ([_txn(date_transacted=today.isoformat(), date_posted=(today - day).isoformat())], "INVALID_FIELD", "before"),
        ([_txn(date_posted="yesterday")], "INVALID_FIELD", "YYYY-MM-DD"),
        ([_txn(date_posted=20240101)], "INVALID_FIELD", "YYYY-MM-DD"),
        ([_txn(amount="12.50")], "INVALID_FIELD", "amount"),
        ([_txn(amount=True)], "INVALID_FIELD", "amount"),
        ([_txn(), "not an object"], "INVALID_FIELD", "transactions[1]"),
        ("not a list", "INVALID_FIELD", "transactions"),
        ([], "INVALID_FIELD", "transactions"),
    ]
    for transactions, code, mention in cases:
        response = _post(plaid, "/sandbox/transactions/create", {"access_token": token, "transactions": transactions})
        status, _, error_code, message = _error(response)
        assert (status, error_code) == (400, code), (transactions, response.text)
        assert mention in message
    assert not [t for t in plaid.backend.item_for(token).ledger.txns.values() if t.name == "COFFEE"]


def test_sandbox_transaction_keeps_both_dates(plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=1)
    today = dt.date.today()
    entry = _txn(date_transacted=(today - dt.timedelta(days=14)).isoformat(), date_posted=today.isoformat())
    created = _post(plaid, "/sandbox/transactions/create", {"access_token": token, "transactions": [entry]})
    assert created.status_code == 200 and set(created.json()) == {"request_id"}
    synced = _post(plaid, "/transactions/sync", {"access_token": token, "count": 500}).json()
    [coffee] = [t for t in synced["added"] if t["name"] == "COFFEE"]
    assert (coffee["authorized_date"], coffee["date"]) == (entry["date_transacted"], entry["date_posted"])
    assert coffee["amount"] == 12.5


# --- 4. data ----------------------------------------------------------------------------------

# Plaid's legacy category ids for the category paths the emulator uses (Plaid's /categories/get).
PLAID_CATEGORY_IDS = {
    ("Food and Drink", "Restaurants", "Coffee Shop"): "13005043",
    ("Shops", "Supermarkets and Groceries"): "19047000",
    ("Travel", "Taxi"): "22016000",
    ("Shops", "Digital Purchase"): "19019000",
    ("Travel", "Gas Stations"): "22009000",
    ("Service", "Subscription"): "18061000",
    ("Transfer", "Payroll"): "21009000",
}
# Personal finance category (v1 taxonomy) detailed names the emulator uses, by primary.
PFC_V1 = {
    "FOOD_AND_DRINK": {"FOOD_AND_DRINK_COFFEE", "FOOD_AND_DRINK_GROCERIES"},
    "TRANSPORTATION": {"TRANSPORTATION_TAXIS_AND_RIDE_SHARES", "TRANSPORTATION_GAS"},
    "GENERAL_MERCHANDISE": {"GENERAL_MERCHANDISE_ONLINE_MARKETPLACES"},
    "ENTERTAINMENT": {"ENTERTAINMENT_TV_AND_MOVIES"},
    "INCOME": {"INCOME_WAGES"},
}


def test_categories_carry_plaids_ids_and_the_v1_taxonomy(plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=60)
    synced = _post(plaid, "/transactions/sync", {"access_token": token, "count": 500}).json()
    seen = set()
    for txn in synced["added"]:
        path = tuple(txn["category"])
        assert txn["category_id"] == PLAID_CATEGORY_IDS[path], path
        seen.add(path)
        pfc = txn["personal_finance_category"]
        assert pfc["version"] == "v1" and pfc["detailed"] in PFC_V1[pfc["primary"]]
    assert ("Shops", "Digital Purchase") in seen


def test_more_sandbox_institutions(plaid: PlaidEmulator) -> None:
    chase = _post(plaid, "/institutions/get_by_id", {"institution_id": "ins_3", "country_codes": ["US"]})
    assert chase.status_code == 200 and chase.json()["institution"]["name"] == "Chase"
    token = plaid.create_access_token("ins_3")
    item = _post(plaid, "/item/get", {"access_token": token}).json()["item"]
    assert (item["institution_id"], item["institution_name"]) == ("ins_3", "Chase")
    uk = {"institution_id": "ins_117650", "country_codes": ["US"]}
    assert _error(_post(plaid, "/institutions/get_by_id", uk))[2] == "INVALID_INSTITUTION"
    uk_ok = _post(plaid, "/institutions/get_by_id", {**uk, "country_codes": ["GB"]}).json()["institution"]
    assert uk_ok["country_codes"] == ["GB"] and uk_ok["oauth"] is True
    for institution_id in ("ins_109508", "ins_109512", "ins_130016", "ins_43", "ins_127287", "ins_135858"):
        country = "CA" if institution_id == "ins_43" else "US"
        found = {"institution_id": institution_id, "country_codes": [country]}
        assert _post(plaid, "/institutions/get_by_id", found).status_code == 200, institution_id


# --- 5. amounts on the wire -------------------------------------------------------------------


def _number_tokens(text: str) -> list[str]:
    """Every JSON number in ``text`` exactly as written."""
    tokens: list[str] = []

    def keep(token: str) -> str:
        tokens.append(token)
        return token

    json.loads(text, parse_float=keep, parse_int=keep)
    return tokens


def _plaid_writes(token: str) -> bool:
    """Plaid writes numbers in the shortest form: no ``.0`` on whole numbers, no trailing zeros."""
    if "." not in token:
        return True
    return not token.endswith("0") and "e" not in token.lower()


def test_amounts_are_written_as_plaid_writes_json_numbers(plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=30)
    for amount in ("12.30", "100.00", "0.10", "-4.00", "1234567.80"):
        plaid.backend.add_transaction(token, amount, f"AMOUNT {amount}")
    accounts = _post(plaid, "/accounts/get", {"access_token": token})
    assert '"current": 110,' in accounts.text  # Plaid's own example: "current": 110
    synced = _post(plaid, "/transactions/sync", {"access_token": token, "count": 500})
    tokens = _number_tokens(accounts.text) + _number_tokens(synced.text)
    assert tokens and all(_plaid_writes(t) for t in tokens), [t for t in tokens if not _plaid_writes(t)]
    written = {t["name"]: t["amount"] for t in synced.json()["added"] if t["name"].startswith("AMOUNT")}
    assert written == {
        "AMOUNT 12.30": 12.3, "AMOUNT 100.00": 100, "AMOUNT 0.10": 0.1, "AMOUNT -4.00": -4,
        "AMOUNT 1234567.80": 1234567.8,
    }  # fmt: skip


async def test_our_parser_reads_plaids_numbers_exactly(plaid_provider: PlaidProvider, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=1)
    amounts = ["12.30", "100.00", "0.10", "-4.00", "1234567.89", "0.07", "99999999.99", "3"]
    for amount in amounts:
        plaid.backend.add_transaction(token, amount, f"AMOUNT {amount}")
    got = {t.description: t.amount for t in await plaid_provider.get_transactions(token)}
    for amount in amounts:
        parsed = got[f"AMOUNT {amount}"]
        assert isinstance(parsed, Decimal) and parsed == -Decimal(amount), amount
    synced = await plaid_provider.sync_transactions(token)
    for txn in synced.added:
        if txn.description.startswith("AMOUNT "):
            assert txn.amount == -Decimal(txn.description.removeprefix("AMOUNT "))
    balances = {b.account_id: b for b in await plaid_provider.get_balances(token)}
    checking = plaid.backend.item_for(token).accounts[0].account_id
    assert (balances[checking].current, balances[checking].available) == (Decimal(110), Decimal(100))
