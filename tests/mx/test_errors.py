"""MX errors mapped in one place: every HTTP status and every connection status, through the real client."""

from __future__ import annotations

import logging

import pytest

from fin_infra.banking.exceptions import (
    AccountNotFoundError,
    BankingProviderError,
    InvalidCredentialsError,
    ItemLoginRequiredError,
    ProductNotReadyError,
    ProviderUnavailableError,
    RateLimitError,
)
from fin_infra.emulators.mx import data
from fin_infra.emulators.mx.errors import emitted_statuses
from fin_infra.providers.banking.mx import MXClient, RetryPolicy
from fin_infra.providers.banking.mx.errors import CONNECTION_STATUSES, STATUS_ERRORS, error_from_status
from fin_infra.providers.banking.mx.paging import read_all
from fin_infra.testing.mx import MXEmulator

NO_RETRY = {"retry": RetryPolicy(max_attempts=1, total_timeout=2.0), "poll_interval": 0.01}

EXPECTED: dict[int, type[BankingProviderError]] = {
    400: BankingProviderError, 401: InvalidCredentialsError, 403: BankingProviderError, 404: InvalidCredentialsError,
    405: BankingProviderError, 406: BankingProviderError, 409: ProductNotReadyError, 422: BankingProviderError,
    429: RateLimitError, 500: ProviderUnavailableError, 502: ProviderUnavailableError, 503: ProviderUnavailableError,
    504: ProviderUnavailableError,
}  # fmt: skip


def test_every_status_the_emulator_answers_is_mapped() -> None:
    assert emitted_statuses() <= set(STATUS_ERRORS), "a status the emulator sends has no explicit mapping"
    assert set(EXPECTED) == emitted_statuses()


def test_every_connection_status_is_mapped() -> None:
    assert set(data.CONNECTION_STATUSES) <= set(CONNECTION_STATUSES)
    for status in data.WEBHOOK_STATUSES:  # the states MX tells the app about all need the user
        assert CONNECTION_STATUSES[status] is ItemLoginRequiredError


@pytest.mark.parametrize("status", sorted(EXPECTED))
async def test_each_status_over_http(mx: MXEmulator, token: str, status: int) -> None:
    mx.faults.fail_next(status, retry_after=7 if status == 429 else None, path="/users")
    async with mx.client(**NO_RETRY) as client:
        with pytest.raises(BankingProviderError) as info:
            await client.get_accounts(token)
    error = info.value
    assert type(error) is EXPECTED[status]
    assert error.status_code == status and error.provider == "mx" and error.code == f"mx_http_{status}"
    if status == 429:
        assert isinstance(error, RateLimitError) and error.retry_after == 7
    assert token not in str(error) and mx.api_key not in str(error)


def test_404_depends_on_what_was_asked_for() -> None:
    assert isinstance(error_from_status(404, "x", missing="account"), AccountNotFoundError)
    assert isinstance(error_from_status(404, "x", missing="member"), InvalidCredentialsError)
    assert type(error_from_status(404, "x", missing="other")) is BankingProviderError
    assert isinstance(error_from_status(599, "x"), ProviderUnavailableError)


@pytest.mark.parametrize("status", sorted(data.CONNECTION_STATUSES))
async def test_each_connection_status_through_the_client(mx: MXEmulator, token: str, status: str) -> None:
    mx.set_status(mx.member_of(token), status)
    async with mx.client(**NO_RETRY) as client:
        expected = CONNECTION_STATUSES[status]
        if expected is None:
            assert await client.get_accounts(token)
            return
        with pytest.raises(expected) as info:
            await client.get_accounts(token)
    assert info.value.code == f"mx_{status.lower()}"
    reason = data.CONNECTION_STATUSES[status][1].split(":")[0]
    assert reason in info.value.message, "MX's reason travels with the error"
    if expected is ItemLoginRequiredError:
        assert "update mode" in info.value.message and info.value.display_message


