"""`FinicityClient`: Finicity (Mastercard Open Finance US) normalised to fin-infra's models.

    >>> from fin_infra.banking import easy_banking
    >>> banking = easy_banking(provider="finicity")   # doctest: +SKIP  (FINICITY_* variables set)

Finicity's model: partner -> customer (fin-infra's user) -> institution logins (one per bank the user
connected) -> accounts. The access token this client hands out names a customer and, after an
exchange, one institution login (see `fin_infra.providers.banking.finicity.tokens`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from fin_infra.banking.exceptions import AccountNotFoundError, BankingProviderError, InvalidCredentialsError
from fin_infra.models import Balance, BankAccount, Identity, LinkToken, TokenExchange, Transaction
from fin_infra.providers.banking.finicity import errors, normalize
from fin_infra.providers.banking.finicity.connection import FinicityConnection
from fin_infra.providers.banking.finicity.paging import fetch_pages
from fin_infra.providers.banking.finicity.settings import FinicitySettings
from fin_infra.providers.banking.finicity.tokens import make_access_token, read_access_token, token_key
from fin_infra.providers.banking.teller.concurrency import gather_all, gather_pair
from fin_infra.providers.base import BankingProvider, DateLike
from fin_infra.providers.dates import date_range

CUSTOMERS = "/aggregation/v1/customers"
_CACHE_SIZE = 1024


def _segment(value: str, what: str) -> str:
    """An id as one URL path segment (Finicity ids are digits); anything else is not found."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 30:
        raise AccountNotFoundError(f"no {what} with that id for this access token", provider="finicity")
    return value


def _username(user_id: str) -> str:
    # Finicity usernames are unique per partner, 6-255 characters; a hash keeps the app's own ids private.
    return "fin-infra-" + hashlib.sha256(user_id.encode()).hexdigest()[:32]


