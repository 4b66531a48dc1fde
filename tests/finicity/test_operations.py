"""Every FinicityClient operation over real HTTP against the emulator: data, paging, signs, link/exchange, removal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fin_infra.banking.exceptions import AccountNotFoundError, InvalidCredentialsError, ItemLoginRequiredError
from fin_infra.providers.banking.finicity import FinicityClient
from fin_infra.testing.finicity import FinicityEmulator
from tests.finicity.conftest import FAST_RETRY, TODAY

START = TODAY - dt.timedelta(days=90)


def _calls(finicity: FinicityEmulator, fragment: str) -> list[dict[str, str]]:
    return [r.query for r in finicity.backend.requests if fragment in r.path]


def _scope(finicity: FinicityEmulator, token: str) -> tuple[str, str]:
    customer, login = token.split(".")[1:3]
    return customer, login


async def test_accounts_are_normalised_with_types_and_raw(client: FinicityClient, token: str) -> None:
    accounts = await client.get_accounts(token)
    assert [(a.type, a.subtype) for a in accounts] == [
        ("depository", "checking"),
        ("depository", "savings"),
        ("credit", "credit_card"),
    ]
    for a in accounts:
        assert a.id.isdigit() and a.institution_id == "101732" and a.currency == "USD"
        assert a.mask is not None and len(a.mask) == 4
        assert isinstance(a.balance, Decimal) and isinstance(a.available_balance, Decimal)
        assert a.raw is not None and str(a.raw["id"]) == a.id  # Finicity's payload kept


async def test_signs_and_decimal_per_account_type(
    client: FinicityClient, token: str, finicity: FinicityEmulator
) -> None:
    accounts = {a.subtype: a for a in await client.get_accounts(token)}
    txns = await client.get_transactions(token, START, TODAY)
    by_account = {sub: [t for t in txns if t.account_id == a.id] for sub, a in accounts.items()}
    checking, savings, card = by_account["checking"], by_account["savings"], by_account["credit_card"]
    assert any(t.description == "ACME CORP PAYROLL" and t.amount == Decimal("1815.40") for t in checking)  # in: +
    assert all(t.amount < 0 for t in checking if t.description == "GREYSTAR RENT")  # out: -
    assert any(t.description == "TRANSFER FROM CHECKING" and t.amount > 0 for t in savings)
    assert all(t.amount < 0 for t in card if t.description.startswith(("SQ *", "TARGET", "SHELL")))  # charges: -
    assert any(t.description == "PAYMENT - THANK YOU" and t.amount > 0 for t in card)  # card payment: +
    assert all(isinstance(t.amount, Decimal) and t.amount == t.amount.quantize(Decimal("0.01")) for t in txns)
    # a card's balance is what is owed (positive), from Finicity's negative balance; limit and credit left
    customer, _ = _scope(finicity, token)
    raw_card = next(a for a in finicity.backend.accounts(customer) if a.template.type == "creditCard")
    _, cleared, _ = finicity.backend.rows(raw_card)
    assert cleared < 0 and accounts["credit_card"].balance == -cleared
    [bal] = await client.get_balances(token, account_id=accounts["credit_card"].id)
    assert bal.limit == Decimal("5000") and bal.available is not None and bal.current == -cleared
    raw_checking = next(a for a in finicity.backend.accounts(customer) if a.template.type == "checking")
    assert accounts["checking"].balance == finicity.backend.rows(raw_checking)[1]  # depository: kept as sent


async def test_transactions_complete_over_many_pages(finicity: FinicityEmulator, token: str) -> None:
    customer, _ = _scope(finicity, token)
    async with finicity.client(retry=FAST_RETRY, page_size=7) as small:
        txns = await small.get_transactions(token, START, TODAY)
    pages = _calls(finicity, "/transactions")
    assert len(pages) > 5 and all(p["limit"] == "7" for p in pages)
    assert sorted(int(p["start"]) for p in pages) == list(range(1, 7 * len(pages), 7))  # 1-based start += limit
    assert {p["includePending"] for p in pages} == {"true"}
    expected = finicity.backend.transactions(customer, None, 0, 2**40, include_pending=True)
    expected_ids = {str(r.id) for _, r in expected if START <= r.date <= TODAY}
    assert {t.id for t in txns} == expected_ids, "nothing lost, nothing doubled"
    assert len(txns) == len(expected_ids)
    assert [t.date for t in txns] == sorted((t.date for t in txns), reverse=True)
    assert any(t.pending for t in txns) and any(not t.pending for t in txns)
    assert all(START <= t.date <= TODAY for t in txns)


async def test_epoch_dates_cover_the_whole_days(client: FinicityClient, token: str, finicity: FinicityEmulator) -> None:
    await client.get_transactions(token, "2025-06-01", "2025-06-01")
    [query] = _calls(finicity, "/transactions")
    assert int(query["fromDate"]) == int(dt.datetime(2025, 6, 1, tzinfo=dt.UTC).timestamp())
    assert int(query["toDate"]) == int(dt.datetime(2025, 6, 2, tzinfo=dt.UTC).timestamp()) - 1


async def test_one_account_uses_the_account_endpoint(
    client: FinicityClient, token: str, finicity: FinicityEmulator
) -> None:
    account = (await client.get_accounts(token))[1]
    txns = await client.get_transactions(token, START, TODAY, account_id=account.id)
    assert txns and {t.account_id for t in txns} == {account.id}
    assert next(r.path for r in finicity.backend.requests if "/transactions" in r.path).startswith("/aggregation/v4/")
    for bad in ("5000000000", "../accounts", "1/owner"):
        with pytest.raises(AccountNotFoundError):
            await client.get_transactions(token, START, TODAY, account_id=bad)


async def test_a_login_token_sees_only_its_login(client: FinicityClient, finicity: FinicityEmulator) -> None:
    customer = finicity.create_customer()
    first = finicity.connect(customer)["payload"]["accounts"]
    second = finicity.connect(customer, accounts=2)["payload"]["accounts"]
    login_token = finicity.access_token(customer, str(second[0]["institutionLoginId"]))
    customer_token = finicity.access_token(customer)
    assert {a.id for a in await client.get_accounts(login_token)} == {a["id"] for a in second}
    assert len(await client.get_accounts(customer_token)) == len(first) + len(second)
    txns = await client.get_transactions(login_token, START, TODAY)
    assert {t.account_id for t in txns} <= {a["id"] for a in second}
    with pytest.raises(AccountNotFoundError):
        await client.get_balances(login_token, account_id=first[0]["id"])


async def test_live_balances_concurrently(client: FinicityClient, token: str, finicity: FinicityEmulator) -> None:
    cached = await client.get_balances(token)
    assert len(_calls(finicity, "availableBalance")) == 0
    live = await client.get_balances(token, live=True)
    assert len(_calls(finicity, "/availableBalance/live")) == 3
    assert [b.account_id for b in live] == [b.account_id for b in cached]
    assert [(b.current, b.available) for b in live] == [(b.current, b.available) for b in cached]
    lists = len([r for r in finicity.backend.requests if r.path.endswith("/accounts")])
    await client.get_balances(token, live=True)  # the account list is reused (account_cache_ttl): only the fan-out
    assert len([r for r in finicity.backend.requests if r.path.endswith("/accounts")]) == lists
    assert len(_calls(finicity, "/availableBalance/live")) == 6


async def test_identity_from_account_owners(client: FinicityClient, token: str, finicity: FinicityEmulator) -> None:
    identity = await client.get_identity(token)
    assert len(identity.owners) == 1, "the same owner on three accounts is one owner"
    owner = identity.owners[0]
    assert owner.name and owner.email and owner.email.endswith("@example.net")
    assert owner.phone and owner.address is not None and owner.address.region
    assert len(identity.account_ids) == 3 and len(_calls(finicity, "/owner")) == 3


@pytest.mark.parametrize("code", [103, 108, 109, 185, 187])
async def test_aggregation_status_needs_the_user(
    client: FinicityClient, token: str, finicity: FinicityEmulator, code: int
) -> None:
    _, login = _scope(finicity, token)
    finicity.set_aggregation_status(login, code)
    for call in (client.get_accounts(token), client.get_balances(token), client.get_transactions(token, START, TODAY),
                 client.get_identity(token)):  # fmt: skip
        with pytest.raises(ItemLoginRequiredError) as info:
            await call
        assert info.value.code == f"aggregation_{code}" and login in info.value.message
    link = await client.create_link_token("user-1", access_token=token)
    assert link.mode == "update" and link.extra["institution_login_id"] == login
    finicity.complete_connect(link.link_token or "")  # the user repairs it in fix mode
    assert await client.get_accounts(token)


async def test_sandbox_failing_password_shows_as_aggregation_status(
    client: FinicityClient, finicity: FinicityEmulator
) -> None:
    token = finicity.create_access_token("demo", "123")
    with pytest.raises(Exception) as info:  # 123 is not one Data Connect Fix repairs: retry later
        await client.get_balances(token, live=True)
    assert getattr(info.value, "code", None) == "aggregation_123"
    assert await client.get_accounts(token)  # Finicity's cached data still reads


async def test_link_creates_one_customer_per_user_and_exchange_names_the_login(
    client: FinicityClient, finicity: FinicityEmulator
) -> None:
    link = await client.create_link_token("user-42", redirect_uri="https://app.example.com/done")
    assert link.provider == "finicity" and link.mode == "create" and link.link_token == link.extra["connect_url"]
    again = await client.create_link_token("user-42")  # username taken: the customer is looked up, not duplicated
    assert again.extra["customer_id"] == link.extra["customer_id"] and len(finicity.backend.customers) == 1
    [created] = finicity.backend.customers.values()
    assert created.kind == "testing" and "user-42" not in created.username  # the app's user id stays private
    event = finicity.complete_connect(link.link_token or "")
    exchanged = await client.exchange_public_token(event)
    customer = link.extra["customer_id"]
    login = str(event["payload"]["accounts"][0]["institutionLoginId"])
    assert exchanged.item_id == f"{customer}:{login}" and exchanged.institution_id == "101732"
    assert exchanged.access_token == finicity.access_token(customer, login)
    assert finicity.backend.partner_secret not in exchanged.access_token
    assert len(await client.get_accounts(exchanged.access_token)) == 3
    # the bare identifiers work too (the front end's event without the payload)
    same = await client.exchange_public_token({"customerId": customer, "institutionLoginId": login})
    assert same.access_token == exchanged.access_token


async def test_exchange_refuses_what_finicity_does_not_know(client: FinicityClient, finicity: FinicityEmulator) -> None:
    customer = finicity.create_customer()
    with pytest.raises(InvalidCredentialsError):
        await client.exchange_public_token({"customerId": customer})  # no login yet
    with pytest.raises(InvalidCredentialsError):
        await client.exchange_public_token({"customerId": "1005000000", "institutionLoginId": "1"})
    with pytest.raises(ValueError, match="customerId"):
        await client.exchange_public_token({"eventType": "added"})
    with pytest.raises(ValueError):
        await client.exchange_public_token("public-token")


async def test_forged_or_foreign_tokens_are_refused_without_a_call(
    client: FinicityClient, token: str, finicity: FinicityEmulator
) -> None:
    customer, login = _scope(finicity, token)
    other = FinicityClient(partner_id="1", partner_secret="another-secret", app_key="k")
    forged = [
        f"fcy1.{customer}.{login}.AAAAAAAAAAAAAAAAAAAAAA",
        other.access_token_for(customer, login),
        token.replace(f".{login}.", ".."),
        customer,
        "",
        "fcy1..." + "x" * 300,
    ]
    for bad in forged:
        with pytest.raises(InvalidCredentialsError):
            await client.get_accounts(bad)
    assert finicity.backend.requests == []


async def test_removal_deletes_the_login_or_the_customer(client: FinicityClient, finicity: FinicityEmulator) -> None:
    customer = finicity.create_customer()
    event = finicity.connect(customer)
    finicity.connect(customer)
    login = str(event["payload"]["accounts"][0]["institutionLoginId"])
    await client.remove_item(finicity.access_token(customer, login))
    assert [r.path for r in finicity.backend.requests if r.method == "DELETE"] == [
        f"/aggregation/v1/customers/{customer}/institutionLogins/{login}"
    ]
    with pytest.raises(InvalidCredentialsError):
        await client.get_accounts(finicity.access_token(customer, login))
    assert len(await client.get_accounts(finicity.access_token(customer))) == 3
    await client.remove_item(finicity.access_token(customer))
    with pytest.raises(InvalidCredentialsError):
        await client.get_accounts(finicity.access_token(customer))


async def test_refresh_asks_finicity_to_aggregate(
    client: FinicityClient, token: str, finicity: FinicityEmulator
) -> None:
    customer, login = _scope(finicity, token)
    accounts = await client.refresh_accounts(token)
    assert len(accounts) == 3
    assert ("POST", f"/aggregation/v1/customers/{customer}/institutionLogins/{login}/accounts") in [
        (r.method, r.path) for r in finicity.backend.requests
    ]
