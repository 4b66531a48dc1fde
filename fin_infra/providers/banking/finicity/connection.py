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
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from fin_infra import __version__
from fin_infra.banking.exceptions import BankingProviderError, InvalidCredentialsError
from fin_infra.providers.banking.finicity import errors
from fin_infra.providers.banking.finicity.auth import PartnerToken
from fin_infra.providers.banking.finicity.settings import FinicitySettings
from fin_infra.providers.per_loop import BoundedClient, PerLoop
from fin_infra.providers.retrying import RETRY_STATUSES, Attempts

log = logging.getLogger("fin_infra.providers.finicity")

AUTH_PATH = "/aggregation/v2/partners/authentication"


class FinicityConnection:
    """Authenticated, retried JSON requests to Finicity, and the bound on concurrent ones."""

    def __init__(self, settings: FinicitySettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.base_url = settings.base_url
        self.token = PartnerToken(lifetime=settings.token_lifetime)
        self._transport = transport
        self._headers = {
            "User-Agent": f"fin-infra/{__version__}",
            "Accept": "application/json",
            "Finicity-App-Key": settings.app_key,
        }

        self._pools = PerLoop(self._build, BoundedClient.close, name="Finicity")

    def _build(self) -> BoundedClient:
        timeout = httpx.Timeout(self.settings.timeout, connect=self.settings.connect_timeout)
        limits = httpx.Limits(max_connections=max(20, self.settings.max_concurrency * 2), keepalive_expiry=30)
        client = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, limits=limits, headers=self._headers, trust_env=False,
            transport=self._transport,
        )  # fmt: skip
        return BoundedClient(client, asyncio.Semaphore(self.settings.max_concurrency))

    async def aclose(self) -> None:
        """Close this loop's client and the synchronous face's (see `PerLoop.aclose` for why only those)."""
        await self._pools.aclose()

    # --- partner token ---------------------------------------------------------------------------

    async def _fetch_token(self) -> str:
        state = await self._pools.get()
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
        state = await self._pools.get()
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
        state: BoundedClient,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        token: str | None,
        retry: bool,
    ) -> httpx.Response:
        """Send, retrying 429 / 5xx / transport failures when ``retry``; returns the last response."""
        attempts = Attempts(self.settings.retry, timeout=self.settings.timeout, connect=self.settings.connect_timeout)
        headers = {"Finicity-App-Token": token} if token else {}
        content = json.dumps(json_body).encode() if json_body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        while True:
            timeout = attempts.start()
            try:
                async with state.limiter:
                    response = await state.client.request(
                        method, path, params=params, content=content, headers=headers, timeout=timeout
                    )
            except httpx.TransportError as exc:
                delay = attempts.delay() if retry else None
                if delay is None:
                    raise errors.error_from_transport(exc) from exc
                log.info("Finicity %s %s failed (%s); retrying in %.2fs", method, path, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            if retry and response.status_code in RETRY_STATUSES:
                delay = attempts.delay(response.headers)
                if delay is not None:
                    log.info("Finicity %s %s answered %s; retrying in %.2fs", method, path, response.status_code, delay)
                    await asyncio.sleep(delay)
                    continue
            return response


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid_response("a body that isn't JSON") from None