class FinicityClient(BankingProvider):
    """Finicity over HTTPS: app key + partner token headers, one pooled client per event loop.

    Per-account calls (live balances, owners) run concurrently, at most ``max_concurrency`` at once;
    transaction pages after the first are fetched concurrently once ``found`` says how many there are.

        >>> client = FinicityClient(partner_id="1234583871234", partner_secret="...", app_key="...")  # doctest: +SKIP
    """

    name: ClassVar[str] = "finicity"

    def __init__(
        self,
        *,
        settings: FinicitySettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        env: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        if settings is None:
            settings = FinicitySettings.from_env(env, **options)
        elif options:
            settings = settings.with_options(**{k: v for k, v in options.items() if v is not None})
        self.settings = settings
        self._http = FinicityConnection(settings, transport=transport)
        self._key = token_key(settings.partner_secret, settings.token_key)
        self._accounts_cache: dict[tuple[str, str | None], tuple[float, list[Any]]] = {}
        self._cache_lock = threading.Lock()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Any) -> FinicityClient:
        """A client configured from ``FINICITY_*`` variables (see `FinicitySettings.from_env`)."""
        transport = options.pop("transport", None)
        return cls(settings=FinicitySettings.from_env(env, **options), transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def partner_token(self) -> Any:
        """The shared partner token (`PartnerToken`): ``.refreshes`` counts fetches, ``.expire()`` forces one."""
        return self._http.token

    def access_token_for(self, customer_id: str, institution_login_id: str | None = None) -> str:
        """The access token for a customer you already have (and one of its institution logins)."""
        return make_access_token(self._key, customer_id, institution_login_id)

    def _scope(self, access_token: str) -> tuple[str, str | None]:
        return read_access_token(self._key, access_token)

    # --- accounts --------------------------------------------------------------------------------

    async def _accounts_raw(
        self, customer_id: str, login_id: str | None, *, check: bool = True, fresh: bool = True
    ) -> list[Any]:
        """The customer's accounts (those of ``login_id`` only, when given); ``fresh=False`` may reuse a list
        read in the last ``account_cache_ttl`` seconds. With ``check``, a login that needs the user raises."""
        key = (customer_id, login_id)
        cached = self._accounts_cache.get(key)
        if not fresh and cached is not None and cached[0] > time.monotonic():
            rows = cached[1]
        else:
            rows = await self._read_accounts(customer_id, login_id)
            if self.settings.account_cache_ttl > 0:
                with self._cache_lock:  # the app's loop and the synchronous face's thread share it
                    while len(self._accounts_cache) >= _CACHE_SIZE:
                        self._accounts_cache.pop(next(iter(self._accounts_cache)))
                    self._accounts_cache[key] = (time.monotonic() + self.settings.account_cache_ttl, rows)
        if check:
            for raw in rows:
                status = raw.get("aggregationStatusCode")
                if isinstance(status, int) and not isinstance(status, bool) and status in errors.FIXABLE:
                    raise errors.aggregation_error(status, str(raw.get("institutionLoginId") or "") or None)
        return rows

    def _forget(self, customer_id: str) -> None:
        with self._cache_lock:
            for key in [k for k in self._accounts_cache if k[0] == customer_id]:
                del self._accounts_cache[key]

    async def _read_accounts(self, customer_id: str, login_id: str | None) -> list[Any]:
        data = await self._http.get_json(f"{CUSTOMERS}/{customer_id}/accounts")
        rows = normalize.mapping(data).get("accounts")
        if not isinstance(rows, list) or not all(isinstance(a, Mapping) and a.get("id") is not None for a in rows):
            raise errors.invalid_response("an account list of the wrong shape")
        if login_id is not None:
            rows = [a for a in rows if str(a.get("institutionLoginId")) == login_id]
            if not rows:
                raise InvalidCredentialsError(
                    "this bank login is no longer connected: connect the bank again", provider=self.name,
                    code="institution_login_not_found",
                )  # fmt: skip
        return rows

    async def _account_raw(self, customer_id: str, login_id: str | None, account_id: str) -> Mapping[str, Any]:
        _segment(account_id, "account")
        for raw in await self._accounts_raw(customer_id, login_id, fresh=False):
            if str(raw["id"]) == account_id:
                return dict(raw)
        raise AccountNotFoundError("no account with that id for this access token", provider=self.name)

    async def get_accounts(self, access_token: str) -> list[BankAccount]:
        """The accounts of the customer (or of the token's bank login), balances as Finicity last aggregated them."""
        customer, login = self._scope(access_token)
        return [normalize.account(raw) for raw in await self._accounts_raw(customer, login)]

    async def refresh_accounts(self, access_token: str) -> list[BankAccount]:
        """Ask Finicity to aggregate now (``POST …/accounts``: slow, rate-limited) and return the fresh accounts."""
        customer, login = self._scope(access_token)
        path = f"{CUSTOMERS}/{customer}/accounts"
        if login:
            path = f"{CUSTOMERS}/{customer}/institutionLogins/{login}/accounts"
        await self._http.request("POST", path, json_body={}, retry=False)
        self._forget(customer)
        return await self.get_accounts(access_token)

    async def get_balances(
        self, access_token: str, *, account_id: str | None = None, live: bool | None = None
    ) -> list[Balance]:
        """Balances of every account (or one). ``live`` (default ``settings.live_balances``) asks each bank now
        (``…/availableBalance/live``, concurrently); otherwise Finicity's last aggregated balances, one call."""
        customer, login = self._scope(access_token)
        if not (self.settings.live_balances if live is None else live):
            rows = await self._accounts_raw(customer, login)  # the list is the data: always fresh
            if account_id is not None:
                _segment(account_id, "account")
                rows = [r for r in rows if str(r["id"]) == account_id]
                if not rows:
                    raise AccountNotFoundError("no account with that id for this access token", provider=self.name)
            return [normalize.balance(raw) for raw in rows]
        rows = (
            [await self._account_raw(customer, login, account_id)]
            if account_id is not None
            else await self._accounts_raw(customer, login, fresh=False)
        )
        return await gather_all([self._live_balance(customer, raw) for raw in rows])

    async def _live_balance(self, customer_id: str, raw: Mapping[str, Any]) -> Balance:
        path = f"{CUSTOMERS}/{customer_id}/accounts/{_segment(str(raw['id']), 'account')}/availableBalance/live"
        data = normalize.mapping(await self._http.get_json(path, not_found=AccountNotFoundError))
        status = data.get("aggregationStatusCode")
        if isinstance(status, int) and not isinstance(status, bool) and status != 0:
            raise errors.aggregation_error(status, str(raw.get("institutionLoginId") or "") or None)
        if "clearedBalance" not in data and "availableBalance" not in data:
            raise errors.invalid_response("a live balance without balances")
        return normalize.live_balance(data, raw)

    # --- transactions ----------------------------------------------------------------------------

    async def get_transactions(
        self,
        access_token: str,
        start_date: DateLike = None,
        end_date: DateLike = None,
        *,
        account_id: str | None = None,
    ) -> list[Transaction]:
        """Transactions dated ``start_date``..``end_date`` (inclusive), newest first, pending ones included."""
        customer, login = self._scope(access_token)
        start, end = date_range(start_date, end_date)
        # The account list (which accounts are this token's) and the pages are fetched concurrently.
        if account_id is not None:
            path = f"/aggregation/v4/customers/{customer}/accounts/{_segment(account_id, 'account')}/transactions"
            pages = fetch_pages(self._http, path, start, end, self.settings.page_size, not_found=AccountNotFoundError)
            acc, raw_rows = await gather_pair(self._account_raw(customer, login, account_id), pages)
            accounts = {account_id: acc}
        else:
            path = f"/aggregation/v3/customers/{customer}/transactions"
            pages = fetch_pages(self._http, path, start, end, self.settings.page_size)
            rows, raw_rows = await gather_pair(self._accounts_raw(customer, login, fresh=False), pages)
            accounts = {str(a["id"]): a for a in rows}
        txns = [
            normalize.transaction(r, currency=str(accounts[str(r.get("accountId"))].get("currency") or "USD"))
            for r in raw_rows
            if str(r.get("accountId")) in accounts  # the customer's other logins are not this token's
        ]
        txns.sort(key=lambda t: t.date, reverse=True)
        return txns

    # --- identity, removal -----------------------------------------------------------------------

    async def get_identity(self, access_token: str) -> Identity:
        """The owners of the accounts (``…/accounts/{id}/owner``, v3, concurrently). PII: never log it."""
        customer, login = self._scope(access_token)
        rows = await self._accounts_raw(customer, login, fresh=False)

        async def owner(raw: Mapping[str, Any]) -> tuple[str, Any]:
            account_id = _segment(str(raw["id"]), "account")
            path = f"/aggregation/v3/customers/{customer}/accounts/{account_id}/owner"
            return account_id, await self._http.get_json(path, not_found=AccountNotFoundError)

        return normalize.identity(await gather_all([owner(raw) for raw in rows]))

    async def remove_item(self, access_token: str) -> None:
        """Delete the token's bank login (``DELETE …/institutionLogins/{id}``), or the whole customer."""
        customer, login = self._scope(access_token)
        path = f"{CUSTOMERS}/{customer}/institutionLogins/{login}" if login else f"{CUSTOMERS}/{customer}"
        self._forget(customer)
        await self._http.request("DELETE", path, retry=False)

    # --- Data Connect ----------------------------------------------------------------------------

    async def _customer_for(self, user_id: str, options: Mapping[str, Any]) -> str:
        username = _username(user_id)
        kind = "testing" if self.settings.environment == "sandbox" else "active"
        body = {"username": username, **{k: options[k] for k in ("firstName", "lastName", "email") if options.get(k)}}
        try:
            path = f"/aggregation/v2/customers/{kind}"
            response = await self._http.request("POST", path, json_body=body, retry=False)
        except BankingProviderError as exc:
            if exc.code != "110002":
                raise
            found = normalize.mapping(await self._http.get_json(CUSTOMERS, {"username": username}))
            customers = found.get("customers") or []
            match = [c for c in customers if isinstance(c, Mapping) and c.get("username") == username]
            if not match:
                raise errors.invalid_response("a taken username that no customer has") from None
            return str(match[0]["id"])
        created = normalize.mapping(response.json())
        if created.get("id") is None:
            raise errors.invalid_response("a created customer without an id")
        return str(created["id"])

    async def create_link_token(self, user_id: str, *, access_token: str | None = None, **options: Any) -> LinkToken:
        """A Data Connect URL (``link_token`` and ``extra.connect_url``) for the front end to open.

        Without a token: the user's customer (created on first use: a testing customer in sandbox) connects
        a bank. With the token of a login that needs the user: fix mode (``/connect/v2/generate/fix``).
        Options: ``redirect_uri``, ``webhook`` (default FINICITY_REDIRECT_URI / FINICITY_WEBHOOK_URL).
        """
        if not isinstance(user_id, str) or not user_id.strip():
            raise ValueError("user_id must be a non-empty string identifying your user")
        body: dict[str, Any] = {"partnerId": self.settings.partner_id}
        redirect = options.get("redirect_uri") or self.settings.redirect_uri
        webhook = options.get("webhook") or self.settings.webhook_url
        if redirect:
            body["redirectUri"] = redirect
        if webhook:
            body.update(webhook=webhook, webhookContentType="application/json")
        if self.settings.experience:
            body["experience"] = self.settings.experience
        extra: dict[str, Any] = {}
        if access_token is not None:
            customer, login = self._scope(access_token)
            if login is None:
                rows = await self._accounts_raw(customer, None, check=False)
                broken = [r for r in rows if r.get("aggregationStatusCode") in errors.FIXABLE]
                login = str((broken or rows or [{}])[0].get("institutionLoginId") or "") or None
            if login is None:
                raise ValueError("fix mode needs a bank login; this customer has none: open Connect without a token")
            body.update(customerId=customer, institutionLoginId=login)
            path, mode = "/connect/v2/generate/fix", "update"
            extra["institution_login_id"] = login
        else:
            customer = await self._customer_for(user_id.strip(), options)
            body["customerId"] = customer
            path, mode = "/connect/v2/generate", "create"
        response = await self._http.request("POST", path, json_body=body, retry=False)
        link = normalize.mapping(response.json()).get("link")
        if not isinstance(link, str) or not link.startswith(("https://", "http://")):
            raise errors.invalid_response("a Connect answer without a link")
        extra.update(connect_url=link, customer_id=customer)
        return LinkToken(provider=self.name, mode=mode, link_token=link, environment=self.settings.environment,
                         extra=extra)  # fmt: skip

    async def exchange_public_token(self, public_token: str | Mapping[str, Any]) -> TokenExchange:
        """Turn Data Connect's success event into the access token (no call creates anything at Finicity).

        Send the Connect ``added`` event (its webhook body, or what the front end got): ``customerId`` and
        the ``institutionLoginId`` of its accounts (or ``payload.accounts[].institutionLoginId``). The
        customer's accounts are read to check both; the token names that login (see `tokens`).
        """
        if not isinstance(public_token, Mapping):
            raise ValueError("send Data Connect's success event: an object with customerId and institutionLoginId")
        event = public_token
        customer = event.get("customerId") or event.get("customer_id")
        if isinstance(customer, int) and not isinstance(customer, bool):
            customer = str(customer)
        if not isinstance(customer, str) or not customer.isascii() or not customer.isdigit():
            raise ValueError("customerId is missing from the Data Connect event (a number, as /link returned it)")
        payload = normalize.mapping(event.get("payload"))
        logins = {str(a.get("institutionLoginId")) for a in payload.get("accounts") or []
                  if isinstance(a, Mapping) and a.get("institutionLoginId") is not None}  # fmt: skip
        given = event.get("institutionLoginId") or event.get("institution_login_id")
        if given is not None:
            logins = {str(given)}
        if len(logins) > 1:
            raise ValueError("the event names several institutionLoginIds: send one")
        rows = await self._accounts_raw(customer, None, check=False)
        login = next(iter(logins), None)
        if login is None:
            latest = max(rows, key=lambda r: (int(r.get("createdDate") or 0), str(r.get("institutionLoginId"))),
                         default=None)  # fmt: skip
            login = str(latest.get("institutionLoginId")) if latest is not None else None
        mine = [r for r in rows if str(r.get("institutionLoginId")) == login]
        if login is None or not mine:
            raise InvalidCredentialsError(
                "Finicity has no accounts for that customer and bank login: finish Data Connect first",
                provider=self.name, code="institution_login_not_found",
            )  # fmt: skip
        institution = mine[0].get("institutionId")
        return TokenExchange(
            access_token=make_access_token(self._key, customer, login),
            item_id=f"{customer}:{login}",
            institution_id=str(institution) if institution is not None else payload.get("institutionId"),
        )
