"""`PlaidProvider`: Plaid through the official plaid-python client, normalised to fin-infra's models.

>>> from fin_infra.banking import easy_banking
>>> banking = easy_banking(provider="plaid")  # PLAID_CLIENT_ID, PLAID_SECRET, PLAID_ENVIRONMENT  # doctest: +SKIP
>>> accounts = banking.accounts(access_token="access-sandbox-...")  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from fin_infra._gc import no_full_collections
from fin_infra.banking.exceptions import AccountNotFoundError, UnsupportedOperationError, invalid_response
from fin_infra.models import Balance, BankAccount, Identity, LinkToken, TokenExchange, Transaction
from fin_infra.providers.banking.plaid import normalize
from fin_infra.providers.banking.plaid.client import PlaidCaller
from fin_infra.providers.banking.plaid.settings import PlaidSettings
from fin_infra.providers.banking.plaid.sync import SyncPage, SyncResult, sync_pages
from fin_infra.providers.base import BankingProvider, DateLike
from fin_infra.providers.dates import date_range
from fin_infra.providers.ids import is_provider_id

if TYPE_CHECKING:
    from fin_infra.banking.sync.source import PlaidCursorSource

log = logging.getLogger("fin_infra.plaid")

LINK_OPTIONS = frozenset(
    {"products", "country_codes", "language", "webhook", "redirect_uri", "client_name", "days_requested"}
)
SANDBOX_INSTITUTION = "ins_109508"
SLICE = 100  # transactions normalised between two yields to the event loop (~0.4 ms)
T = TypeVar("T")


def _account(account_id: object) -> str:
    # Plaid's ids are letters and digits: anything else can't name an account, and is never sent.
    if not is_provider_id(account_id):
        raise AccountNotFoundError("no account with that id for this access token", provider="plaid")
    return str(account_id)


def _token(access_token: object) -> str:
    if not isinstance(access_token, str) or not access_token.strip():
        raise ValueError("access_token must be a non-empty string (from exchange_public_token)")
    return access_token


class PlaidProvider(BankingProvider):
    """Plaid (sandbox or production) through plaid-python, off the event loop.

    Keyword options override the ``PLAID_*`` environment variables (see `PlaidSettings`):
    ``client_id``, ``secret``, ``environment``, ``base_url``, ``client_name``, ``webhook``,
    ``redirect_uri``, ``products``, ``country_codes``, ``timeout`` (per HTTP call), ``total_timeout`` (per
    provider call, retries included), ``max_workers``, ``max_retries``, ``retry_backoff``, ``sync_page_size``.

        >>> provider = PlaidProvider(client_id="...", secret="...", environment="sandbox")  # doctest: +SKIP
        >>> result = await provider.sync_transactions(access_token)  # doctest: +SKIP
    """

    name: ClassVar[str] = "plaid"

    def __init__(self, settings: PlaidSettings | None = None, *, env: Mapping[str, str] | None = None, **options: Any):
        self.settings = settings or PlaidSettings.build(env, **options)
        self._caller = PlaidCaller(self.settings)

    def __repr__(self) -> str:
        return f"<PlaidProvider environment={self.settings.environment!r} host={self.settings.host!r}>"

    # --- accounts, balances, identity -----------------------------------------------------------

    async def get_accounts(self, access_token: str) -> list[BankAccount]:
        request = self._caller.build("accounts_get_request", access_token=_token(access_token))

        def parse(data: dict[str, Any]) -> list[BankAccount]:
            return [normalize.account(a, data.get("item")) for a in normalize.required(data, "accounts", list)]

        return await self._caller.call("accounts_get", request, parse=parse)

    async def get_balances(self, access_token: str, *, account_id: str | None = None) -> list[Balance]:
        """Real-time balances (``/accounts/balance/get``); an unknown ``account_id`` raises AccountNotFoundError."""
        options = None
        if account_id is not None:
            options = self._caller.build("accounts_balance_get_request_options", account_ids=[_account(account_id)])
        request = self._caller.build("accounts_balance_get_request", access_token=_token(access_token), options=options)

        def parse(data: dict[str, Any]) -> list[Balance]:
            return [normalize.balance(a) for a in normalize.required(data, "accounts", list)]

        return await self._caller.call("accounts_balance_get", request, parse=parse)

    async def get_identity(self, access_token: str) -> Identity:
        request = self._caller.build("identity_get_request", access_token=_token(access_token))
        return await self._caller.call(
            "identity_get", request, parse=lambda d: normalize.identity(normalize.required(d, "accounts", list))
        )

    # --- transactions ---------------------------------------------------------------------------

    async def sync_transactions(
        self, access_token: str, cursor: str | None = None, *, account_id: str | None = None
    ) -> SyncResult:
        """Changes since ``cursor`` through ``/transactions/sync`` (None: the whole history).

        Pages until Plaid has no more, restarting from ``cursor`` if the data changes mid-way; keep
        ``next_cursor`` and pass it back next time to get only what changed since.
        """
        token = _token(access_token)
        options = None
        if account_id is not None:
            options = self._caller.build("transactions_sync_request_options", account_id=_account(account_id))

        async def fetch(page_cursor: str | None) -> dict[str, Any]:
            request = self._caller.build(
                "transactions_sync_request",
                access_token=token,
                cursor=page_cursor or None,
                count=self.settings.sync_page_size,
                options=options,
            )
            return await self._caller.call("transactions_sync", request, parse=_sync_shape)

        # the result grows by ~6 container objects per transaction: no full collection pass over them
        # (and the rest of the heap) in the middle of the sync; see fin_infra._gc
        with no_full_collections():
            return await sync_pages(fetch, _sync_page, cursor or None)

    async def sync_pages(self, access_token: str, cursor: str | None = None) -> AsyncIterator[SyncPage]:
        """``/transactions/sync`` one normalised page at a time from ``cursor`` (None: the whole history),
        until ``has_more`` is false: nothing folded, nothing held. Raises
        `TransactionsSyncMutationError` when the data changes mid-way (restart from your saved cursor).
        The ledger (`fin_infra.banking.sync`) reads Plaid through this."""
        token = _token(access_token)
        page_cursor = cursor or None
        while True:
            request = self._caller.build(
                "transactions_sync_request", access_token=token, cursor=page_cursor, count=self.settings.sync_page_size
            )
            page = await _sync_page(await self._caller.call("transactions_sync", request))
            yield page
            if not page.has_more:
                return
            page_cursor = page.next_cursor

    def sync_source(self) -> PlaidCursorSource:
        """This provider as the ledger's change-feed source (`fin_infra.banking.sync.source`)."""
        from fin_infra.banking.sync.source import PlaidCursorSource

        return PlaidCursorSource(self)

    async def get_transactions(
        self,
        access_token: str,
        start_date: DateLike = None,
        end_date: DateLike = None,
        *,
        account_id: str | None = None,
    ) -> list[Transaction]:
        """Transactions dated ``start_date``..``end_date`` (inclusive), newest first, each once.

        Reads the Item's whole history through ``/transactions/sync`` and keeps the range asked for
        (Plaid's sync has no date filter); pass ``account_id`` to sync that account's stream only.
        """
        start, end = date_range(start_date, end_date)
        result = await self.sync_transactions(access_token, account_id=account_id)
        txns = [t for t in (*result.added, *result.modified) if start <= t.date <= end]
        txns.sort(key=lambda t: (t.date, t.id), reverse=True)
        return txns

    # --- link, exchange, items ------------------------------------------------------------------

    async def create_link_token(self, user_id: str, *, access_token: str | None = None, **options: Any) -> LinkToken:
        """A Link token for ``user_id`` (your stable, non-PII user id); with ``access_token``, update mode.

        Options: ``products``, ``country_codes``, ``language``, ``webhook``, ``redirect_uri``,
        ``client_name``, ``days_requested`` (defaults from the settings).
        """
        if not isinstance(user_id, str) or not user_id.strip():
            raise ValueError("user_id must be a non-empty string identifying your user (not an email: no PII)")
        unknown = sorted(set(options) - LINK_OPTIONS)
        if unknown:
            raise ValueError(f"unknown link option(s) {', '.join(unknown)}; known: {', '.join(sorted(LINK_OPTIONS))}")
        s = self.settings
        products = list(options.get("products") or s.products)
        build = self._caller.build
        days = options.get("days_requested")
        request = build(
            "link_token_create_request",
            client_name=options.get("client_name") or s.client_name,
            language=options.get("language") or s.language,
            country_codes=[
                self._caller.enum("country_code", c) for c in options.get("country_codes") or s.country_codes
            ],
            user=build("link_token_create_request_user", client_user_id=user_id),
            # update mode: no products; the Item keeps its own
            products=None if access_token else [self._caller.enum("products", p) for p in products],
            access_token=_token(access_token) if access_token is not None else None,
            webhook=options.get("webhook") or s.webhook,
            redirect_uri=options.get("redirect_uri") or s.redirect_uri,
            transactions=build("link_token_transactions", days_requested=int(days)) if days else None,
        )
        data = await self._caller.call("link_token_create", request, read=False, parse=_link_shape)
        return LinkToken(
            provider=self.name,
            mode="update" if access_token else "create",
            link_token=data["link_token"],
            expiration=data["expiration"],
            environment=s.environment,
            products=[] if access_token else products,
        )

    async def exchange_public_token(self, public_token: str | Mapping[str, Any]) -> TokenExchange:
        """The access token and Item id for Link's ``public_token`` (a string, or a mapping holding one)."""
        if isinstance(public_token, Mapping):
            public_token = public_token.get("public_token") or public_token.get("publicToken") or ""
        if not isinstance(public_token, str) or not public_token.strip():
            raise ValueError("public_token must be the non-empty string Plaid Link's onSuccess returned")
        request = self._caller.build("item_public_token_exchange_request", public_token=public_token)
        data = await self._caller.call("item_public_token_exchange", request, read=False, parse=_exchange_shape)
        institution_id = institution_name = None
        try:  # nice to have; never lose the access token over it
            item = (
                await self._caller.call(
                    "item_get", self._caller.build("item_get_request", access_token=data["access_token"])
                )
            )["item"]
            institution_id, institution_name = item.get("institution_id"), item.get("institution_name")
        except Exception as exc:  # any failure here only costs the institution name
            log.warning("plaid item/get after exchange failed: %s", type(exc).__name__)
        return TokenExchange(
            access_token=data["access_token"],
            item_id=data["item_id"],
            institution_id=institution_id,
            institution_name=institution_name,
        )

    async def create_sandbox_public_token(self, institution_id: str | None = None, **options: Any) -> str:
        """Sandbox only: a public token as if a user finished Link (``/sandbox/public_token/create``).

        Options: ``products`` (default the settings'), ``webhook``, ``username`` / ``password``
        (default ``user_good`` / ``pass_good``), ``days_requested``.
        """
        if self.settings.environment != "sandbox":
            raise UnsupportedOperationError(
                "sandbox public tokens exist only in Plaid's sandbox environment", provider=self.name
            )
        build = self._caller.build
        days = options.get("days_requested")
        sandbox_options = build(
            "sandbox_public_token_create_request_options",
            webhook=options.get("webhook") or self.settings.webhook,
            override_username=options.get("username"),
            override_password=options.get("password"),
            transactions=build("sandbox_public_token_create_request_options_transactions", days_requested=int(days))
            if days
            else None,
        )
        request = build(
            "sandbox_public_token_create_request",
            institution_id=institution_id or SANDBOX_INSTITUTION,
            initial_products=[
                self._caller.enum("products", p) for p in options.get("products") or self.settings.products
            ],
            options=sandbox_options,
        )
        return await self._caller.call(
            "sandbox_public_token_create",
            request,
            read=False,
            parse=lambda d: str(normalize.required(d, "public_token", str)),
        )

    async def remove_item(self, access_token: str) -> None:
        """``/item/remove``: the access token stops working."""
        request = self._caller.build("item_remove_request", access_token=_token(access_token))
        await self._caller.call("item_remove", request, read=False)

    async def aclose(self) -> None:
        self._caller.close()


