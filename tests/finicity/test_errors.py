"""Finicity errors: every code the emulator answers with is mapped on purpose; statuses, retries and faults."""

from __future__ import annotations

import pytest

from fin_infra.banking.exceptions import (
    BankingProviderError,
    InvalidCredentialsError,
    ItemLoginRequiredError,
    ProviderUnavailableError,
    RateLimitError,
)
from fin_infra.emulators.finicity.errors import emitted_codes
from fin_infra.providers.banking.finicity import FinicityClient
from fin_infra.providers.banking.finicity.errors import (
    FIXABLE,
    KNOWN_ERROR_CODES,
    error_from_status,
    parse_error_body,
)
from fin_infra.testing.finicity import FinicityEmulator

ACCOUNTS = "/aggregation/v1/customers"


def test_every_code_the_emulator_sends_is_mapped() -> None:
    missing = emitted_codes() - set(KNOWN_ERROR_CODES)
    assert not missing, f"map these Finicity codes in KNOWN_ERROR_CODES: {sorted(missing)}"


@pytest.mark.parametrize(("status", "code", "expected"), [
    (401, "10022", BankingProviderError), (401, "10023", BankingProviderError), (404, "14001", InvalidCredentialsError),
    (400, "14020", BankingProviderError), (400, "10005", BankingProviderError), (409, "110002", BankingProviderError),
    (429, "10029", RateLimitError), (500, "10025", ProviderUnavailableError), (503, None, ProviderUnavailableError),
    (400, "103", ItemLoginRequiredError), (400, "185", ItemLoginRequiredError), (400, "102", ProviderUnavailableError),
])  # fmt: skip
def test_mapping(status: int, code: str | None, expected: type[Exception]) -> None:
    error = error_from_status(status, code, "message")
    assert type(error) is expected


def test_every_fixable_aggregation_code_needs_the_user() -> None:
    assert all(KNOWN_ERROR_CODES[str(code)] is ItemLoginRequiredError for code in FIXABLE)


@pytest.mark.parametrize(("body", "expected"), [
    (b'{"code": "10023", "message": "Expired (Finicity-App-Token)"}', ("10023", "Expired (Finicity-App-Token)")),
    (b'{"code": 14001, "message": "Customer not found."}', ("14001", "Customer not found.")),
    (b'{"Errors": {"Error": [{"ReasonCode": "AUTH", "Description": "Unauthorized"}]}}', ("AUTH", "Unauthorized")),
    (b"Invalid (Finicity-App-Key)", (None, "Invalid (Finicity-App-Key)")),
    (b"[1, 2]", (None, None)),
])  # fmt: skip
def test_every_error_shape_is_read(body: bytes, expected: tuple[str | None, str | None]) -> None:
    assert parse_error_body(body) == expected


async def test_rate_limit_is_retried_after_the_hint(
    client: FinicityClient, token: str, finicity: FinicityEmulator
) -> None:
    finicity.faults.fail_next(429, retry_after=0.05, path=ACCOUNTS)
    assert len(await client.get_accounts(token)) == 3


async def test_rate_limit_that_persists_says_when_to_retry(
    client: FinicityClient, token: str, finicity: FinicityEmulator
) -> None:
    finicity.faults.fail_next(429, retry_after=30, path=ACCOUNTS)  # beyond the retry budget: not waited for
    with pytest.raises(RateLimitError) as info:
        await client.get_accounts(token)
    assert info.value.retry_after == pytest.approx(30)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_retried(
    client: FinicityClient, token: str, finicity: FinicityEmulator, status: int
) -> None:
    finicity.faults.fail_next(status, times=2, path=ACCOUNTS)
    assert len(await client.get_accounts(token)) == 3


async def test_server_errors_that_persist_are_unavailable(
    client: FinicityClient, token: str, finicity: FinicityEmulator
) -> None:
    finicity.faults.fail_next(503, times=10, path=ACCOUNTS)
    with pytest.raises(ProviderUnavailableError):
        await client.get_accounts(token)


async def test_dropped_connection_is_retried(client: FinicityClient, token: str, finicity: FinicityEmulator) -> None:
    finicity.faults.drop_next(path=ACCOUNTS)
    assert len(await client.get_accounts(token)) == 3


async def test_writes_are_not_retried(client: FinicityClient, token: str, finicity: FinicityEmulator) -> None:
    finicity.faults.fail_next(503, path=ACCOUNTS)
    with pytest.raises(ProviderUnavailableError):
        await client.remove_item(token)
    assert sum(r.path.startswith(ACCOUNTS) for r in finicity.backend.requests if r.path != ACCOUNTS) == 1


async def test_unknown_customer_is_invalid_credentials(client: FinicityClient, finicity: FinicityEmulator) -> None:
    with pytest.raises(InvalidCredentialsError) as info:
        await client.get_accounts(finicity.access_token("1005000001"))
    assert info.value.code == "14001"


async def test_wrong_shape_is_a_typed_error(client: FinicityClient, token: str, finicity: FinicityEmulator) -> None:
    # A 200 whose body is not JSON: never an empty success.
    finicity.faults.fail_next(200, message="not json", path=ACCOUNTS)
    with pytest.raises(BankingProviderError) as info:
        await client.get_accounts(token)
    assert info.value.code == "invalid_response" and info.value.http_status == 502


async def test_an_html_error_page_is_retried_then_unavailable(
    client: FinicityClient, token: str, finicity: FinicityEmulator
) -> None:
    finicity.faults.answer_next(502, "<html><body>Bad gateway</body></html>", content_type="text/html", path=ACCOUNTS)
    assert len(await client.get_accounts(token)) == 3  # a proxy's page once: retried
    finicity.faults.answer_next(502, "<html>down</html>", content_type="text/html", times=10, path=ACCOUNTS)
    with pytest.raises(ProviderUnavailableError):
        await client.get_accounts(token)


@pytest.mark.parametrize("body", ['{"accounts": "none"}', '{"accounts": [{"name": "no id"}]}', "[]", "{"])
async def test_wrong_shape_answers_are_invalid_response(
    client: FinicityClient, token: str, finicity: FinicityEmulator, body: str
) -> None:
    finicity.faults.answer_next(200, body, path=ACCOUNTS)
    with pytest.raises(BankingProviderError) as info:
        await client.get_accounts(token)
    assert info.value.code == "invalid_response" and info.value.http_status == 502


async def test_absurd_retry_after_is_clamped_not_waited(
    client: FinicityClient, token: str, finicity: FinicityEmulator
) -> None:
    finicity.faults.fail_next(429, retry_after="inf", path=ACCOUNTS)  # unreadable: no hint, normal backoff
    assert len(await client.get_accounts(token)) == 3


async def test_a_hung_upstream_stays_within_the_time_budget(finicity: FinicityEmulator, token: str) -> None:
    from fin_infra.providers.banking.teller.settings import RetryPolicy

    budget = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05, total_timeout=0.5)
    async with finicity.client(retry=budget, timeout=0.3) as client:
        await client.get_accounts(token)  # partner token fetched first
        finicity.faults.hang_next(3.0, times=3, path=ACCOUNTS)
        with pytest.raises(ProviderUnavailableError) as info:
            await client.get_accounts(token)
    assert info.value.code == "timeout"
