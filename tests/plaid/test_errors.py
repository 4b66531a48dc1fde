"""Plaid's errors map to fin-infra's exceptions in one place, and every documented code is mapped."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from fin_infra.banking.exceptions import (
    AccountNotFoundError,
    BankingProviderError,
    InvalidCredentialsError,
    ItemLoginRequiredError,
    ProductNotReadyError,
    ProviderUnavailableError,
    RateLimitError,
    UnsupportedOperationError,
)
from fin_infra.emulators.plaid.errors import CATALOGUE
from fin_infra.emulators.server import EmulatorServer
from fin_infra.providers.banking.plaid import PlaidProvider
from fin_infra.providers.banking.plaid.errors import CODE_MAP, error_class, error_from_plaid
from fin_infra.testing.plaid import PlaidEmulator

# Every error_code in the error table of the Plaid notes (shared/providers/plaid.md, section 8).
DOCUMENTED_CODES = [
    "ITEM_LOGIN_REQUIRED",
    "PRODUCT_NOT_READY",
    "PRODUCTS_NOT_SUPPORTED",
    "PRODUCT_NOT_ENABLED",
    "ITEM_NOT_FOUND",
    "ITEM_LOCKED",
    "INVALID_CREDENTIALS",
    "INVALID_MFA",
    "ITEM_NOT_SUPPORTED",
    "MFA_NOT_SUPPORTED",
    "NO_ACCOUNTS",
    "NO_AUTH_ACCOUNTS",
    "ACCESS_NOT_GRANTED",
    "INSUFFICIENT_CREDENTIALS",
    "USER_SETUP_REQUIRED",
    "PASSWORD_RESET_REQUIRED",
    "INVALID_ACCESS_TOKEN",
    "INVALID_PUBLIC_TOKEN",
    "INVALID_API_KEYS",
    "INVALID_ACCOUNT_ID",
    "INVALID_INSTITUTION",
    "INVALID_PRODUCT",
    "INVALID_LINK_TOKEN",
    "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
    "UNAUTHORIZED_ENVIRONMENT",
    "USER_PERMISSION_REVOKED",
    "ADDITIONAL_CONSENT_REQUIRED",
    "MISSING_FIELDS",
    "INVALID_FIELD",
    "UNKNOWN_FIELDS",
    "INVALID_BODY",
    "INVALID_HEADERS",
    "INVALID_CONFIGURATION",
    "SANDBOX_ONLY",
    "NOT_FOUND",
    "NO_LONGER_AVAILABLE",
    "INSTITUTION_DOWN",
    "INSTITUTION_NOT_RESPONDING",
    "INSTITUTION_NOT_AVAILABLE",
    "INSTITUTION_NO_LONGER_SUPPORTED",
    "INSTITUTION_NOT_ENABLED_IN_ENVIRONMENT",
    "UNAUTHORIZED_INSTITUTION",
    "INSTITUTION_REGISTRATION_REQUIRED",
    "UNSUPPORTED_RESPONSE",
    "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
    "RATE_LIMIT",
    "ACCOUNTS_LIMIT",
    "ACCOUNTS_BALANCE_GET_LIMIT",
    "BALANCE_LIMIT",
    "AUTH_LIMIT",
    "IDENTITY_LIMIT",
    "ITEM_GET_LIMIT",
    "TRANSACTIONS_LIMIT",
    "TRANSACTIONS_SYNC_LIMIT",
    "TRANSACTIONS_REFRESH_LIMIT",
    "INSTITUTIONS_GET_LIMIT",
    "INSTITUTIONS_GET_BY_ID_LIMIT",
    "INSTITUTION_RATE_LIMIT",
    "CREDITS_EXHAUSTED",
    "INTERNAL_SERVER_ERROR",
    "plaid-internal-error",
    "PLANNED_MAINTENANCE",
    "INVALID_USER_IDENTITY_DATA",
]

# What the issue asks for, code by code.
EXPECTED = {
    "ITEM_LOGIN_REQUIRED": ItemLoginRequiredError,
    "INVALID_ACCESS_TOKEN": InvalidCredentialsError,
    "INVALID_API_KEYS": InvalidCredentialsError,
    "RATE_LIMIT": RateLimitError,
    "INSTITUTION_DOWN": ProviderUnavailableError,
    "INSTITUTION_NOT_RESPONDING": ProviderUnavailableError,
    "INTERNAL_SERVER_ERROR": ProviderUnavailableError,
    "PRODUCT_NOT_READY": ProductNotReadyError,
    "INVALID_ACCOUNT_ID": AccountNotFoundError,
    "PRODUCTS_NOT_SUPPORTED": UnsupportedOperationError,
}


def test_every_documented_code_is_mapped() -> None:
    unmapped = [code for code in DOCUMENTED_CODES if code not in CODE_MAP]
    assert not unmapped, f"map these Plaid error codes in providers/banking/plaid/errors.py: {unmapped}"


def test_every_code_the_emulator_can_send_is_mapped() -> None:
    assert set(CATALOGUE) <= set(CODE_MAP)


@pytest.mark.parametrize(("code", "cls"), EXPECTED.items())
def test_codes_the_issue_names(code: str, cls: type[BankingProviderError]) -> None:
    assert CODE_MAP[code] is cls


def test_re_auth_codes_mean_login_required() -> None:
    for code in ("INVALID_CREDENTIALS", "INVALID_MFA", "ITEM_LOCKED", "USER_SETUP_REQUIRED", "PASSWORD_RESET_REQUIRED"):
        assert CODE_MAP[code] is ItemLoginRequiredError


def test_unknown_codes_fall_back_on_type_then_status() -> None:
    assert error_class("RATE_LIMIT_EXCEEDED", "SOME_NEW_LIMIT", 429) is RateLimitError
    assert error_class("API_ERROR", "SOMETHING_NEW", 500) is ProviderUnavailableError
    assert error_class(None, None, 502) is ProviderUnavailableError
    assert error_class("ITEM_ERROR", "SOMETHING_NEW", 400) is BankingProviderError


def test_error_carries_plaid_ids_and_never_a_token() -> None:
    err = error_from_plaid(
        {
            "error_type": "INVALID_INPUT",
            "error_code": "INVALID_ACCESS_TOKEN",
            "request_id": "req-1",
            "error_message": "bad token access-sandbox-1234abcd",
            "display_message": "Please reconnect",
        },
        status=400,
        headers={"Retry-After": "3"},
    )
    assert isinstance(err, InvalidCredentialsError)
    assert (err.code, err.request_id, err.display_message, err.provider, err.status_code) == (
        "INVALID_ACCESS_TOKEN",
        "req-1",
        "Please reconnect",
        "plaid",
        400,
    )
    assert "access-sandbox-1234abcd" not in err.message
    limited = error_from_plaid(
        {"error_type": "RATE_LIMIT_EXCEEDED", "error_code": "RATE_LIMIT"}, status=429, headers={"retry-after": "3"}
    )
    assert isinstance(limited, RateLimitError) and limited.retry_after == 3


@pytest.fixture
async def no_retry(plaid: PlaidEmulator) -> AsyncIterator[PlaidProvider]:
    provider = PlaidProvider(**plaid.provider_options(), max_retries=0)
    yield provider
    await provider.aclose()


async def test_every_emulated_error_reaches_the_caller_mapped(no_retry: PlaidProvider, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=1)
    for code, (_type, status) in CATALOGUE.items():
        plaid.backend.inject_fault(code, endpoint="/accounts/get")
        with pytest.raises(BankingProviderError) as info:
            await no_retry.get_accounts(token)
        err = info.value
        assert type(err) is CODE_MAP[code], code
        assert err.code == code and err.status_code == status and err.request_id and err.provider == "plaid"
    plaid.backend.inject_fault("INSTITUTION_DOWN", endpoint="/accounts/get")
    with pytest.raises(ProviderUnavailableError) as down:
        await no_retry.get_accounts(token)
    assert down.value.display_message  # Plaid's end-user text travels with the error


async def test_reset_login_and_institution_down(no_retry: PlaidProvider, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=1)
    plaid.backend.reset_login(token)
    with pytest.raises(ItemLoginRequiredError) as info:
        await no_retry.get_transactions(token)
    assert info.value.code == "ITEM_LOGIN_REQUIRED" and info.value.display_message
    link = await no_retry.create_link_token("u", access_token=token)  # update mode works on a broken Item
    plaid.backend.complete_link(link.link_token or "")
    assert await no_retry.get_accounts(token)

    plaid.backend.set_institution_down("ins_109508")
    with pytest.raises(ProviderUnavailableError) as down:
        await no_retry.get_balances(token)
    assert down.value.code == "INSTITUTION_DOWN"
    plaid.backend.set_institution_down("ins_109508", down=False)
    assert await no_retry.get_balances(token)


async def test_reads_retry_rate_limits_and_5xx(plaid_provider: PlaidProvider, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=1)
    plaid.backend.inject_fault("RATE_LIMIT", endpoint="/accounts/get", times=2)
    assert len(await plaid_provider.get_accounts(token)) == 3
    plaid.backend.inject_fault("INTERNAL_SERVER_ERROR", endpoint="/transactions/sync", times=3)
    assert await plaid_provider.get_transactions(token)
    plaid.backend.inject_fault("ACCOUNTS_LIMIT", endpoint="/accounts/get", times=4)  # more than 3 retries
    with pytest.raises(RateLimitError):
        await plaid_provider.get_accounts(token)
    # a 400 (institution down) is not retried: the next call to it succeeds because nothing consumed it twice
    plaid.backend.inject_fault("INSTITUTION_DOWN", endpoint="/identity/get", times=2)
    with pytest.raises(ProviderUnavailableError):
        await plaid_provider.get_identity(token)
    assert [f.times for f in plaid.backend.faults] == [1]


async def test_writes_are_not_retried(plaid_provider: PlaidProvider, plaid: PlaidEmulator) -> None:
    public = plaid.create_public_token()
    plaid.backend.inject_fault("INTERNAL_SERVER_ERROR", endpoint="/item/public_token/exchange")
    with pytest.raises(ProviderUnavailableError):
        await plaid_provider.exchange_public_token(public)
    assert (await plaid_provider.exchange_public_token(public)).access_token  # not consumed by a hidden retry


async def test_no_answer_and_non_json_answers_are_provider_unavailable() -> None:
    calls = 0

    async def proxy(request: Request) -> PlainTextResponse:
        nonlocal calls
        calls += 1
        return PlainTextResponse("<html>bad gateway</html>", status_code=502)

    app = Starlette(routes=[Route("/accounts/get", proxy, methods=["POST"])])
    with EmulatorServer(app) as server:
        provider = PlaidProvider(client_id="c", secret="s", base_url=server.base_url, retry_backoff=0.01)
        with pytest.raises(ProviderUnavailableError) as info:
            await provider.get_accounts("access-sandbox-x")
        assert info.value.status_code == 502 and calls == 4  # the first try and 3 retries
        await provider.aclose()
    dead = PlaidProvider(client_id="c", secret="s", base_url="http://127.0.0.1:9", max_retries=0, timeout=2)
    with pytest.raises(ProviderUnavailableError) as info:
        await dead.get_accounts("access-sandbox-x")
    assert info.value.status_code is None
    await dead.aclose()
