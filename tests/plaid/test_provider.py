"""Our Plaid provider against the emulator over real HTTP: link -> exchange -> data, normalised."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from decimal import Decimal

import pytest

from fin_infra.banking.exceptions import AccountNotFoundError, InvalidCredentialsError
from fin_infra.providers.banking.plaid import PlaidProvider
from fin_infra.providers.banking.plaid.normalize import personal_finance_category
from fin_infra.testing.plaid import PlaidEmulator


async def test_link_exchange_and_every_read(plaid_provider: PlaidProvider, plaid: PlaidEmulator) -> None:
    link = await plaid_provider.create_link_token("user-42", products=["transactions", "identity"], webhook=None)
    assert link.provider == "plaid" and link.mode == "create" and link.link_token
    assert link.products == ["transactions", "identity"] and link.environment == "sandbox"

    public = await plaid_provider.create_sandbox_public_token("ins_109508")
    exchange = await plaid_provider.exchange_public_token(public)
    assert exchange.access_token.startswith("access-sandbox-")
    assert (exchange.institution_id, exchange.institution_name) == ("ins_109508", "First Platypus Bank")
    token = exchange.access_token

    accounts = await plaid_provider.get_accounts(token)
    assert [(a.type, a.subtype, a.mask) for a in accounts] == [
        ("depository", "checking", "0000"),
        ("depository", "savings", "1111"),
        ("credit", "credit_card", "3333"),
    ]
    card = accounts[2]
    assert card.balance == Decimal("410") and card.available_balance is None  # null stays None
    assert card.raw is not None and card.raw["balances"]["limit"] == Decimal("2000")

    balances = await plaid_provider.get_balances(token)
    assert [b.limit for b in balances] == [None, None, Decimal("2000")]
    assert all(isinstance(b.current, Decimal) for b in balances)
    [one] = await plaid_provider.get_balances(token, account_id=accounts[0].id)
    assert one.account_id == accounts[0].id and one.available == Decimal("100")

    identity = await plaid_provider.get_identity(token)
    [owner] = identity.owners  # the same owner on three accounts is one owner
    assert owner.name == "Alberta Bobbeth Charleson" and owner.email and owner.address and owner.address.city
    assert identity.account_ids == [a.id for a in accounts]

    txns = await plaid_provider.get_transactions(token, dt.date.today() - dt.timedelta(days=89), dt.date.today())
    assert len(txns) == 270 == len({t.id for t in txns})
    assert txns == sorted(txns, key=lambda t: (t.date, t.id), reverse=True)
    spend = next(t for t in txns if t.raw and t.raw["amount"] > 0)
    assert spend.amount == -spend.raw["amount"] and spend.amount < 0  # Plaid: positive = money out
    income = next(t for t in txns if t.raw and t.raw["amount"] < 0)
    assert income.amount > 0 and income.category == "Transfer"
    assert spend.category_path == spend.raw["category"]  # the legacy category list...
    assert personal_finance_category(spend) == (  # ...and the personal finance category, both available
        spend.raw["personal_finance_category"]["primary"],
        spend.raw["personal_finance_category"]["detailed"],
    )


async def test_amounts_are_exact_decimals(plaid_provider: PlaidProvider, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token(days_requested=1)
    plaid.backend.add_transaction(token, "1234567.89", "BIG PURCHASE")
    plaid.backend.add_transaction(token, "0.10", "TEN CENTS")
    plaid.backend.add_transaction(token, "-0.30", "THIRTY CENTS REFUND")
    plaid.backend.add_transaction(token, "0", "ZERO")
    by_name = {t.description: t.amount for t in await plaid_provider.get_transactions(token)}
    assert str(by_name["BIG PURCHASE"]) == "-1234567.89"
    assert str(by_name["TEN CENTS"]) == "-0.1"
    assert str(by_name["THIRTY CENTS REFUND"]) == "0.3"
    assert by_name["ZERO"] == 0 and not str(by_name["ZERO"]).startswith("-")  # never "-0"


async def test_date_range_and_account_filter(plaid_provider: PlaidProvider, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token()
    today = dt.date.today()
    week = await plaid_provider.get_transactions(token, today - dt.timedelta(days=6), today)
    assert week and all(today - dt.timedelta(days=6) <= t.date <= today for t in week)
    card = (await plaid_provider.get_accounts(token))[2].id
    on_card = await plaid_provider.get_transactions(token, today - dt.timedelta(days=6), today, account_id=card)
    assert {t.id for t in on_card} == {t.id for t in week if t.account_id == card}
    with pytest.raises(AccountNotFoundError):
        await plaid_provider.get_transactions(token, account_id="no-such-account")
    with pytest.raises(AccountNotFoundError):
        await plaid_provider.get_balances(token, account_id="no-such-account")


async def test_update_mode_link_token(plaid_provider: PlaidProvider, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token()
    link = await plaid_provider.create_link_token("user-42", access_token=token)
    assert link.mode == "update" and link.products == []
    assert link.expiration is not None
    assert link.expiration - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=30)  # update-mode tokens live 30 min


async def test_exchange_accepts_a_mapping_and_refuses_junk(plaid_provider: PlaidProvider, plaid: PlaidEmulator) -> None:
    exchange = await plaid_provider.exchange_public_token({"public_token": plaid.create_public_token()})
    assert exchange.item_id
    with pytest.raises(InvalidCredentialsError) as info:
        await plaid_provider.exchange_public_token("public-sandbox-00000000-0000-0000-0000-000000000000")
    assert info.value.code == "INVALID_PUBLIC_TOKEN" and info.value.request_id
    with pytest.raises(ValueError, match="public_token"):
        await plaid_provider.exchange_public_token({"something": "else"})


async def test_bad_arguments_are_clear_value_errors(plaid_provider: PlaidProvider) -> None:
    with pytest.raises(ValueError, match="not a valid Plaid products"):
        await plaid_provider.create_link_token("u", products=["not-a-product"])
    with pytest.raises(ValueError, match="unknown link option"):
        await plaid_provider.create_link_token("u", colour="blue")
    with pytest.raises(ValueError, match="user_id"):
        await plaid_provider.create_link_token("")
    with pytest.raises(ValueError, match="access_token"):
        await plaid_provider.get_accounts("")


async def test_remove_item_kills_the_token(plaid_provider: PlaidProvider, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token()
    await plaid_provider.remove_item(token)
    with pytest.raises(InvalidCredentialsError) as info:
        await plaid_provider.get_accounts(token)
    assert info.value.code == "INVALID_ACCESS_TOKEN"
    assert token not in str(info.value) and token not in repr(info.value)


async def test_calls_run_off_the_event_loop_on_a_bounded_pool(plaid: PlaidEmulator) -> None:
    provider = PlaidProvider(**plaid.provider_options(), max_workers=2)
    token = plaid.create_access_token()
    api = provider._caller.api
    plaid.backend.inject_fault(endpoint="/accounts/get", latency=0.2, times=None)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    results = await asyncio.gather(*(provider.get_accounts(token) for _ in range(4)))
    task.cancel()
    plaid.backend.clear_faults()
    assert all(len(r) == 3 for r in results)
    assert ticks > 0, "the loop kept running other coroutines while Plaid answered"
    workers = [t for t in threading.enumerate() if t.name.startswith("fin-infra-plaid")]
    assert 1 <= len(workers) <= 2
    assert provider._caller.api is api  # one client per provider, not one per call
    await provider.aclose()
    await provider.aclose()  # closing twice is fine
    assert len(await provider.get_accounts(token)) == 3  # and a closed provider starts its pool again
    await provider.aclose()


def test_synchronous_face(plaid: PlaidEmulator) -> None:
    provider = PlaidProvider(**plaid.provider_options())
    token = plaid.create_access_token()
    assert [a.id for a in provider.accounts(token)] == [a.id for a in asyncio.run(provider.get_accounts(token))]
    assert provider.transactions(token) and provider.identity(token).owners
    provider.close()


def test_secret_never_shows(plaid: PlaidEmulator) -> None:
    provider = PlaidProvider(**plaid.provider_options())
    assert plaid.secret not in repr(provider) and plaid.secret not in repr(provider.settings)
    provider.close()