async def test_a_job_that_ends_challenged_raises(mx: MXEmulator, token: str) -> None:
    mx.set_status(mx.member_of(token), "DENIED")
    async with mx.client(**NO_RETRY) as client:
        with pytest.raises(ItemLoginRequiredError, match="DENIED"):
            await client.get_balances(token, fresh=True)


async def test_a_job_that_runs_too_long_is_not_ready(mx: MXEmulator, token: str) -> None:
    mx.backend.job_seconds = 30
    async with mx.client(**NO_RETRY, job_timeout=0.1) as client:
        with pytest.raises(ProductNotReadyError):
            await client.get_balances(token, fresh=True)


async def test_bad_client_credentials(mx: MXEmulator, token: str) -> None:
    async with MXClient(**{**mx.provider_options(), "api_key": "wrong-key"}, **NO_RETRY) as client:
        with pytest.raises(InvalidCredentialsError, match="MX_API_KEY"):
            await client.get_accounts(token)


async def test_wrong_shape_is_a_typed_error_never_an_empty_success() -> None:
    # A shape the emulator never sends (a list without pagination): fed to the pager directly.
    async def fetch(_: object) -> dict[str, object]:
        return {"transactions": [{"guid": "TRN-1"}]}

    with pytest.raises(BankingProviderError) as info:
        await read_all(fetch, "transactions", {}, 10)
    assert info.value.code == "invalid_response" and info.value.http_status == 502


def test_nothing_secret_in_logs(mx: MXEmulator, token: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    mx.faults.fail_next(503, path="/users")
    client = mx.client(**NO_RETRY)
    try:
        with pytest.raises(ProviderUnavailableError):
            client.accounts(access_token=token)
    finally:
        client.close()
    member = mx.member_of(token)
    for record in caplog.records:
        text = record.getMessage()
        assert token not in text
        assert mx.api_key not in text
        if record.name.startswith("fin_infra"):
            assert member not in text, "our own lines shorten GUIDs (httpx's request line has MX's URL)"
    assert any(r.name.startswith("fin_infra") and "USR-*" in r.getMessage() for r in caplog.records)


async def test_an_html_error_page_is_retried_then_unavailable(mx: MXEmulator, token: str) -> None:
    retry = {"retry": RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, total_timeout=5.0)}
    async with mx.client(**retry) as client:
        mx.faults.answer_next(502, "<html><body>Bad gateway</body></html>", content_type="text/html", path="/users")
        assert len(await client.get_accounts(token)) == 3  # a proxy's page once: retried
        mx.faults.answer_next(502, "<html>down</html>", content_type="text/html", times=10, path="/users")
        with pytest.raises(ProviderUnavailableError):
            await client.get_accounts(token)
    mx.faults.clear()


@pytest.mark.parametrize("body", ['{"accounts": "none"}', "[]", "{"])
async def test_wrong_shape_answers_are_invalid_response(mx: MXEmulator, token: str, body: str) -> None:
    mx.faults.answer_next(200, body, path="/users")
    async with mx.client(**NO_RETRY) as client:
        with pytest.raises(BankingProviderError) as info:
            await client.get_accounts(token)
    assert info.value.code == "invalid_response" and info.value.http_status == 502


@pytest.mark.parametrize("hint", ["inf", "NaN", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "soon"])
async def test_absurd_retry_after_never_crashes_or_stalls(mx: MXEmulator, token: str, hint: str) -> None:
    mx.faults.fail_next(429, retry_after=hint, path="/users")
    retry = {"retry": RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05, total_timeout=5.0)}
    async with mx.client(**retry) as client:
        assert len(await client.get_accounts(token)) == 3


async def test_a_hung_upstream_stays_within_the_time_budget(mx: MXEmulator, token: str) -> None:
    budget = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05, total_timeout=0.5)
    async with mx.client(retry=budget, timeout=0.3) as client:
        mx.faults.hang_next(3.0, times=3, path="/users")
        with pytest.raises(ProviderUnavailableError) as info:
            await client.get_accounts(token)
    assert info.value.code == "timeout"
    mx.faults.clear()
