"""Teller's errors are mapped in one place, completely; retries are bounded and honour Retry-After."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from fin_infra.banking.exceptions import (
    AccountNotFoundError,
    BankingError,
    BankingProviderError,
    InvalidCredentialsError,
    ItemLoginRequiredError,
    ProductNotReadyError,
    ProviderConfigurationError,
    ProviderUnavailableError,
    RateLimitError,
)
from fin_infra.emulators.teller.errors import DISCONNECT_REASONS, emitted_codes
from fin_infra.providers.banking.teller import RetryPolicy, TellerClient, errors
from fin_infra.testing.teller import TellerEmulator
from tests.teller.conftest import FAST_RETRY

# (status, code) -> exception: every code in the Teller notes, and what it must become.
DOCUMENTED = {
    (400, "bad_request"): BankingProviderError,
    (404, "not_found"): AccountNotFoundError,
    (404, "account_number_verification_pending"): ProductNotReadyError,
    (404, "account_number_verification_expired"): ItemLoginRequiredError,
    **{(404, code): ItemLoginRequiredError for code in DISCONNECT_REASONS.values()},
    (410, "account.closed"): AccountNotFoundError,
    (410, "account.closed.by_user"): AccountNotFoundError,
    (401, "unauthorized"): InvalidCredentialsError,
    (403, "forbidden"): InvalidCredentialsError,
    (429, "too_many_requests"): RateLimitError,
    (502, "bad_gateway"): ProviderUnavailableError,
}


@pytest.mark.parametrize(("status", "code"), sorted(DOCUMENTED))
def test_every_documented_code_maps_to_its_exception(status: int, code: str) -> None:
    exc = errors.error_from_status(status, code, "message")
    assert type(exc) is DOCUMENTED[(status, code)]
    if isinstance(exc, BankingProviderError):
        assert exc.code == code and exc.provider == "teller" and exc.status_code == status


def test_no_known_code_is_left_unmapped() -> None:
    documented_codes = {code for _, code in DOCUMENTED} - {"account.closed.by_user"}
    assert documented_codes <= set(errors.KNOWN_ERROR_CODES), "a documented Teller code has no mapping"
    assert emitted_codes() <= set(errors.KNOWN_ERROR_CODES), "the emulator answers a code the client doesn't map"
    for code, cls in errors.KNOWN_ERROR_CODES.items():
        assert issubclass(cls, BankingError), code


def test_missing_certificate_400_is_a_configuration_error() -> None:
    message = "Missing certificate: Retry request using your Teller client certificate."
    exc = errors.error_from_status(400, "bad_request", message)
    assert isinstance(exc, ProviderConfigurationError) and "TELLER_CERTIFICATE_PATH" in str(exc)


def test_retry_after_as_seconds_or_http_date() -> None:
    assert errors.retry_after_seconds(httpx.Headers({"Retry-After": "3"})) == 3.0
    assert errors.retry_after_seconds(httpx.Headers({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert errors.retry_after_seconds(httpx.Headers({})) is None


@pytest.mark.parametrize("username", sorted(DISCONNECT_REASONS))
async def test_disconnected_enrollment_needs_reconnecting(
    teller: TellerEmulator, client: TellerClient, username: str
) -> None:
    token = teller.enroll(username, "password")
    with pytest.raises(ItemLoginRequiredError) as info:
        await client.get_transactions(token, "2025-06-01", "2025-06-10")
    assert info.value.code == DISCONNECT_REASONS[username]
    assert info.value.display_message and "reconnect" in info.value.display_message
    link = await client.create_link_token("user-1", access_token=token)  # update mode still finds the enrollment
    assert link.mode == "update" and link.enrollment_id == teller.backend.tokens[token]


async def test_reconnected_enrollment_works_again(teller: TellerEmulator, client: TellerClient) -> None:
    token = teller.enroll("mfa_required", "password")
    with pytest.raises(ItemLoginRequiredError):
        await client.get_identity(token)
    teller.backend.reconnect(teller.backend.tokens[token])
    assert (await client.get_identity(token)).owners


async def test_unknown_token_is_refused_without_echoing_it(client: TellerClient) -> None:
    with pytest.raises(InvalidCredentialsError) as info:
        await client.get_accounts("test_token_notarealtoken1")
    assert info.value.code == "forbidden" and info.value.status_code == 403
    assert "test_token_notarealtoken1" not in str(info.value) + repr(info.value)
    assert info.value.request_id


async def test_missing_token_is_refused_locally(client: TellerClient) -> None:
    with pytest.raises(InvalidCredentialsError):
        await client.get_accounts("  ")


async def test_401_from_teller(teller: TellerEmulator, client: TellerClient, token: str) -> None:
    teller.faults.fail_next(401)
    with pytest.raises(InvalidCredentialsError) as info:
        await client.get_identity(token)
    assert info.value.code == "unauthorized"


async def test_closed_account_is_gone(teller: TellerEmulator, client: TellerClient, token: str) -> None:
    closed = teller.backend.accounts(token)[1]
    teller.backend.close_account(closed.id)
    with pytest.raises(AccountNotFoundError) as info:
        await client.get_balances(token, account_id=closed.id)
    assert info.value.code == "account.closed" and info.value.status_code == 410
    balances = await client.get_balances(token)  # the other accounts still answer
    assert closed.id not in {b.account_id for b in balances} and len(balances) == 2
    assert {a.id for a in await client.get_accounts(token)} >= {closed.id}


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_then_success(teller: TellerEmulator, client: TellerClient, token: str, status: int) -> None:
    teller.faults.fail_next(status, retry_after=0.2, path="/identity")
    started = time.monotonic()
    assert (await client.get_identity(token)).owners
    assert time.monotonic() - started >= 0.2, "Retry-After was honoured"
    assert [r.path for r in teller.backend.requests] == ["/identity", "/identity"]


async def test_retry_after_beyond_the_budget_raises_rate_limit(
    teller: TellerEmulator, client: TellerClient, token: str
) -> None:
    teller.faults.fail_next(429, retry_after=120)
    with pytest.raises(RateLimitError) as info:
        await client.get_identity(token)
    assert info.value.retry_after == 120 and info.value.code == "too_many_requests"
    assert len(teller.backend.requests) == 1, "no retry when Retry-After exceeds the time budget"


async def test_5xx_storm_ends_in_provider_unavailable_within_the_bound(
    teller: TellerEmulator, token: str
) -> None:
    teller.faults.fail_next(502, times=50)
    policy = RetryPolicy(max_attempts=10, base_delay=0.05, max_delay=0.2, total_timeout=0.6)
    async with teller.client(retry=policy) as client:
        started = time.monotonic()
        with pytest.raises(ProviderUnavailableError) as info:
            await client.get_identity(token)
        elapsed = time.monotonic() - started
    assert info.value.code == "bad_gateway"
    assert 1 < len(teller.backend.requests) <= 10
    assert elapsed < 0.6 + 0.5, "the retry budget bounds the total time"


async def test_5xx_then_success(teller: TellerEmulator, client: TellerClient, token: str) -> None:
    teller.faults.fail_next(503, times=2)
    assert (await client.get_identity(token)).owners
    assert len(teller.backend.requests) == 3


async def test_dropped_connection_is_retried(teller: TellerEmulator, client: TellerClient, token: str) -> None:
    teller.faults.drop_next(path="/identity")
    assert (await client.get_identity(token)).owners
    assert len(teller.backend.requests) == 2


async def test_dropped_connections_end_in_provider_unavailable(
    teller: TellerEmulator, client: TellerClient, token: str
) -> None:
    teller.faults.drop_next(times=20)
    with pytest.raises(ProviderUnavailableError) as info:
        await client.get_identity(token)
    assert info.value.code == "connection_error"


async def test_removal_is_not_retried(teller: TellerEmulator, client: TellerClient, token: str) -> None:
    teller.faults.fail_next(503)
    with pytest.raises(ProviderUnavailableError):
        await client.remove_item(token)
    assert len(teller.backend.requests) == 1


async def test_timeout_is_provider_unavailable(teller: TellerEmulator, token: str) -> None:
    teller.faults.latency = 0.5
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01, total_timeout=0.3)
    async with teller.client(retry=policy) as client:
        with pytest.raises(ProviderUnavailableError) as info:
            await client.get_identity(token)
    assert info.value.code == "timeout"


async def test_one_failing_account_fails_the_fan_out(teller: TellerEmulator, token: str) -> None:
    teller.faults.fail_next(403, path="/accounts/")  # any per-account call
    async with teller.client(retry=FAST_RETRY) as client:
        with pytest.raises(InvalidCredentialsError):
            await client.get_balances(token)


async def test_tokens_never_reach_the_logs(
    teller: TellerEmulator, client: TellerClient, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    teller.faults.fail_next(429, retry_after=0.01)
    teller.faults.drop_next()
    await client.get_balances(token)
    with pytest.raises(InvalidCredentialsError):
        await client.get_accounts("test_token_leaky")
    assert caplog.records, "the retries were logged"
    assert token not in caplog.text and "test_token_leaky" not in caplog.text
