"""Every MXClient operation through the real client, over HTTP, against the emulator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fin_infra.banking.exceptions import (
    AccountNotFoundError,
    InvalidCredentialsError,
    ItemLoginRequiredError,
    ProviderUnavailableError,
)
from fin_infra.providers.banking.mx import MXClient
from fin_infra.testing.mx import MXEmulator
from tests.mx.conftest import FAST, TODAY


def paths(mx: MXEmulator, method: str = "GET") -> list[str]:
    return [r.path for r in mx.backend.requests if r.method == method]


async def test_accounts_carry_mx_cached_balances(client: MXClient, mx: MXEmulator, token: str) -> None:
    accounts = await client.get_accounts(token)
    member = mx.backend.members[mx.member_of(token)]
    assert [a.id for a in accounts] == [a.guid for a in member.accounts]
    by_type = {a.subtype: a for a in accounts}
    assert by_type["checking"].type == "depository" and by_type["credit_card"].type == "credit"
    for ours, theirs in zip(accounts, member.accounts, strict=True):
        assert ours.balance == theirs.balance and isinstance(ours.balance, Decimal)
        assert ours.institution_id == "mxbank" and ours.institution_name == "MX Bank"
        assert ours.raw is not None and ours.raw["guid"] == theirs.guid
        assert ours.mask == theirs.number[-4:]


async def test_fresh_balances_run_check_balance(client: MXClient, mx: MXEmulator, token: str) -> None:
    checking = (await client.get_accounts(token))[0]
    mx.set_bank_balance(checking.id, Decimal("1234.56"))
    cached = await client.get_balances(token, account_id=checking.id)
    assert cached[0].current != Decimal("1234.56"), "MX serves its last aggregation until asked"
    assert not any(p.endswith("/check_balance") for p in paths(mx, "POST"))
    fresh = await client.get_balances(token, account_id=checking.id, fresh=True)
    assert fresh[0].current == Decimal("1234.56")
    assert sum(p.endswith("/check_balance") for p in paths(mx, "POST")) == 1
    assert any(p.endswith("/status") for p in paths(mx))


async def test_fresh_balances_by_setting_wait_for_a_running_job(mx: MXEmulator, token: str) -> None:
    mx.backend.job_seconds = 0.2
    async with mx.client(**FAST, fresh_balances=True) as c:
        balances = await c.get_balances(token)
    assert len(balances) == 3
    assert sum(p.endswith("/status") for p in paths(mx)) >= 2, "polled until the job finished"


async def test_credit_balances(client: MXClient, token: str) -> None:
    card = next(b for b in await client.get_balances(token) if b.limit is not None)
    assert card.limit == Decimal("5000.00")
    assert card.current is not None and card.available is not None
    assert card.available <= card.limit - card.current, "available credit: the limit less what is owed and pending"


async def test_transactions_follow_every_page(mx: MXEmulator, token: str) -> None:
    start, end = TODAY - dt.timedelta(days=365), TODAY
    async with mx.client(**FAST, page_size=10) as small, mx.client(**FAST) as big:
        paged = await small.get_transactions(token, start, end)
        pages = [r for r in mx.backend.requests if r.path.endswith("/transactions")]
        whole = await big.get_transactions(token, start, end)
    assert len(paged) > 100 and len({r.query["page"] for r in pages}) == (len(paged) + 9) // 10
    assert [t.id for t in paged] == [t.id for t in whole], "the same rows, once each, in the same order"
    assert all(start <= t.date <= end for t in paged)
    assert paged == sorted(paged, key=lambda t: (t.date, t.id), reverse=True)


async def test_a_list_that_changes_while_read_is_read_again(client: MXClient, mx: MXEmulator, token: str) -> None:
    member = mx.backend.members[mx.member_of(token)]
    original = mx.backend.transactions
    calls = 0

    def shifting(*args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
        nonlocal calls
        calls += 1
        rows = original(*args, **kwargs)  # type: ignore[arg-type]
        return rows[1:] if calls == 2 else rows  # the second page of the first read sees one row fewer

    mx.backend.transactions = shifting  # type: ignore[method-assign]
    try:
        async with mx.client(**FAST, page_size=10) as small:
            txns = await small.get_transactions(token, TODAY - dt.timedelta(days=20), TODAY)
    finally:
        mx.backend.transactions = original  # type: ignore[method-assign]
    assert len(txns) == len(original(member.user_guid, member_guid=member.guid, from_date=TODAY - dt.timedelta(days=20),
                                      to_date=TODAY))  # fmt: skip
    assert calls > 3, "read again after the inconsistent first read"


async def test_one_account_and_unknown_accounts(client: MXClient, mx: MXEmulator, token: str) -> None:
    accounts = await client.get_accounts(token)
    card = next(a for a in accounts if a.type == "credit")
    txns = await client.get_transactions(token, TODAY - dt.timedelta(days=30), TODAY, account_id=card.id)
    assert txns and {t.account_id for t in txns} == {card.id}
    with pytest.raises(AccountNotFoundError):
        await client.get_transactions(token, account_id="ACT-00000000-0000-0000-0000-000000000000")
    other = mx.create_access_token("someone-else")
    foreign = (await client.get_accounts(other))[0].id
    with pytest.raises(AccountNotFoundError):
        await client.get_transactions(token, account_id=foreign)
    with pytest.raises(AccountNotFoundError):
        await client.get_balances(token, account_id="../../users")
    assert not any(".." in p for p in paths(mx)), "a bad id never reaches a URL"


async def test_identity_runs_identify_when_mx_has_no_owners(client: MXClient, mx: MXEmulator, token: str) -> None:
    identity = await client.get_identity(token)
    assert len(identity.owners) == 1 and identity.owners[0].name and identity.owners[0].address
    assert len(identity.account_ids) == 3
    assert sum(p.endswith("/identify") for p in paths(mx, "POST")) == 1
    await client.get_identity(token)
    assert sum(p.endswith("/identify") for p in paths(mx, "POST")) == 1, "owners now known: no second job"


async def test_link_exchange_update_and_remove(client: MXClient, mx: MXEmulator) -> None:
    link = await client.create_link_token("app-user-9")
    assert link.provider == "mx" and link.mode == "create" and link.expiration is not None
    assert link.environment == "integration" and link.products == ["transactions", "balance", "identity"]
    assert link.extra["widget_url"].startswith(mx.base_url)
    again = await client.create_link_token("app-user-9")
    assert again.extra["user_guid"] == link.extra["user_guid"], "the MX user is found, not created twice"
    event = mx.backend.connect(link.extra["widget_url"])
    exchanged = await client.exchange_public_token(event)
    assert exchanged.item_id == event["metadata"]["member_guid"] and exchanged.institution_id == "mxbank"
    assert mx.api_key not in exchanged.access_token and exchanged.access_token.startswith("mx1.")
    update = await client.create_link_token("app-user-9", access_token=exchanged.access_token)
    assert update.mode == "update"
    widget = mx.backend.widgets[update.extra["widget_url"].rsplit("/", 1)[-1]]
    assert widget.current_member_guid == exchanged.item_id
    await client.remove_item(exchanged.access_token)
    assert exchanged.item_id not in mx.backend.members
    await client.remove_item(exchanged.access_token)  # already gone: done, not an error
    with pytest.raises(InvalidCredentialsError):
        await client.get_accounts(exchanged.access_token)


async def test_exchange_refuses_what_is_not_a_connected_member(client: MXClient, mx: MXEmulator) -> None:
    event = mx.connect("x", password="challenge")
    with pytest.raises(ValueError, match="memberConnected"):
        await client.exchange_public_token(event)
    with pytest.raises(ValueError, match="user_guid"):
        await client.exchange_public_token({"metadata": {"user_guid": "../x", "member_guid": "MBR-1"}})
    with pytest.raises(InvalidCredentialsError):
        await client.exchange_public_token({"user_guid": "USR-1", "member_guid": "MBR-1"})
    with pytest.raises(ValueError):
        await client.exchange_public_token("a-string")
    with pytest.raises(ValueError, match="Client Dashboard"):
        await client.create_link_token("x", webhook="https://example.com/hook")


async def test_challenged_member_reconnects_through_update_mode(client: MXClient, mx: MXEmulator, token: str) -> None:
    member_guid = mx.member_of(token)
    mx.set_status(member_guid, "CHALLENGED")
    with pytest.raises(ItemLoginRequiredError) as info:
        await client.get_transactions(token)
    assert info.value.code == "mx_challenged" and "challenge" in info.value.message
    link = await client.create_link_token("app-user-1", access_token=token)
    event = mx.backend.connect(link.extra["widget_url"], answer="correct")
    assert event["type"] == "mx/connect/memberConnected"
    assert await client.get_transactions(token, TODAY - dt.timedelta(days=5), TODAY)


async def test_tokens_are_signed(client: MXClient, mx: MXEmulator, token: str) -> None:
    member = mx.backend.members[mx.member_of(token)]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidCredentialsError):
        await client.get_accounts(forged)
    async with MXClient(**{**mx.provider_options(), "token_secret": "another-app"}, **FAST) as other_app:
        with pytest.raises(InvalidCredentialsError):
            await other_app.get_accounts(token)
    assert member.guid in mx.backend.members


async def test_retries_ride_out_rate_limits_and_drops(client: MXClient, mx: MXEmulator, token: str) -> None:
    mx.faults.fail_next(429, retry_after=0.01, path="/users")
    mx.faults.fail_next(503, path="/users")
    mx.faults.drop_next(path="/users")
    assert len(await client.get_accounts(token)) == 3
    assert mx.faults.pending() == 0
    mx.faults.fail_next(500, times=10)
    with pytest.raises(ProviderUnavailableError):
        await client.get_accounts(token)


def test_synchronous_face(mx: MXEmulator, token: str) -> None:
    client = mx.client(**FAST)
    try:
        assert len(client.accounts(access_token=token)) == 3
        assert client.transactions(access_token=token, start_date=TODAY - dt.timedelta(days=10), end_date=TODAY)
    finally:
        client.close()


async def test_a_connected_member_is_trusted_for_status_cache_ttl(mx: MXEmulator, token: str) -> None:
    member_reads = lambda: sum(p.endswith(mx.member_of(token)) for p in paths(mx))  # noqa: E731
    async with mx.client(**FAST) as cached, mx.client(**FAST, status_cache_ttl=0) as uncached:
        await cached.get_balances(token)
        await cached.get_accounts(token)
        assert member_reads() == 1
        await uncached.get_balances(token)
        await uncached.get_accounts(token)
        assert member_reads() == 3
        mx.set_status(mx.member_of(token), "LOCKED")
        with pytest.raises(ItemLoginRequiredError):
            await uncached.get_accounts(token)
        with pytest.raises(ItemLoginRequiredError):  # a job's outcome is always read fresh
            await cached.get_balances(token, fresh=True)
        mx.set_status(mx.member_of(token), "CONNECTED")
        assert await cached.get_accounts(token), "a member needing its user is never cached: its repair is seen"