def _sync_shape(data: dict[str, Any]) -> dict[str, Any]:
    # Checked on the worker: an answer without these is unreadable, never an empty page.
    for name in ("added", "modified", "removed"):
        normalize.required(data, name, list)
    normalize.required(data, "has_more", bool)
    if data.get("has_more"):
        normalize.required(data, "next_cursor", str)
    return data


def _link_shape(data: dict[str, Any]) -> dict[str, Any]:
    normalize.required(data, "link_token", str)
    expiration = data.get("expiration")
    return {"link_token": data["link_token"], "expiration": expiration if isinstance(expiration, str) else None}


def _exchange_shape(data: dict[str, Any]) -> dict[str, Any]:
    normalize.required(data, "access_token", str)
    normalize.required(data, "item_id", str)
    return data


async def _sync_page(data: Mapping[str, Any]) -> SyncPage:
    # Normalised on the event loop in slices, yielding between them: on a worker thread the same work
    # would hold the interpreter lock for whole switch intervals (5 ms) while the loop waits for it.
    try:
        return await _normalised_page(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise invalid_response(
            "plaid", f"Plaid transactions_sync sent a transaction of an unexpected shape ({type(exc).__name__})"
        ) from None


async def _normalised_page(data: Mapping[str, Any]) -> SyncPage:
    return SyncPage(
        added=await _in_slices(data.get("added") or [], normalize.transaction),
        modified=await _in_slices(data.get("modified") or [], normalize.transaction),
        removed=[str(r["transaction_id"]) for r in data.get("removed") or []],
        next_cursor=str(data.get("next_cursor") or ""),
        has_more=bool(data.get("has_more")),
    )


async def _in_slices(items: list[Any], convert: Callable[[Any], T], size: int = SLICE) -> list[T]:
    out: list[T] = []
    for start in range(0, len(items), size):
        if start:
            await asyncio.sleep(0)
        out.extend(convert(item) for item in items[start : start + size])
    return out
