"""Every TellerClient operation through real TLS against the emulator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fin_infra.banking.exceptions import AccountNotFoundError, InvalidCredentialsError
from fin_infra.providers.banking.teller import TellerClient
from fin_infra.testing.teller import TellerEmulator
from tests.teller.conftest import FAST_RETRY, TODAY

YEAR_AGO = TODAY - dt.timedelta(days=365)


def _calls(teller: TellerEmulator, suffix: str) -> list[dict[str, str]]:
    return [r.query for r in teller.backend.requests if r.method == "GET" and r.path.endswith(suffix)]


async def test_accounts_with_institution_and_balances(client: TellerClient, token: str) -> None:
    accounts = await client.get_accounts(token)
    assert [(a.type, a.subtype) for a in accounts] == [
        ("depository", "checking"), ("depository", "savings"), ("credit", "credit_card"),
    ]
    for a in accounts:
        assert a.id.startswith("acc_") and a.institution_id == "security_cu"
        assert a.institution_name == "Security Credit Union"
        assert a.mask is not None and len(a.mask) == 4
        assert isinstance(a.balance, Decimal) and isinstance(a.available_balance, Decimal)
        assert a.raw is not None and a.raw["links"]["self"].endswith(a.id)  # Teller's payload kept
        assert a.raw["balances"]["ledger"] == f"{a.balance:.2f}"


async def test_balances_of_every_account_and_of_one(client: TellerClient, token: str, teller: TellerEmulator) -> None:
    balances = await client.get_balances(token)
    accounts = await client.get_accounts(token)
    assert [b.account_id for b in balances] == [a.id for a in accounts]
    card = next(a for a in accounts if a.type == "credit")
    one = await client.get_balances(token, account_id=card.id)
    assert len(one) == 1 and one[0].account_id == card.id
    _, ledger, available = teller.backend.balances(token, card.id)
    assert (one[0].current, one[0].available) == (ledger, available)  # owed and credit left, unsigned
    with pytest.raises(AccountNotFoundError):
        await client.get_balances(token, account_id="acc_doesnotexist000")


async def test_transactions_in_range_every_account(client: TellerClient, token: str, teller: TellerEmulator) -> None:
    start, end = TODAY - dt.timedelta(days=45), TODAY
    txns = await client.get_transactions(token, start, end)
    assert txns and all(start <= t.date <= end for t in txns)
    assert [t.date for t in txns] == sorted((t.date for t in txns), reverse=True)
    assert len({t.id for t in txns}) == len(txns)
    accounts = teller.backend.accounts(token)
    rows = [teller.backend.transactions(token, a.id, start_date=start, end_date=end)[1] for a in accounts]
    expected = {r.id for chunk in rows for r in chunk}
    assert {t.id for t in txns} == expected, "nothing lost, nothing invented"
    assert any(t.pending for t in txns) and any(not t.pending for t in txns)


async def test_pagination_follows_from_id_with_no_extra_calls(teller: TellerEmulator, token: str) -> None:
    account = teller.backend.accounts(token)[0]
    in_range = teller.backend.transactions(token, account.id, start_date=YEAR_AGO, end_date=TODAY)[1]
    size = 40
    async with teller.client(page_size=size, retry=FAST_RETRY) as client:
        txns = await client.get_transactions(token, YEAR_AGO, TODAY, account_id=account.id)
    assert [t.id for t in txns] == [r.id for r in in_range]
    pages = _calls(teller, "/transactions")
    assert len(pages) == len(in_range) // size + 1, "one call per page, plus the short last one"
    assert all(p["count"] == str(size) for p in pages)
    assert "from_id" not in pages[0] and pages[1]["from_id"] == in_range[size - 1].id


async def test_transactions_of_one_account(client: TellerClient, token: str, teller: TellerEmulator) -> None:
    card = next(a for a in teller.backend.accounts(token) if a.template.type == "credit")
    txns = await client.get_transactions(token, YEAR_AGO, TODAY, account_id=card.id)
    assert txns and {t.account_id for t in txns} == {card.id}
    with pytest.raises(AccountNotFoundError):
        await client.get_transactions(token, YEAR_AGO, TODAY, account_id="acc_nope000")


async def test_per_account_calls_are_concurrent(teller: TellerEmulator) -> None:
    token = teller.enroll(accounts=6)
    teller.faults.latency = 0.2
    async with teller.client(retry=FAST_RETRY) as client:
        accounts = await client.get_accounts(token)  # warms the account list
        teller.backend.requests.clear()
        balances = await client.get_balances(token)
    assert len(balances) == len(accounts) == 6
    # Every balance request arrived: the server saw them all, and none waited for another (see bench/ for timing).
    assert len(_calls(teller, "/balances")) == 6


async def test_identity(client: TellerClient, token: str, teller: TellerEmulator) -> None:
    identity = await client.get_identity(token)
    person = teller.backend.identity(token)[1]
    assert len(identity.owners) == 1, "the same owner on three accounts appears once"
    owner = identity.owners[0]
    assert (owner.name, owner.email, owner.phone) == (person.name, person.email, person.phone)
    assert owner.address is not None and owner.address.region == person.region
    assert set(identity.account_ids) == {a.id for a in teller.backend.accounts(token)}


async def test_account_details(client: TellerClient, token: str, teller: TellerEmulator) -> None:
    checking, _, card = teller.backend.accounts(token)
    details = await client.get_account_details(token, checking.id)
    assert details is not None and details.account_number.endswith(checking.last_four)
    assert details.routing_numbers["ach"] == "021000021"
    assert details.account_number not in repr(details)
    assert await client.get_account_details(token, card.id) is None  # credit cards have no details
    with pytest.raises(AccountNotFoundError):
        await client.get_account_details(token, "acc_nope000")


async def test_remove_enrollment_and_account(client: TellerClient, teller: TellerEmulator) -> None:
    token = teller.enroll()
    first = (await client.get_accounts(token))[0]
    await client.remove_account(token, first.id)
    assert first.id not in {a.id for a in await client.get_accounts(token)}
    await client.remove_item(token)
    with pytest.raises(InvalidCredentialsError):
        await client.get_accounts(token)


def test_synchronous_face_uses_its_own_loop_and_closes(teller: TellerEmulator, token: str) -> None:
    client = teller.client(retry=FAST_RETRY)
    try:
        assert len(client.accounts(access_token=token)) == 3
        assert client.balances(access_token=token)
        assert client.transactions(token, YEAR_AGO, TODAY)
        assert client.identity(access_token=token).owners
    finally:
        client.close()


async def test_one_client_serves_two_event_loops(teller: TellerEmulator, token: str) -> None:
    # The app's loop and the synchronous face's portal loop each get their own pooled connection.
    async with teller.client(retry=FAST_RETRY) as client:
        from_portal = client.accounts(access_token=token)
        here = await client.get_accounts(token)
        assert [a.id for a in from_portal] == [a.id for a in here]
