"""HTTP to Teller: pooled `httpx.AsyncClient`s per event loop (`PerLoop`), Basic auth, retries (`Attempts`),
error mapping.

    >>> conn = TellerConnection(TellerSettings())
    >>> conn.base_url
    'https://api.teller.io'
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from fin_infra import __version__
from fin_infra.banking.exceptions import BankingError, invalid_response
from fin_infra.providers.banking.teller import errors
from fin_infra.providers.banking.teller.certificates import diagnose_handshake
from fin_infra.providers.banking.teller.concurrency import RequestLimits
from fin_infra.providers.banking.teller.settings import TellerSettings
from fin_infra.providers.per_loop import PerLoop
from fin_infra.providers.retrying import RETRY_STATUSES, Attempts

log = logging.getLogger("fin_infra.providers.teller")



# Connections per pooled client. httpcore's pool checks every one of its connections (a poll() each) on
# every request it starts or finishes, so one pool of 100 busy connections costs more CPU than the
# requests themselves; several small pools, each request sent on the least busy, keep that flat.
_POOL_SIZE = 8


@dataclass
class _Pools:
    clients: list[httpx.AsyncClient]
    busy: list[int]  # requests in flight on each client
    limits: RequestLimits

    def least_busy(self) -> int:
        # In flight in all is at most the host bound (the limits see to it), and the pools share it
        # out, so the least busy pool always has a connection free: no request waits in a pool.
        return min(range(len(self.busy)), key=self.busy.__getitem__)

    @staticmethod
    async def close(pools: _Pools) -> None:
        for client in pools.clients:
            await client.aclose()


class TellerConnection:
    """Authenticated, retried JSON requests to Teller, at most ``max_connections`` at once (over as many
    pooled, kept-alive connections) and at most ``max_concurrency`` at once for one access token."""

    def __init__(
        self,
        settings: TellerSettings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        probe_context: Callable[[], ssl.SSLContext] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = settings.base_url
        self._ssl_context = ssl_context
        self._probe_context = probe_context
        self._transport = transport
        self._pools = PerLoop(self._build, _Pools.close, name="Teller")
        self._headers = {"User-Agent": f"fin-infra/{__version__}", "Accept": "application/json"}
        if settings.api_version:
            self._headers["Teller-Version"] = settings.api_version

    # --- per-loop client -------------------------------------------------------------------------

    def _build(self) -> _Pools:
        timeout = httpx.Timeout(self.settings.timeout, connect=self.settings.connect_timeout)
        if self._transport is not None:
            given = httpx.AsyncClient(
                transport=self._transport, base_url=self.base_url, timeout=timeout, headers=self._headers
            )
            clients = [given]
        else:
            # Every connection the host bound allows is kept alive between calls: a burst never pays for new
            # mTLS handshakes once the pools are warm (httpx would keep only 20 by default and close the rest).
            connections = self.settings.max_connections
            pools = -(-connections // _POOL_SIZE)
            size = -(-connections // pools)
            limits = httpx.Limits(max_connections=size, max_keepalive_connections=size, keepalive_expiry=30)
            clients = [
                httpx.AsyncClient(
                    base_url=self.base_url,
                    timeout=timeout,
                    limits=limits,
                    headers=self._headers,
                    verify=self._ssl_context if self._ssl_context is not None else True,
                    trust_env=False,
                )
                for _ in range(pools)
            ]
        bounds = RequestLimits(per_host=self.settings.max_connections, per_token=self.settings.max_concurrency)
        return _Pools(clients, [0] * len(clients), bounds)

    async def limits(self) -> RequestLimits:
        """The bounds on this loop's concurrent requests (per host, per token)."""
        return (await self._pools.get()).limits

    async def aclose(self) -> None:
        """Close this loop's clients and the synchronous face's (see `PerLoop.aclose` for why only those)."""
        await self._pools.aclose()

    # --- requests --------------------------------------------------------------------------------

    async def get_json(self, path: str, access_token: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and return the decoded JSON; idempotent, so retried."""
        response = await self.request("GET", path, access_token, params=params, retry=True)
        try:
            return json.loads(response.content)
        except (ValueError, RecursionError):
            raise invalid_response(errors.PROVIDER, "Teller answered with a body that isn't JSON") from None

    async def request(
        self,
        method: str,
        path: str,
        access_token: str | None,
        *,
        params: Mapping[str, Any] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """One Teller call with Basic auth (token as username, empty password), retried when safe."""
        state = await self._pools.get()
        attempts = Attempts(self.settings.retry, timeout=self.settings.timeout, connect=self.settings.connect_timeout)
        auth = httpx.BasicAuth(access_token, "") if access_token else None
        probed = False
        while True:
            timeout = attempts.start()
            try:
                async with state.limits.slot(access_token):
                    pool = state.least_busy()
                    state.busy[pool] += 1
                    try:
                        response = await state.clients[pool].request(
                            method, path, params=params, auth=auth, timeout=timeout
                        )
                    finally:
                        state.busy[pool] -= 1
            except httpx.TransportError as exc:
                failure: BankingError = await self._transport_failure(exc, probed, attempts.deadline)
                probed = True
                delay = attempts.delay() if retry else None
                if delay is None:
                    raise failure from exc
                log.info("Teller %s %s failed (%s); retrying in %.2fs", method, path, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            if response.is_success:
                return response
            error = errors.error_from_response(response)
            if retry and response.status_code in RETRY_STATUSES:
                delay = attempts.delay(response.headers)  # 429, and a 503 may say when too
                if delay is not None:
                    log.info("Teller %s %s answered %s; retrying in %.2fs", method, path, response.status_code, delay)
                    await asyncio.sleep(delay)
                    continue
            log.info(
                "Teller %s %s answered %s code=%s request_id=%s",
                method,
                path,
                response.status_code,
                getattr(error, "code", None),
                response.headers.get("x-request-id"),
            )
            raise error

    async def _transport_failure(self, exc: httpx.TransportError, probed: bool, deadline: float) -> BankingError:
        """The error a transport failure stands for; a refused client certificate is not retried."""
        if errors.server_certificate_untrusted(exc):
            raise errors.untrusted_server_error(self.base_url) from exc
        if not probed and self._probe_context is not None and errors.looks_like_tls_rejection(exc):
            url = urlsplit(self.base_url)
            port = url.port or 443
            wait = min(5.0, max(0.5, deadline - time.monotonic()))
            reason = await asyncio.to_thread(
                diagnose_handshake, self._probe_context(), url.hostname or "", port, wait
            )
            if reason is not None:
                raise errors.rejected_certificate_error(
                    reason, has_certificate=self.settings.has_certificate
                ) from exc
        return errors.error_from_transport(exc, self.base_url)
