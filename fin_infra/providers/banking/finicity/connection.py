"""HTTP to Finicity: one pooled `httpx.AsyncClient` per event loop, partner token, retries, error mapping.

Every call carries ``Finicity-App-Key`` and ``Finicity-App-Token`` (see `fin_infra.providers.banking.finicity.auth`).
Idempotent calls retry on 429 / 5xx / connection errors with jittered exponential backoff, honouring
``Retry-After``, within ``retry.total_timeout`` seconds. Any call answered 401 for an invalid or expired
partner token gets a new token and is sent once more (the server did nothing with it).

    >>> conn = FinicityConnection(FinicitySettings("1234583871234", "secret", "key"))
    >>> conn.base_url
    'https://api.finicity.com'
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from fin_infra import __version__, _sync
from fin_infra.banking.exceptions import BankingError, BankingProviderError, InvalidCredentialsError
from fin_infra.providers.banking.finicity import errors
from fin_infra.providers.banking.finicity.auth import PartnerToken
from fin_infra.providers.banking.finicity.settings import FinicitySettings
from fin_infra.providers.retry_after import retry_after_header

log = logging.getLogger("fin_infra.providers.finicity")

AUTH_PATH = "/aggregation/v2/partners/authentication"
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class _LoopState:
    client: httpx.AsyncClient
    limiter: asyncio.Semaphore
    keeper: AsyncGenerator[None, None]


async def _close_with_loop(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    # Tracked by the loop: loop.shutdown_asyncgens() closes the pool before the loop closes.
    try:
        yield
    finally:
        await client.aclose()


class FinicityConnection:
    """Authenticated, retried JSON requests to Finicity, and the bound on concurrent ones."""

    def __init__(self, settings: FinicitySettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.base_url = settings.base_url
        self.token = PartnerToken(lifetime=settings.token_lifetime)
        self._transport = transport
        self._states: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self._lock = threading.Lock()
        self._headers = {
            "User-Agent": f"fin-infra/{__version__}",
            "Accept": "application/json",
            "Finicity-App-Key": settings.app_key,
        }

    async def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is not None:
            return state
        timeout = httpx.Timeout(self.settings.timeout, connect=self.settings.connect_timeout)
        limits = httpx.Limits(max_connections=max(20, self.settings.max_concurrency * 2), keepalive_expiry=30)
        client = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, limits=limits, headers=self._headers, trust_env=False,
            transport=self._transport,
        )  # fmt: skip
        keeper = _close_with_loop(client)
        await keeper.__anext__()
        state = _LoopState(client, asyncio.Semaphore(self.settings.max_concurrency), keeper)
        with self._lock:
            for old in [lp for lp in self._states if lp.is_closed()]:
                del self._states[old]
            self._states[loop] = state
        return state

    async def aclose(self) -> None:
        """Close this loop's client and the synchronous face's (as `TellerConnection.aclose` does)."""
        current = asyncio.get_running_loop()
        portal = _sync._loop
        with self._lock:
            mine = self._states.pop(current, None)
            theirs = self._states.pop(portal, None) if portal is not None and portal is not current else None
        if mine is not None:
            await mine.keeper.aclose()
        if theirs is not None and portal is not None and portal.is_running():
            future = asyncio.run_coroutine_threadsafe(theirs.keeper.aclose(), portal)
            try:
                await asyncio.wait_for(asyncio.wrap_future(future), timeout=5)
            except TimeoutError:
                log.warning("the Finicity HTTP client of the synchronous face did not close in time")

    # --- partner token ---------------------------------------------------------------------------

    async def _fetch_token(self) -> str:
        state = await self._state()
        body = {"partnerId": self.settings.partner_id, "partnerSecret": self.settings.partner_secret}
        response = await self._send(state, "POST", AUTH_PATH, json_body=body, token=None, retry=True)
        if not response.is_success:
            error = errors.error_from_response(response)
            if response.status_code == 401:
                raise errors.error_from_status(401, "10001", "partner authentication failed")
            raise error
        data = _decode(response)
        token = data.get("token") if isinstance(data, Mapping) else None
        if not isinstance(token, str) or not token:
            raise errors.invalid_response("a partner authentication answer without a token")
        log.info("Finicity partner token refreshed")
        return token

    # --- requests --------------------------------------------------------------------------------

    async def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        not_found: type[BankingProviderError] = InvalidCredentialsError,
    ) -> Any:
        """GET ``path`` and return its JSON (numbers with decimals as `Decimal`); retried."""
        return _decode(await self.request("GET", path, params=params, retry=True, not_found=not_found))

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        retry: bool = True,
        not_found: type[BankingProviderError] = InvalidCredentialsError,
    ) -> httpx.Response:
        """One authenticated Finicity call; raises the mapped error for a non-2xx answer."""
        state = await self._state()
        refreshed = False
        while True:
            token = await self.token.get(self._fetch_token)
            response = await self._send(state, method, path, params=params, json_body=json_body, token=token,
                                        retry=retry)  # fmt: skip
            if response.is_success:
                return response
            if errors.is_token_error(response) and not refreshed:
                refreshed = True
                self.token.invalidate(token)
                log.info("Finicity %s %s: partner token refused; fetching a new one", method, path)
                continue
            error = errors.error_from_response(response, not_found=not_found)
            log.info(
                "Finicity %s %s answered %s code=%s",
                method,
                path,
                response.status_code,
                getattr(error, "code", None),
            )
            raise error

    async def _send(
        self,
        state: _LoopState,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        token: str | None,
        retry: bool,
    ) -> httpx.Response:
        """Send, retrying 429 / 5xx / transport failures when ``retry``; returns the last response."""
        policy = self.settings.retry
        deadline = time.monotonic() + policy.total_timeout
        headers = {"Finicity-App-Token": token} if token else {}
        content = json.dumps(json_body).encode() if json_body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            attempt += 1
            remaining = max(0.05, deadline - time.monotonic())
            timeout = httpx.Timeout(
                min(self.settings.timeout, remaining), connect=min(self.settings.connect_timeout, remaining)
            )
            try:
                async with state.limiter:
                    response = await state.client.request(
                        method, path, params=params, content=content, headers=headers, timeout=timeout
                    )
            except httpx.TransportError as exc:
                failure: BankingError = errors.error_from_transport(exc)
                delay = self._backoff(attempt)
                if not retry or not self._can_retry(attempt, delay, deadline):
                    raise failure from exc
                log.info("Finicity %s %s failed (%s); retrying in %.2fs", method, path, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            if retry and response.status_code in _RETRY_STATUSES:
                hinted = retry_after_header(response.headers)
                delay = hinted if hinted is not None else self._backoff(attempt)
                if self._can_retry(attempt, delay, deadline):
                    log.info("Finicity %s %s answered %s; retrying in %.2fs", method, path, response.status_code, delay)
                    await asyncio.sleep(delay)
                    continue
            return response

    def _backoff(self, attempt: int) -> float:
        policy = self.settings.retry
        cap = min(policy.max_delay, policy.base_delay * (2 ** (attempt - 1)))
        return random.uniform(cap / 2, cap)  # noqa: S311 - jitter, not cryptography

    def _can_retry(self, attempt: int, delay: float, deadline: float) -> bool:
        return attempt < self.settings.retry.max_attempts and time.monotonic() + delay < deadline


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid_response("a body that isn't JSON") from None
