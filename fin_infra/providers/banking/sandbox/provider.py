"""`SandboxProvider`: the offline provider behind ``easy_banking(provider="sandbox")``."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from fin_infra.banking.exceptions import AccountNotFoundError, InvalidCredentialsError
from fin_infra.models import Balance, BankAccount, Identity, LinkToken, TokenExchange, Transaction
from fin_infra.providers.banking.sandbox.catalogue import CREDIT_LIMIT, INSTITUTIONS, INSTITUTIONS_BY_ID
from fin_infra.providers.banking.sandbox.generator import SandboxUser
from fin_infra.providers.banking.sandbox.tokens import (
    DEMO_ACCESS_TOKEN,
    access_token_for,
    new_public_token,
    parse_access_token,
    parse_public_token,
)
from fin_infra.providers.base import BankingProvider, DateLike
from fin_infra.providers.dates import date_range

__all__ = ["DEMO_ACCESS_TOKEN", "SandboxProvider"]

_LINK_TTL = dt.timedelta(hours=4)


class SandboxProvider(BankingProvider):
    """Deterministic, offline bank data: several institutions, checking, savings and a credit card,
    two years of transactions up to today.

    Valid tokens are ``access-sandbox-demo``, any token `exchange_public_token` returns, and any other
    ``access-sandbox-<name>`` (a user of its own per name, e.g. the documentation's ``access-sandbox-xxx``).
    In create mode, `create_link_token` also hands out public tokens (``extra.public_token``, and one per
    institution), so a client can finish the flow over HTTP: POST /link, then POST /exchange.

        >>> import asyncio
        >>> sandbox = SandboxProvider()
        >>> public = asyncio.run(sandbox.create_sandbox_public_token())
        >>> token = asyncio.run(sandbox.exchange_public_token(public)).access_token
        >>> len(sandbox.accounts(access_token=token))
        3
    """

    name: ClassVar[str] = "sandbox"

    def __init__(self, *, today: Callable[[], dt.date] = dt.date.today) -> None:
        self._today = today

    def _user(self, access_token: str) -> SandboxUser:
        parsed = parse_access_token(access_token) if isinstance(access_token, str) else None
        if parsed is None:
            raise InvalidCredentialsError(
                "the access token is not a valid sandbox token; exchange a sandbox public token for one",
                provider=self.name,
                code="invalid_access_token",
            )
        institution, seed = parsed
        return SandboxUser(seed=seed, institution=institution, today=self._today())

    async def get_accounts(self, access_token: str) -> list[BankAccount]:
        return list(_accounts(self._user(access_token)))

    async def get_transactions(
        self,
        access_token: str,
        start_date: DateLike = None,
        end_date: DateLike = None,
        *,
        account_id: str | None = None,
    ) -> list[Transaction]:
        user = self._user(access_token)
        start, end = date_range(start_date, end_date, today=user.today)
        txns = user.transactions(start, end)
        if account_id is not None:
            self._check_account(user, account_id)
            txns = [t for t in txns if t.account_id == account_id]
        return txns

    async def get_balances(self, access_token: str, *, account_id: str | None = None) -> list[Balance]:
        user = self._user(access_token)
        out = []
        for acc in _accounts(user):
            if account_id is not None and acc.id != account_id:
                continue
            limit = Decimal(CREDIT_LIMIT) if acc.type == "credit" else None
            out.append(
                Balance(
                    account_id=acc.id,
                    current=acc.balance,
                    available=acc.available_balance,
                    limit=limit,
                    currency=acc.currency,
                )
            )
        if account_id is not None and not out:
            raise AccountNotFoundError("no account with that id for this access token", provider=self.name)
        return out

    async def get_identity(self, access_token: str) -> Identity:
        return self._user(access_token).identity()

    async def get_balance_series(
        self, access_token: str, account_id: str, start_date: DateLike, end_date: DateLike
    ) -> list[tuple[dt.date, Decimal]]:
        """Sandbox only: the account's closing balance for each day in range (to seed balance history)."""
        user = self._user(access_token)
        self._check_account(user, account_id)
        start, end = date_range(start_date, end_date, today=user.today)
        return user.daily_balances(account_id, start, end)

    async def create_link_token(self, user_id: str, *, access_token: str | None = None, **options: Any) -> LinkToken:
        if not user_id or not isinstance(user_id, str):
            raise ValueError("user_id must be a non-empty string identifying your user")
        mode = "create"
        if access_token is not None:
            self._user(access_token)
            mode = "update"
        return LinkToken(
            provider=self.name,
            mode=mode,
            link_token=f"link-sandbox-{secrets.token_hex(12)}",
            expiration=dt.datetime.now(dt.UTC) + _LINK_TTL,
            environment="sandbox",
            products=list(options.get("products") or ["transactions", "identity"]),
            # what a finished link would hand the front end, ready for POST /exchange (per institution)
            institutions=[
                {"id": i.id, "name": i.name, **({"public_token": new_public_token(i.id)} if mode == "create" else {})}
                for i in INSTITUTIONS
            ],
            extra={"public_token": new_public_token(INSTITUTIONS[0].id)} if mode == "create" else {},
        )

    async def create_sandbox_public_token(self, institution_id: str | None = None, **options: Any) -> str:
        institution_id = institution_id or INSTITUTIONS[0].id
        if institution_id not in INSTITUTIONS_BY_ID:
            known = ", ".join(INSTITUTIONS_BY_ID)
            raise ValueError(f"unknown sandbox institution_id {institution_id[:40]!r}; use one of: {known}")
        return new_public_token(institution_id)

    async def exchange_public_token(self, public_token: str | Mapping[str, Any]) -> TokenExchange:
        if isinstance(public_token, Mapping):
            public_token = str(public_token.get("public_token", ""))
        parsed = parse_public_token(public_token)
        if parsed is None:
            raise InvalidCredentialsError(
                "the public token is not a valid sandbox public token; create one with create_sandbox_public_token()",
                provider=self.name,
                code="invalid_public_token",
            )
        institution, nonce = parsed
        return TokenExchange(
            access_token=access_token_for(institution.id, nonce),
            item_id=f"item-sandbox-{nonce}",
            institution_id=institution.id,
            institution_name=institution.name,
        )

    async def remove_item(self, access_token: str) -> None:
        self._user(access_token)  # stateless sandbox: nothing to forget

    @staticmethod
    def _check_account(user: SandboxUser, account_id: str) -> None:
        if account_id not in {a.id for a in user.accounts()}:
            raise AccountNotFoundError("no account with that id for this access token", provider="sandbox")


@functools.lru_cache(maxsize=256)
def _accounts(user: SandboxUser) -> tuple[BankAccount, ...]:
    # The same user on the same day always has the same accounts (frozen models): made once, not per request.
    return tuple(user.accounts())
