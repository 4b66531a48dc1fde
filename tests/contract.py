"""The contract every banking provider passes, whatever is behind it (sandbox, Teller and Plaid emulators).

Subclass `ProviderContract` in a test module and provide three fixtures:

- ``provider``: the `BankingProvider` under test;
- ``access_token``: a token that sees at least one account with transactions;
- ``known_range``: ``(start, end)`` dates holding at least one transaction for that token.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

from fin_infra.banking.exceptions import InvalidCredentialsError
from fin_infra.models import Balance, BankAccount, Identity, LinkToken, Transaction
from fin_infra.providers.base import BankingProvider


class ProviderContract:
    """Named cases every provider must pass."""

    async def test_accounts_are_normalised(self, provider: BankingProvider, access_token: str) -> None:
        accounts = await provider.get_accounts(access_token)
        assert accounts, "a connected test user has accounts"
        assert all(isinstance(a, BankAccount) for a in accounts)
        assert len({a.id for a in accounts}) == len(accounts), "account ids are unique"
        for a in accounts:
            assert a.type in {"depository", "credit", "loan", "investment", "other"}
            assert a.balance is None or isinstance(a.balance, Decimal)
            assert len(a.currency) == 3

    async def test_transactions_stay_in_the_range_asked_for(
        self, provider: BankingProvider, access_token: str, known_range: tuple[dt.date, dt.date]
    ) -> None:
        start, end = known_range
        txns = await provider.get_transactions(access_token, start, end)
        assert txns, "the known range holds transactions"
        assert all(isinstance(t, Transaction) for t in txns)
        assert all(start <= t.date <= end for t in txns)
        assert all(isinstance(t.amount, Decimal) for t in txns)
        assert len({t.id for t in txns}) == len(txns), "no transaction is returned twice"
        account_ids = {a.id for a in await provider.get_accounts(access_token)}
        assert {t.account_id for t in txns} <= account_ids

    async def test_iso_strings_and_dates_give_the_same_transactions(
        self, provider: BankingProvider, access_token: str, known_range: tuple[dt.date, dt.date]
    ) -> None:
        start, end = known_range
        by_date = await provider.get_transactions(access_token, start, end)
        by_string = await provider.get_transactions(access_token, start.isoformat(), end.isoformat())
        assert [t.id for t in by_date] == [t.id for t in by_string]

    async def test_account_filter(
        self, provider: BankingProvider, access_token: str, known_range: tuple[dt.date, dt.date]
    ) -> None:
        start, end = known_range
        everything = await provider.get_transactions(access_token, start, end)
        account_id = everything[0].account_id
        one = await provider.get_transactions(access_token, start, end, account_id=account_id)
        assert one and all(t.account_id == account_id for t in one)
        assert {t.id for t in one} == {t.id for t in everything if t.account_id == account_id}

    async def test_money_out_is_negative(
        self, provider: BankingProvider, access_token: str, known_range: tuple[dt.date, dt.date]
    ) -> None:
        start, end = known_range
        txns = await provider.get_transactions(access_token, start, end)
        assert any(t.amount < 0 for t in txns), "a test user spends money: some amounts are negative"

    async def test_balances_belong_to_the_accounts(self, provider: BankingProvider, access_token: str) -> None:
        balances = await provider.get_balances(access_token)
        accounts = {a.id for a in await provider.get_accounts(access_token)}
        assert balances and all(isinstance(b, Balance) for b in balances)
        assert {b.account_id for b in balances} <= accounts
        for b in balances:
            assert b.current is None or isinstance(b.current, Decimal)
            assert b.available is None or isinstance(b.available, Decimal)

    async def test_identity_has_owners(self, provider: BankingProvider, access_token: str) -> None:
        identity = await provider.get_identity(access_token)
        assert isinstance(identity, Identity)
        assert identity.owners and identity.owners[0].name

    async def test_link_token(self, provider: BankingProvider) -> None:
        link = await provider.create_link_token(user_id="user_123")
        assert isinstance(link, LinkToken)
        assert link.provider == provider.name and link.mode == "create"

    async def test_link_token_update_mode(self, provider: BankingProvider, access_token: str) -> None:
        link = await provider.create_link_token(user_id="user_123", access_token=access_token)
        assert link.mode == "update"

    async def test_unknown_token_is_refused(self, provider: BankingProvider) -> None:
        with pytest.raises(InvalidCredentialsError) as info:
            await provider.get_accounts("access-unknown-not-a-real-token")
        assert "access-unknown-not-a-real-token" not in str(info.value), "errors never echo the token"

    def test_synchronous_face_matches_async(self, provider: BankingProvider, access_token: str) -> None:
        accounts = provider.accounts(access_token=access_token)
        assert accounts == asyncio.run(provider.get_accounts(access_token))
        assert provider.balances(access_token=access_token)
        assert provider.identity(access_token=access_token).owners

    async def test_synchronous_face_inside_a_running_loop(self, provider: BankingProvider, access_token: str) -> None:
        # As documented: banking.accounts(...) called from an ``async def`` route.
        accounts = provider.accounts(access_token=access_token)
        assert [a.id for a in accounts] == [a.id for a in await provider.get_accounts(access_token)]
