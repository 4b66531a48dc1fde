"""`MXClient`: MX's Platform API (user -> member -> accounts), normalised to fin-infra's models.

    >>> from fin_infra.providers.banking.mx import MXClient
    >>> mx = MXClient(client_id="...", api_key="...", environment="integration")   # doctest: +SKIP
    >>> accounts = mx.accounts(access_token="mx1....")                               # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from fin_infra.banking.exceptions import AccountNotFoundError, InvalidCredentialsError, ProductNotReadyError
from fin_infra.models import Balance, BankAccount, Identity, LinkToken, TokenExchange, Transaction
from fin_infra.providers.banking.mx import normalize
from fin_infra.providers.banking.mx.connection import MXConnection
from fin_infra.providers.banking.mx.errors import PROVIDER, invalid_response, status_error
from fin_infra.providers.banking.mx.link import LinkFlow
from fin_infra.providers.banking.mx.paging import read_all
from fin_infra.providers.banking.mx.settings import MXSettings, RetryPolicy
from fin_infra.providers.banking.mx.tokens import ACCOUNT_GUID, MemberRef, decode_token, signing_key
from fin_infra.providers.banking.teller.concurrency import gather_pair
from fin_infra.providers.base import BankingProvider, DateLike
from fin_infra.providers.dates import date_range

_CACHE_SIZE = 1024


def _member_path(ref: MemberRef) -> str:
    return f"/users/{ref.user_guid}/members/{ref.member_guid}"


def _account_guid(account_id: str) -> str:
    # One path segment of MX's GUID alphabet, or it can't be an account of this member.
    if not isinstance(account_id, str) or not ACCOUNT_GUID.fullmatch(account_id):
        raise AccountNotFoundError("no account with that id for this access token", provider=PROVIDER)
    return account_id


class MXClient(BankingProvider):
    """MX (mx.com): HTTP Basic with your client id and API key, MX's ``Accept`` header, JSON.

    The access token is fin-infra's signed reference to one MX user and member (see `tokens`). One
    pooled client per event loop; list pages after the first are fetched concurrently, at most
    ``max_concurrency`` requests at once; reads retry on 429 / 5xx / connection errors with jittered
    backoff (``Retry-After`` honoured) within ``retry.total_timeout`` seconds. Every read checks the
    member's ``connection_status`` alongside (concurrently): a member that needs its user raises
    `ItemLoginRequiredError` with MX's reason. ``base_url`` points it at an emulator or a proxy.

        >>> mx = MXClient.from_env()                                  # doctest: +SKIP
        >>> async with mx:                                            # doctest: +SKIP
        ...     balances = await mx.get_balances(token, fresh=True)   # runs check_balance first
    """

    name: ClassVar[str] = "mx"

    def __init__(
        self,
        *,
        client_id: str | None = None,
        api_key: str | None = None,
        environment: str | None = None,
        base_url: str | None = None,
        token_secret: str | None = None,
        timeout: float | None = None,
        max_concurrency: int | None = None,
        page_size: int | None = None,
        poll_interval: float | None = None,
        job_timeout: float | None = None,
        fresh_balances: bool | None = None,
        status_cache_ttl: float | None = None,
        retry: RetryPolicy | None = None,
        settings: MXSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        given: dict[str, Any] = {
            "client_id": client_id, "api_key": api_key, "environment": environment, "base_url": base_url,
            "token_secret": token_secret, "timeout": timeout, "max_concurrency": max_concurrency,
            "page_size": page_size, "poll_interval": poll_interval, "job_timeout": job_timeout,
            "fresh_balances": fresh_balances, "status_cache_ttl": status_cache_ttl, "retry": retry,
        }  # fmt: skip
        changes = {k: v for k, v in given.items() if v is not None}
        self.settings = settings.with_options(**changes) if settings is not None else MXSettings.from_env(**changes)
        s = self.settings
        self._key = signing_key(s.api_key, s.client_id, s.token_secret)
        self._http = MXConnection(s, transport=transport)
        self._link = LinkFlow(self._http, self._key, s.environment)
        self._members: dict[MemberRef, tuple[float, dict[str, Any]]] = {}  # connected members, until a deadline
        self._members_lock = threading.Lock()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> MXClient:
        """A client configured from ``MX_*`` variables (see `MXSettings.from_env`)."""
        transport = overrides.pop("transport", None)
        return cls(settings=MXSettings.from_env(env, **overrides), transport=transport)

    @property
    def environment(self) -> str:
        return self.settings.environment

    async def aclose(self) -> None:
        await self._http.aclose()

    def member_ref(self, access_token: str) -> MemberRef:
        """The MX user and member an access token names (`InvalidCredentialsError` if it isn't ours)."""
        return decode_token(access_token.strip() if isinstance(access_token, str) else access_token, self._key)

    # --- the member ------------------------------------------------------------------------------

    async def _member(self, ref: MemberRef, *, fresh: bool = False) -> dict[str, Any]:
        """The member, raising when its ``connection_status`` stops reads (connected ones cached briefly)."""
        ttl = self.settings.status_cache_ttl
        cached = self._members.get(ref)
        if not fresh and cached is not None and cached[0] > time.monotonic():
            return cached[1]
        body = await self._http.get_json(_member_path(ref))
        member = body.get("member")
        if not isinstance(member, dict):
            raise invalid_response("a member of the wrong shape")
        has_data = member.get("successfully_aggregated_at") is not None or member.get("aggregated_at") is not None
        error = status_error(member.get("connection_status"), member.get("connection_status_message"),
                             has_data=has_data)  # fmt: skip
        if error is not None:
            self._forget(ref)
            raise error
        if ttl > 0:
            with self._members_lock:  # the app's loop and the synchronous face's thread share it
                while len(self._members) >= _CACHE_SIZE:
                    self._members.pop(next(iter(self._members)))
                self._members[ref] = (time.monotonic() + ttl, member)
        return member

    def _forget(self, ref: MemberRef) -> None:
        with self._members_lock:
            self._members.pop(ref, None)

    async def _run_job(self, ref: MemberRef, job: str) -> None:
        """Start ``job`` (``check_balance``, ``identify``, ...) and wait until MX has finished it.

        Raises when the job left the member in a status that stops reads (with MX's reason); otherwise the
        next read checks the member again, alongside its data.
        """
        await self._http.send_json("POST", f"{_member_path(ref)}/{job}", retry=True)
        deadline = time.monotonic() + self.settings.job_timeout
        while True:
            body = await self._http.get_json(f"{_member_path(ref)}/status")
            status = body.get("member")
            if not isinstance(status, dict):
                raise invalid_response("a member status of the wrong shape")
            if not status.get("is_being_aggregated"):
                self._forget(ref)
                if status_error(status.get("connection_status"), None) is not None:
                    await self._member(ref, fresh=True)  # raises, with the reason only the member carries
                return
            if time.monotonic() + self.settings.poll_interval > deadline:
                raise ProductNotReadyError(f"MX is still running {job} for this member; retry shortly",
                                           code="job_running", provider=PROVIDER)  # fmt: skip
            await asyncio.sleep(self.settings.poll_interval)

    async def _list(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        async def fetch(query: Mapping[str, Any]) -> dict[str, Any]:
            return await self._http.get_json(path, query)

        return await read_all(fetch, key, params or {}, self.settings.page_size)

    # --- accounts and balances -------------------------------------------------------------------

    async def _accounts(self, ref: MemberRef) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return await gather_pair(self._member(ref), self._list(f"{_member_path(ref)}/accounts", "accounts"))

    async def get_accounts(self, access_token: str) -> list[BankAccount]:
        """The member's accounts with the balances of MX's last aggregation."""
        member, raws = await self._accounts(self.member_ref(access_token))
        name = normalize.text(member.get("name"))
        return [normalize.account(raw, name) for raw in raws]

    async def get_balances(
        self, access_token: str, *, account_id: str | None = None, fresh: bool | None = None
    ) -> list[Balance]:
        """Balances of every account (or ``account_id``).

        ``fresh`` (default ``settings.fresh_balances``): run MX's ``check_balance`` job first and wait for
        it, so the balances are read from the bank now rather than at MX's last aggregation.
        """
        ref = self.member_ref(access_token)
        wanted = _account_guid(account_id) if account_id is not None else None
        if self.settings.fresh_balances if fresh is None else fresh:
            await self._run_job(ref, "check_balance")
        _, raws = await self._accounts(ref)
        if wanted is not None:
            raws = [r for r in raws if r.get("guid") == wanted]
            if not raws:
                raise AccountNotFoundError("no account with that id for this access token", provider=PROVIDER)
        return [normalize.balance(raw) for raw in raws]

    async def refresh(self, access_token: str) -> None:
        """Ask MX to aggregate the member now (``POST .../aggregate``) and wait until it has."""
        await self._run_job(self.member_ref(access_token), "aggregate")

    # --- transactions ----------------------------------------------------------------------------

    async def get_transactions(
        self,
        access_token: str,
        start_date: DateLike = None,
        end_date: DateLike = None,
        *,
        account_id: str | None = None,
    ) -> list[Transaction]:
        """Transactions dated ``start_date``..``end_date`` (inclusive), newest first, every page read."""
        ref = self.member_ref(access_token)
        start, end = date_range(start_date, end_date)
        params = {"from_date": start.isoformat(), "to_date": end.isoformat()}
        if account_id is None:
            _, rows = await gather_pair(
                self._member(ref), self._list(f"{_member_path(ref)}/transactions", "transactions", params)
            )
        else:
            guid = _account_guid(account_id)
            # The account is looked up under the member, so another member's account is not found.
            account_path = f"{_member_path(ref)}/accounts/{guid}"
            checked = gather_pair(self._member(ref), self._http.get_json(account_path, missing="account"))
            _, rows = await gather_pair(
                checked, self._list(f"/users/{ref.user_guid}/accounts/{guid}/transactions", "transactions", params)
            )
        txns = [normalize.transaction(r) for r in rows]
        txns = [t for t in txns if start <= t.date <= end]
        txns.sort(key=lambda t: (t.date, t.id), reverse=True)
        return txns

    # --- identity, removal -----------------------------------------------------------------------

    async def get_identity(self, access_token: str) -> Identity:
        """The account owners; when MX has none yet, runs the ``identify`` job and reads them again."""
        ref = self.member_ref(access_token)
        path = f"{_member_path(ref)}/account_owners"
        _, owners = await gather_pair(self._member(ref), self._list(path, "account_owners"))
        if not owners:
            await self._run_job(ref, "identify")
            owners = await self._list(path, "account_owners")
        return normalize.identity(owners)

    async def remove_item(self, access_token: str) -> None:
        """Delete the member at MX (``DELETE /users/{u}/members/{m}``): its token stops working."""
        ref = self.member_ref(access_token)
        self._forget(ref)
        try:
            await self._http.request("DELETE", _member_path(ref), retry=True)
        except InvalidCredentialsError as exc:
            if exc.status_code != 404:
                raise
            # Already gone (a retry after a lost answer, or removed before): what was asked for is done.

    # --- MX Connect --------------------------------------------------------------------------------

    async def create_link_token(self, user_id: str, *, access_token: str | None = None, **options: Any) -> LinkToken:
        """A Connect widget URL for ``user_id`` (your id for the user; the MX user is created on first use).

        With ``access_token``: update mode, the widget opens that member (``current_member_guid``) to
        answer MFA or fix credentials. The URL is in ``extra["widget_url"]``; it is single-use and expires
        in 10 minutes, so ask for one per page load. Options: ``products`` (``transactions``,
        ``identity``, ``balance``, ``verification``), ``country_codes``, ``language``, ``redirect_uri``.
        """
        ref = self.member_ref(access_token) if access_token is not None else None
        return await self._link.widget(user_id, ref, options)

    async def exchange_public_token(self, public_token: str | Mapping[str, Any]) -> TokenExchange:
        """The access token for the member the widget's ``mx/connect/memberConnected`` event names.

        Accepts the event (``{"type": ..., "metadata": {"user_guid", "member_guid", ...}}``) or its
        metadata; checks with MX that the member exists under that user.
        """
        if not isinstance(public_token, Mapping):
            raise ValueError(
                "send MX Connect's memberConnected event ({\"type\": \"mx/connect/memberConnected\", \"metadata\": "
                "{\"user_guid\": ..., \"member_guid\": ...}})"
            )
        return await self._link.exchange(public_token)

