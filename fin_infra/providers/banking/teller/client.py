"""`TellerClient`: Teller over mTLS, normalised to fin-infra's models.

    >>> from fin_infra.providers.banking.teller_client import TellerClient
    >>> teller = TellerClient(cert_path="./teller_certificate.pem",            # doctest: +SKIP
    ...                       key_path="./teller_private_key.pem", environment="sandbox")
    >>> accounts = teller.accounts(access_token="test_token_...")              # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from fin_infra.banking.exceptions import (
    AccountNotFoundError,
    BankingProviderError,
    InvalidCredentialsError,
    ProviderConfigurationError,
    invalid_response,
)
from fin_infra.models import Balance, BankAccount, Identity, LinkToken, TokenExchange, Transaction
from fin_infra.providers.banking.teller import normalize
from fin_infra.providers.banking.teller.certificates import build_ssl_context, load_identity
from fin_infra.providers.banking.teller.concurrency import gather_all, gather_pair
from fin_infra.providers.banking.teller.connection import TellerConnection
from fin_infra.providers.banking.teller.errors import CLOSED
from fin_infra.providers.banking.teller.settings import (
    ENV_VARS,
    NOT_CONFIGURED,
    RetryPolicy,
    TellerSettings,
    configured_in,
)
from fin_infra.providers.base import BankingProvider, DateLike
from fin_infra.providers.dates import date_range
from fin_infra.providers.ids import is_provider_id, path_segment

CONNECT_SCRIPT = "https://cdn.teller.io/connect/connect.js"
PRODUCTS = ("balance", "transactions", "identity", "verify", "verify.instant", "verify.microdeposit")
DEFAULT_PRODUCTS = ("transactions", "balance", "identity")
_CACHE_SIZE = 1024
_PAGING_RESTARTS = 2
log = logging.getLogger("fin_infra.providers.teller")


def _token_key(access_token: str) -> str:
    # The cache is keyed by a hash: the token itself is never kept beyond the call.
    return hashlib.sha256(access_token.encode()).hexdigest()


def _require_token(access_token: str) -> str:
    if not isinstance(access_token, str) or not access_token.strip():
        raise InvalidCredentialsError(
            "no Teller access token given: pass the accessToken Teller Connect returned", provider="teller"
        )
    return access_token.strip()


def _account_path(account_id: str) -> str:
    # Checked before any request: an id outside Teller's grammar can't name an account, and pasted into
    # the URL it could reach another endpoint (``acc_1/details?``, ``..``) with the app's certificate.
    if not is_provider_id(account_id):
        raise AccountNotFoundError("no account with that id for this access token", provider="teller")
    return f"/accounts/{path_segment(account_id)}"


class TellerClient(BankingProvider):
    """Teller (teller.io): mTLS with your application's certificate, HTTP Basic with the access token.

    One pooled HTTPS client per event loop, reused across calls; per-account calls (balances,
    transactions of every account) run concurrently: at most ``max_connections`` requests at once (256,
    over as many kept-alive connections) and at most ``max_concurrency`` for one access token (16). Idempotent
    reads retry on 429 / 5xx / connection errors with jittered exponential backoff within
    ``retry.total_timeout`` seconds. ``base_url`` and ``ca_bundle`` point it at an emulator or proxy.

        >>> teller = TellerClient.from_env()                         # doctest: +SKIP
        >>> async with teller:                                       # doctest: +SKIP
        ...     balances = await teller.get_balances("test_token_...")
    """

    name: ClassVar[str] = "teller"

    def __init__(
        self,
        *,
        cert_path: str | None = None,
        key_path: str | None = None,
        certificate: str | None = None,
        private_key: str | None = None,
        environment: str | None = None,
        application_id: str | None = None,
        base_url: str | None = None,
        ca_bundle: str | None = None,
        api_version: str | None = None,
        timeout: float | None = None,
        max_concurrency: int | None = None,
        max_connections: int | None = None,
        page_size: int | None = None,
        account_cache_ttl: float | None = None,
        retry: RetryPolicy | None = None,
        settings: TellerSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        given: dict[str, Any] = {
            "cert_path": cert_path,
            "key_path": key_path,
            "certificate": certificate,
            "private_key": private_key,
            "environment": environment,
            "application_id": application_id,
            "base_url": base_url,
            "ca_bundle": ca_bundle,
            "api_version": api_version,
            "timeout": timeout,
            "max_concurrency": max_concurrency,
            "max_connections": max_connections,
            "page_size": page_size,
            "account_cache_ttl": account_cache_ttl,
            "retry": retry,
        }
        changes = {k: v for k, v in given.items() if v is not None}
        if settings is not None:
            settings = settings.with_options(**changes)  # arguments override the settings object
        else:
            # The rule of every provider: the environment (TELLER_*) first, arguments override it.
            if transport is None and not changes.keys() & ENV_VARS.keys() and not configured_in(os.environ):
                raise ProviderConfigurationError(NOT_CONFIGURED)
            settings = TellerSettings.from_env(**changes)
        self.settings = settings
        identity = load_identity(settings)
        context = None if transport is not None else build_ssl_context(settings, identity)

        def probe() -> Any:
            return build_ssl_context(settings, identity, max_tls12=True)

        self._http = TellerConnection(
            settings, ssl_context=context, probe_context=None if transport else probe, transport=transport
        )
        self._accounts_cache: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._cache_lock = threading.Lock()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> TellerClient:
        """A client configured from ``TELLER_*`` environment variables (see `TellerSettings.from_env`).

        With no Teller variable set at all (and no ``overrides``), a `ProviderConfigurationError` (a
        ``ValueError``) names the variables to set."""
        transport = overrides.pop("transport", None)
        source = os.environ if env is None else env
        given = {k for k, v in overrides.items() if v is not None}
        if transport is None and not given & ENV_VARS.keys() and not configured_in(source):
            raise ProviderConfigurationError(NOT_CONFIGURED)
        return cls(settings=TellerSettings.from_env(env, **overrides), transport=transport)

    @property
    def environment(self) -> str:
        return self.settings.environment

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- accounts --------------------------------------------------------------------------------

    async def _list_accounts(self, access_token: str, *, fresh: bool) -> list[dict[str, Any]]:
        key = _token_key(access_token)
        ttl = self.settings.account_cache_ttl
        cached = self._accounts_cache.get(key)
        if not fresh and cached is not None and cached[0] > time.monotonic():
            return cached[1]
        data = await self._http.get_json("/accounts", access_token)
        if not isinstance(data, list) or not all(isinstance(a, dict) and a.get("id") for a in data):
            raise invalid_response(self.name, "Teller sent an account list of the wrong shape")
        if ttl > 0:
            with self._cache_lock:  # the app's loop and the synchronous face's thread share the cache
                while len(self._accounts_cache) >= _CACHE_SIZE:
                    self._accounts_cache.pop(next(iter(self._accounts_cache)))
                self._accounts_cache[key] = (time.monotonic() + ttl, data)
        return data

    def _forget(self, access_token: str) -> None:
        with self._cache_lock:
            self._accounts_cache.pop(_token_key(access_token), None)

    async def _account(self, access_token: str, account_id: str) -> dict[str, Any]:
        path = _account_path(account_id)
        cached = self._accounts_cache.get(_token_key(access_token))
        if cached is not None and cached[0] > time.monotonic():
            for raw in cached[1]:
                if raw.get("id") == account_id:
                    return raw
        data = await self._http.get_json(path, access_token)
        if not isinstance(data, dict) or not data.get("id"):
            raise invalid_response(self.name, "Teller sent an account of the wrong shape")
        return data

    @staticmethod
    def _has(raw: Mapping[str, Any], link: str) -> bool:
        links = raw.get("links")
        # Teller lists a capability in ``links`` only when the institution supports it.
        return raw.get("status", "open") == "open" and (not isinstance(links, Mapping) or link in links)

    async def _balance_or_none(self, access_token: str, raw: Mapping[str, Any]) -> dict[str, Any] | None:
        try:
            data = await self._http.get_json(f"{_account_path(str(raw['id']))}/balances", access_token)
        except AccountNotFoundError:
            return None  # closed or removed since the list was read
        return _balances_object(data)

    async def get_accounts(self, access_token: str) -> list[BankAccount]:
        """The enrollment's accounts, with live balances for open accounts (fetched concurrently)."""
        token = _require_token(access_token)
        raws = await self._list_accounts(token, fresh=True)
        balances = await gather_all(
            [self._balance_or_none(token, raw) if self._has(raw, "balances") else _none() for raw in raws]
        )
        return [normalize.account(raw, bal) for raw, bal in zip(raws, balances, strict=True)]

    async def get_balances(self, access_token: str, *, account_id: str | None = None) -> list[Balance]:
        """Live balances of every open account (concurrently), or of ``account_id``."""
        token = _require_token(access_token)
        if account_id is not None:
            path = _account_path(account_id)  # before any coroutine is made: a bad id leaves none unawaited
            balances = self._http.get_json(f"{path}/balances", token)
            raw, data = await gather_pair(self._account(token, account_id), balances)
            return [normalize.balance(_balances_object(data), raw)]
        raws = [raw for raw in await self._list_accounts(token, fresh=False) if self._has(raw, "balances")]
        found = await gather_all([self._balance_or_none(token, raw) for raw in raws])
        return [normalize.balance(data, raw) for raw, data in zip(raws, found, strict=True) if data is not None]

    # --- transactions ----------------------------------------------------------------------------

    async def _transaction_rows(
        self, access_token: str, account_id: str, start: dt.date, end: dt.date
    ) -> list[dict[str, Any]]:
        """Every transaction of one account in [start, end], following ``count`` / ``from_id`` pages.

        A 404 while paging (the ``from_id`` row vanished between two pages, or a one-off 404) restarts
        from the first page, at most `_PAGING_RESTARTS` times; the restarted pass alone is kept (a row
        that vanished is gone, none is doubled).
        """
        restarts = 0
        while True:
            rows: dict[str, dict[str, Any]] = {}
            try:
                await self._page_through(access_token, account_id, start, end, rows)
                break
            except AccountNotFoundError as exc:
                if exc.code == CLOSED or restarts >= _PAGING_RESTARTS:
                    raise
                restarts += 1
                log.info("Teller transactions paging got a 404; restarting from the first page (%d)", restarts)
        first, last = start.isoformat(), end.isoformat()
        return [r for r in rows.values() if first <= str(r.get("date", "")) <= last]

    async def _page_through(
        self, access_token: str, account_id: str, start: dt.date, end: dt.date, rows: dict[str, dict[str, Any]]
    ) -> None:
        size = self.settings.page_size
        path = f"{_account_path(account_id)}/transactions"
        params: dict[str, Any] = {"start_date": start.isoformat(), "end_date": end.isoformat(), "count": size}
        while True:
            page = await self._http.get_json(path, access_token, params)
            if not isinstance(page, list) or not all(
                isinstance(r, dict) and is_provider_id(r.get("id")) for r in page
            ):
                raise invalid_response(self.name, "Teller sent a transaction page of the wrong shape")
            for row in page:
                rows.setdefault(str(row["id"]), row)  # a row seen on two pages counts once
            if len(page) < size:
                return
            oldest = page[-1]
            if str(oldest.get("date", "")) < start.isoformat():
                return  # newest first: everything after this page is older than the range
            if params.get("from_id") == oldest["id"]:
                return  # the server ignored from_id; don't loop forever
            params = {**params, "from_id": oldest["id"]}

    async def _account_transactions(
        self, access_token: str, raw: Mapping[str, Any], start: dt.date, end: dt.date
    ) -> list[Transaction]:
        try:
            rows = await self._transaction_rows(access_token, str(raw["id"]), start, end)
        except AccountNotFoundError:
            # Closed or removed since the (cached) list was read: skipped, as balances skip it; the
            # list is read afresh next time.
            self._forget(access_token)
            return []
        kind, currency = str(raw.get("type") or ""), str(raw.get("currency") or "USD")
        return [normalize.transaction(r, account_type=kind, currency=currency) for r in rows]

    async def get_transactions(
        self,
        access_token: str,
        start_date: DateLike = None,
        end_date: DateLike = None,
        *,
        account_id: str | None = None,
    ) -> list[Transaction]:
        """Transactions dated ``start_date``..``end_date`` (inclusive), newest first, every account concurrently."""
        token = _require_token(access_token)
        start, end = date_range(start_date, end_date)
        if account_id is not None:
            _account_path(account_id)  # before any coroutine is made: a bad id leaves none unawaited
            raw, rows = await gather_pair(
                self._account(token, account_id), self._transaction_rows(token, account_id, start, end)
            )
            kind, currency = str(raw.get("type") or ""), str(raw.get("currency") or "USD")
            txns = [normalize.transaction(r, account_type=kind, currency=currency) for r in rows]
        else:
            raws = [raw for raw in await self._list_accounts(token, fresh=False) if self._has(raw, "transactions")]
            per_account = await gather_all([self._account_transactions(token, raw, start, end) for raw in raws])
            txns = [t for chunk in per_account for t in chunk]
        txns.sort(key=lambda t: t.date, reverse=True)  # stable: Teller's order within a day is kept
        return txns

    # --- identity, details, removal --------------------------------------------------------------

    async def get_identity(self, access_token: str) -> Identity:
        """The owners of the enrollment's accounts (PII)."""
        return normalize.identity(await self._http.get_json("/identity", _require_token(access_token)))

    async def get_account_details(self, access_token: str, account_id: str) -> normalize.TellerAccountDetails | None:
        """Account and routing numbers, or None where the institution doesn't offer them (e.g. credit cards)."""
        token = _require_token(access_token)
        try:
            data = await self._http.get_json(f"{_account_path(account_id)}/details", token)
        except AccountNotFoundError as exc:
            if exc.code == "not_found":
                await self._account(token, account_id)  # an unknown account still raises
                return None
            raise
        return normalize.details(data)

    async def remove_item(self, access_token: str) -> None:
        """Remove the whole enrollment (``DELETE /accounts``): the token stops working."""
        token = _require_token(access_token)
        self._forget(token)
        await self._http.request("DELETE", "/accounts", token, retry=False)

    async def remove_account(self, access_token: str, account_id: str) -> None:
        """Remove one account from the enrollment."""
        token = _require_token(access_token)
        self._forget(token)
        await self._http.request("DELETE", _account_path(account_id), token, retry=False)

    # --- Teller Connect --------------------------------------------------------------------------

    async def create_link_token(self, user_id: str, *, access_token: str | None = None, **options: Any) -> LinkToken:
        """What Teller Connect needs: application id, environment, products; with a token, update mode.

        Teller has no link token: the front end calls ``TellerConnect.setup({applicationId,
        environment, products, enrollmentId})`` with these values.
        """
        if not isinstance(user_id, str) or not user_id.strip():
            raise ValueError("user_id must be a non-empty string identifying your user")
        if not self.settings.application_id:
            raise ProviderConfigurationError(
                "Teller Connect needs your application id: set TELLER_APPLICATION_ID (app_..., from the Teller "
                "dashboard, Application Settings)"
            )
        products = list(options.get("products") or DEFAULT_PRODUCTS)
        unknown = [p for p in products if p not in PRODUCTS]
        if unknown:
            shown = ", ".join(repr(str(p)[:40]) for p in unknown[:5])
            raise ValueError(f"unknown Teller products {shown}: choose from {', '.join(PRODUCTS)}")
        enrollment_id = options.get("enrollment_id")
        mode = "create"
        if access_token is not None:
            mode = "update"
            if not enrollment_id:
                raws = await self._list_accounts(_require_token(access_token), fresh=True)
                enrollment_id = next((r.get("enrollment_id") for r in raws if r.get("enrollment_id")), None)
            if not enrollment_id:
                raise ValueError("update mode needs the enrollment id; pass enrollment_id=... (enr_...)")
        return LinkToken(
            provider=self.name,
            mode=mode,
            application_id=self.settings.application_id,
            environment=self.settings.environment,
            products=products,
            enrollment_id=enrollment_id,
            extra={"connect_script": CONNECT_SCRIPT},
        )

    async def exchange_public_token(self, public_token: str | Mapping[str, Any]) -> TokenExchange:
        """Check Teller Connect's ``onSuccess`` enrollment (or a bare access token) and return it.

        Teller hands the access token straight to the front end; this calls Teller with it, so a
        wrong or revoked token fails here (`InvalidCredentialsError`), not on first use.
        """
        enrollment: Mapping[str, Any] = {}
        if isinstance(public_token, Mapping):
            token = public_token.get("accessToken") or public_token.get("access_token")
            enrollment = normalize.mapping(public_token.get("enrollment"))
        else:
            token = public_token
        if not isinstance(token, str) or not token.strip():
            raise ValueError("send Teller Connect's onSuccess payload: accessToken is missing")
        token = token.strip()
        raws = await self._list_accounts(token, fresh=True)
        claimed = enrollment.get("id") if isinstance(enrollment.get("id"), str) else None
        actual = {str(r["enrollment_id"]) for r in raws if r.get("enrollment_id")}
        if claimed and actual and claimed not in actual:
            raise InvalidCredentialsError(
                "the access token does not belong to the enrollment Teller Connect reported", provider=self.name
            )
        enrollment_id = claimed or next(iter(sorted(actual)), None)
        if not enrollment_id:
            raise BankingProviderError("Teller reported no enrollment for this access token", provider=self.name)
        institution = normalize.mapping(enrollment.get("institution"))
        first = normalize.mapping(raws[0].get("institution")) if raws else {}
        return TokenExchange(
            access_token=token,
            item_id=enrollment_id,
            institution_id=first.get("id"),
            institution_name=institution.get("name") or first.get("name"),
        )


async def _none() -> None:
    return None


def _balances_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise invalid_response("teller", "Teller sent balances of the wrong shape")
    return data
