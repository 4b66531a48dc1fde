"""The official plaid-python client against the emulator over real HTTP: it validates every response
strictly (required-but-nullable keys included), so these tests hold the emulator to Plaid's shapes."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import plaid as plaid_sdk
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.identity_get_request import IdentityGetRequest
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.transactions_get_request import TransactionsGetRequest
from plaid.model.transactions_refresh_request import TransactionsRefreshRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest

from fin_infra.testing.plaid import PlaidEmulator


@pytest.fixture
def api(plaid: PlaidEmulator) -> plaid_api.PlaidApi:
    config = plaid_sdk.Configuration(host=plaid.base_url, api_key={"clientId": plaid.client_id, "secret": plaid.secret})
    return plaid_api.PlaidApi(plaid_sdk.ApiClient(config))


def _error(info: pytest.ExceptionInfo[plaid_sdk.ApiException]) -> dict[str, object]:
    body: dict[str, object] = json.loads(info.value.body)
    return body


def test_link_exchange_accounts_balances_transactions_identity(api: plaid_api.PlaidApi) -> None:
    link = api.link_token_create(
        LinkTokenCreateRequest(
            client_name="fin-infra tests",
            language="en",
            country_codes=[CountryCode("US")],
            user=LinkTokenCreateRequestUser(client_user_id="user-123"),
            products=[Products("transactions")],
        )
    )
    assert link.link_token.startswith("link-sandbox-") and link.expiration > dt.datetime.now(dt.UTC)

    public = api.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(institution_id="ins_109508", initial_products=[Products("transactions")])
    ).public_token
    assert public.startswith("public-sandbox-")
    exchange = api.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public))
    token = exchange.access_token
    assert token.startswith("access-sandbox-") and len(exchange.item_id) == 37

    accounts = api.accounts_get(AccountsGetRequest(access_token=token))
    assert [a.subtype.value for a in accounts.accounts] == ["checking", "savings", "credit card"]
    card = accounts.accounts[2]
    assert card.balances.available is None and card.balances.limit == 2000  # nullable, present as null
    assert accounts.item.item_id == exchange.item_id and accounts.item.error is None

    balances = api.accounts_balance_get(AccountsBalanceGetRequest(access_token=token))
    assert {a.account_id for a in balances.accounts} == {a.account_id for a in accounts.accounts}

    sync = api.transactions_sync(TransactionsSyncRequest(access_token=token, count=500))
    assert not sync.has_more and sync.next_cursor and len(sync.added) == 270  # 90 days x 3 a day
    first = sync.added[0]
    assert first.location.city is None or isinstance(first.location.city, str)
    assert first.personal_finance_category.primary and first.category
    assert {t.account_id for t in sync.added} <= {a.account_id for a in accounts.accounts}

    again = api.transactions_sync(TransactionsSyncRequest(access_token=token, cursor=sync.next_cursor))
    assert (again.added, again.modified, again.removed, again.has_more) == ([], [], [], False)

    today = dt.date.today()
    got = api.transactions_get(
        TransactionsGetRequest(access_token=token, start_date=today - dt.timedelta(days=30), end_date=today)
    )
    assert got.total_transactions == len(got.transactions) <= 100
    assert all(today - dt.timedelta(days=30) <= t.date <= today for t in got.transactions)

    identity = api.identity_get(IdentityGetRequest(access_token=token))
    assert identity.accounts[0].owners[0].names == ["Alberta Bobbeth Charleson"]

    item = api.item_get(ItemGetRequest(access_token=token))
    assert item.item.institution_id == "ins_109508" and item.status.transactions.last_successful_update

    institution = api.institutions_get_by_id(
        InstitutionsGetByIdRequest(institution_id="ins_109508", country_codes=[CountryCode("US")])
    )
    assert institution.institution.name == "First Platypus Bank"

    api.item_remove(ItemRemoveRequest(access_token=token))
    with pytest.raises(plaid_sdk.ApiException) as info:
        api.accounts_get(AccountsGetRequest(access_token=token))
    assert _error(info)["error_code"] == "INVALID_ACCESS_TOKEN"


def test_sync_pages_modifications_and_removals(api: plaid_api.PlaidApi, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=10)  # 30 transactions
    seen: dict[str, float] = {}
    cursor = None
    pages = 0
    while True:
        kwargs = {"cursor": cursor} if cursor else {}
        page = api.transactions_sync(TransactionsSyncRequest(access_token=token, count=7, **kwargs))
        pages += 1
        seen.update({t.transaction_id: t.amount for t in page.added})
        cursor = page.next_cursor
        if not page.has_more:
            break
    assert pages == 5 and len(seen) == 30

    api.transactions_refresh(TransactionsRefreshRequest(access_token=token))  # pendings post, one amount changes
    page = api.transactions_sync(TransactionsSyncRequest(access_token=token, cursor=cursor, count=500))
    removed = {r.transaction_id for r in page.removed}
    assert removed and removed <= set(seen)
    assert {t.pending_transaction_id for t in page.added if t.pending_transaction_id} == removed
    [modified] = page.modified
    assert round(modified.amount - seen[modified.transaction_id], 2) == 1  # floats: the SDK parses numbers so


def test_credentials_in_the_body_are_accepted(plaid: PlaidEmulator) -> None:
    body = {
        "client_id": plaid.client_id,
        "secret": plaid.secret,
        "institution_id": "ins_109508",
        "initial_products": ["transactions"],
    }
    response = httpx.post(f"{plaid.base_url}/sandbox/public_token/create", json=body)
    assert response.status_code == 200 and response.json()["public_token"].startswith("public-sandbox-")


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "MISSING_FIELDS"),
        ({"PLAID-CLIENT-ID": "fin-infra-emulator-client", "PLAID-SECRET": "wrong"}, "INVALID_API_KEYS"),
    ],
)
def test_bad_credentials(plaid: PlaidEmulator, headers: dict[str, str], code: str) -> None:
    response = httpx.post(f"{plaid.base_url}/item/get", json={"access_token": "x"}, headers=headers)
    body = response.json()
    assert response.status_code == 400 and body["error_code"] == code and body["request_id"]
    assert "display_message" in body and body["display_message"] is None


def test_not_json_and_unknown_endpoints(plaid: PlaidEmulator) -> None:
    headers = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    response = httpx.post(f"{plaid.base_url}/accounts/get", content=b"access_token=x", headers=headers)
    assert response.status_code == 400 and response.json()["error_code"] == "INVALID_BODY"
    response = httpx.post(f"{plaid.base_url}/no/such/endpoint", json={}, headers=headers)
    assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"


def test_public_tokens_are_single_use(api: plaid_api.PlaidApi, plaid: PlaidEmulator) -> None:
    public = plaid.create_public_token()
    api.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public))
    with pytest.raises(plaid_sdk.ApiException) as info:
        api.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public))
    assert _error(info)["error_code"] == "INVALID_PUBLIC_TOKEN"


def test_wrong_sandbox_password_is_refused(api: plaid_api.PlaidApi) -> None:
    from plaid.model.sandbox_public_token_create_request_options import SandboxPublicTokenCreateRequestOptions

    with pytest.raises(plaid_sdk.ApiException) as info:
        api.sandbox_public_token_create(
            SandboxPublicTokenCreateRequest(
                institution_id="ins_109508",
                initial_products=[Products("transactions")],
                options=SandboxPublicTokenCreateRequestOptions(override_username="user_good", override_password="no"),
            )
        )
    assert _error(info)["error_code"] == "INVALID_CREDENTIALS"


def test_reset_login_then_update_mode_link_repairs_the_item(api: plaid_api.PlaidApi, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token()
    plaid.backend.reset_login(token)
    with pytest.raises(plaid_sdk.ApiException) as info:
        api.accounts_get(AccountsGetRequest(access_token=token))
    error = _error(info)
    assert (error["error_type"], error["error_code"]) == ("ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    assert error["display_message"]
    assert api.item_get(ItemGetRequest(access_token=token)).item.error.error_code == "ITEM_LOGIN_REQUIRED"

    link = api.link_token_create(
        LinkTokenCreateRequest(
            client_name="t",
            language="en",
            country_codes=[CountryCode("US")],
            user=LinkTokenCreateRequestUser(client_user_id="u"),
            access_token=token,
        )
    )
    plaid.backend.complete_link(link.link_token)  # the user logs in again in Link
    assert len(api.accounts_get(AccountsGetRequest(access_token=token)).accounts) == 3


def test_mutation_during_pagination(api: plaid_api.PlaidApi, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=10)
    first = api.transactions_sync(TransactionsSyncRequest(access_token=token, count=10))
    assert first.has_more
    plaid.backend.add_transaction(token, "9.99", "LATE ARRIVAL")
    with pytest.raises(plaid_sdk.ApiException) as info:
        api.transactions_sync(TransactionsSyncRequest(access_token=token, cursor=first.next_cursor, count=10))
    assert _error(info)["error_code"] == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
    # restarting from the loop's first cursor (here: the beginning) sees everything, the new one included
    restart = api.transactions_sync(TransactionsSyncRequest(access_token=token, count=500))
    assert len(restart.added) == 31 and any(t.name == "LATE ARRIVAL" for t in restart.added)


def test_bad_cursor_is_an_invalid_field(api: plaid_api.PlaidApi, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token()
    with pytest.raises(plaid_sdk.ApiException) as info:
        api.transactions_sync(TransactionsSyncRequest(access_token=token, cursor="bm90LWEtY3Vyc29y"))
    assert _error(info)["error_code"] == "INVALID_FIELD"
