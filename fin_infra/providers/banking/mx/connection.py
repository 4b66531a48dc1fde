"""HTTP to MX: one pooled `httpx.AsyncClient` per event loop, Basic auth, MX's Accept header, retries.

As with Teller, a provider object is used from the app's loop and from the synchronous face's portal
loop; an `httpx.AsyncClient` belongs to the loop it was first used on, so each loop gets its own.
JSON numbers are parsed straight to `Decimal` (never through float).

    >>> from fin_infra.providers.banking.mx.settings import MXSettings
    >>> MXConnection(MXSettings(client_id="c", api_key="k")).base_url
    'https://int-api.mx.com'
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
from fin_infra.providers.banking.mx import errors
from fin_infra.providers.banking.mx.settings import MXSettings
from fin_infra.providers.retry_after import retry_after_header

log = logging.getLogger("fin_infra.providers.mx")

MEDIA_TYPE = "application/vnd.mx.api.v1+json"
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class _LoopState:
    client: httpx.AsyncClient
    limiter: asyncio.Semaphore
    keeper: AsyncGenerator[None, None]


async def _close_with_loop(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    # Closed by loop.shutdown_asyncgens() when the loop's owner shuts it down, even without aclose().
    try:
        yield
    finally:
        await client.aclose()


class MXConnection:
    """Authenticated, retried JSON requests to MX, at most ``max_concurrency`` at once per loop."""

    def __init__(self, settings: MXSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.base_url = settings.host
        self._transport = transport
        self._auth = httpx.BasicAuth(settings.client_id, settings.api_key)
        self._headers = {"User-Agent": f"fin-infra/{__version__}", "Accept": MEDIA_TYPE}
        self._states: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self._lock = threading.Lock()

    async def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is not None:
            return state
        s = self.settings
        timeout = httpx.Timeout(s.timeout, connect=s.connect_timeout)
        limits = httpx.Limits(max_connections=max(20, s.max_concurrency * 2), keepalive_expiry=30)
        client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, limits=limits, headers=self._headers,
                                   auth=self._auth, transport=self._transport, trust_env=False)  # fmt: skip
        keeper = _close_with_loop(client)
        await keeper.__anext__()
        state = _LoopState(client, asyncio.Semaphore(s.max_concurrency), keeper)
        with self._lock:
            for old in [lp for lp in self._states if lp.is_closed()]:
                del self._states[old]
            self._states[loop] = state
        return state

    async def aclose(self) -> None:
        """Close this loop's client and the synchronous face's (see `TellerConnection.aclose` for why only those)."""
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
                log.warning("the MX HTTP client of the synchronous face did not close in time")

    # --- requests --------------------------------------------------------------------------------

    async def get_json(
        self, path: str, params: Mapping[str, Any] | None = None, *, missing: errors.Missing = "member"
    ) -> dict[str, Any]:
        """GET ``path``: the decoded JSON object (retried: reads are idempotent)."""
        return self.decode(await self.request("GET", path, params=params, missing=missing))

    async def send_json(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        retry: bool = False,
        missing: errors.Missing = "member",
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST/PUT ``body`` as JSON (MX answers 404 to a POST without ``Content-Type: application/json``)."""
        content = json.dumps(dict(body or {}), separators=(",", ":")).encode()
        response = await self.request(method, path, content=content, retry=retry, missing=missing,
                                      headers={"Content-Type": "application/json", **(headers or {})})  # fmt: skip
        return self.decode(response)

    @staticmethod
    def decode(response: httpx.Response) -> dict[str, Any]:
        try:
            data = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise errors.invalid_response("a body that isn't JSON") from None
        if not isinstance(data, dict):
            raise errors.invalid_response("JSON that isn't an object")
        return data

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        retry: bool = True,
        missing: errors.Missing = "member",
    ) -> httpx.Response:
        """One MX call, retried on 429 / 5xx / connection errors when ``retry``, within ``retry.total_timeout``."""
        state = await self._state()
        policy = self.settings.retry
        deadline = time.monotonic() + policy.total_timeout
        attempt = 0
        while True:
            attempt += 1
            remaining = max(0.05, deadline - time.monotonic())
            timeout = httpx.Timeout(min(self.settings.timeout, remaining),
                                    connect=min(self.settings.connect_timeout, remaining))  # fmt: skip
            try:
                async with state.limiter:
                    response = await state.client.request(method, path, params=params, content=content,
                                                          headers=headers, timeout=timeout)  # fmt: skip
            except httpx.TransportError as exc:
                delay = self._backoff(attempt)
                if not retry or not self._can_retry(attempt, delay, deadline):
                    raise errors.error_from_transport(exc) from exc
                log.info("MX %s %s failed (%s); retrying in %.2fs", method, _shape(path), type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            if response.is_success:
                return response
            error = errors.error_from_response(response, missing=missing)
            if retry and response.status_code in _RETRY_STATUSES:
                hinted = retry_after_header(response.headers)
                delay = hinted if hinted is not None else self._backoff(attempt)
                if self._can_retry(attempt, delay, deadline):
                    log.info("MX %s %s answered %s; retrying in %.2fs", method, _shape(path), response.status_code,
                             delay)  # fmt: skip
                    await asyncio.sleep(delay)
                    continue
            log.info("MX %s %s answered %s", method, _shape(path), response.status_code)
            raise error

    def _backoff(self, attempt: int) -> float:
        policy = self.settings.retry
        cap = min(policy.max_delay, policy.base_delay * (2 ** (attempt - 1)))
        return random.uniform(cap / 2, cap)  # noqa: S311 - jitter, not cryptography

    def _can_retry(self, attempt: int, delay: float, deadline: float) -> bool:
        return attempt < self.settings.retry.max_attempts and time.monotonic() + delay < deadline


def _shape(path: str) -> str:
    """The path with GUIDs shortened to their prefix, for logs (GUIDs identify a person's bank connection)."""
    return "/".join(part.split("-", 1)[0] + "-*" if part[:4] in ("USR-", "MBR-", "ACT-") else part
                    for part in path.split("/"))  # fmt: skip


__all__ = ["MEDIA_TYPE", "MXConnection"]
