"""Teller paging survives a vanished ``from_id`` row and one-off 404s; closed accounts are skipped alike."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from fin_infra.banking.exceptions import AccountNotFoundError
from fin_infra.emulators.teller import create_app
from fin_infra.providers.banking.teller import TellerClient
from fin_infra.testing.teller import TellerEmulator
from tests.hardening.conftest import TELLER_RETRY, TODAY

START = TODAY.replace(month=1, day=1)


class Meddling(httpx.AsyncBaseTransport):
    """The emulator app in process, with a hook run before the first request that pages with ``from_id``."""

    def __init__(self, teller: TellerEmulator, on_second_page: Callable[[httpx.Request], None]) -> None:
        self.inner = httpx.ASGITransport(app=create_app(teller.backend))
        self.on_second_page = on_second_page
        self.done = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.done and "from_id" in request.url.params:
            self.done = True
            self.on_second_page(request)
        return await self.inner.handle_async_request(request)


def _client(teller: TellerEmulator, transport: httpx.AsyncBaseTransport) -> TellerClient:
    return TellerClient(
        base_url="https://teller.test", transport=transport, page_size=10, retry=TELLER_RETRY, account_cache_ttl=0
    )


async def _expected(teller: TellerEmulator, token: str, account_id: str) -> list[str]:
    async with teller.client(retry=TELLER_RETRY, page_size=500) as client:
        return [t.id for t in await client.get_transactions(token, START, TODAY, account_id=account_id)]


async def test_a_from_id_row_that_vanishes_between_pages_restarts_the_paging(teller_emulator: TellerEmulator) -> None:
    teller_emulator.reset()
    token = teller_emulator.enroll("username", "password", seed="fin-infra-paging")
    account = teller_emulator.backend.accounts(token)[0]
    before = await _expected(teller_emulator, token, account.id)
    assert len(before) > 25, "enough rows for several pages of 10"
    removed: list[str] = []

    def vanish(request: httpx.Request) -> None:
        rows = teller_emulator.backend._rows(account)[0]
        gone = request.url.params["from_id"]
        rows[:] = [r for r in rows if r.id != gone]
        removed.append(gone)

    async with _client(teller_emulator, Meddling(teller_emulator, vanish)) as client:
        got = [t.id for t in await client.get_transactions(token, START, TODAY, account_id=account.id)]
    assert removed and removed[0] not in got
    assert got == [t for t in before if t != removed[0]], "every other row once, none doubled"
    teller_emulator.reset()


async def test_a_one_off_404_on_a_later_page_is_not_account_not_found(teller_emulator: TellerEmulator) -> None:
    teller_emulator.reset()
    token = teller_emulator.enroll("username", "password", seed="fin-infra-paging")
    account = teller_emulator.backend.accounts(token)[0]
    before = await _expected(teller_emulator, token, account.id)

    def one_404(request: httpx.Request) -> None:
        teller_emulator.faults.fail_next(404, "not_found", path=f"/accounts/{account.id}/transactions")

    async with _client(teller_emulator, Meddling(teller_emulator, one_404)) as client:
        got = [t.id for t in await client.get_transactions(token, START, TODAY, account_id=account.id)]
    assert got == before
    teller_emulator.reset()


async def test_a_one_off_404_on_the_first_page_is_retried_and_a_real_404_still_raises(
    teller_emulator: TellerEmulator,
) -> None:
    teller_emulator.reset()
    token = teller_emulator.enroll("username", "password", seed="fin-infra-paging")
    account = teller_emulator.backend.accounts(token)[0]
    async with teller_emulator.client(retry=TELLER_RETRY, account_cache_ttl=0) as client:
        teller_emulator.faults.fail_next(404, "not_found", path=f"/accounts/{account.id}/transactions")
        assert await client.get_transactions(token, START, TODAY, account_id=account.id)
        with pytest.raises(AccountNotFoundError):
            await client.get_transactions(token, START, TODAY, account_id="acc_doesnotexist000000")
    teller_emulator.reset()


async def test_an_account_closed_while_the_list_is_cached_is_skipped_by_transactions_like_balances(
    teller_emulator: TellerEmulator,
) -> None:
    teller_emulator.reset()
    token = teller_emulator.enroll("username", "password", seed="fin-infra-paging")
    accounts = teller_emulator.backend.accounts(token)
    async with teller_emulator.client(retry=TELLER_RETRY, account_cache_ttl=30) as client:
        everything = await client.get_transactions(token, START, TODAY)  # the account list is now cached
        teller_emulator.backend.close_account(accounts[0].id)
        txns = await client.get_transactions(token, START, TODAY)
        balances = await client.get_balances(token)
    assert {t.account_id for t in txns} == {t.account_id for t in everything} - {accounts[0].id}
    assert accounts[0].id not in {b.account_id for b in balances}
    assert len(txns) == len([t for t in everything if t.account_id != accounts[0].id])
    teller_emulator.reset()
