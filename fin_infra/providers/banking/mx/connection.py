"""HTTP to MX: one pooled `httpx.AsyncClient` per event loop (`PerLoop`), Basic auth, MX's Accept header,
retries (`Attempts`). JSON numbers are parsed straight to `Decimal` (never through float).

    >>> from fin_infra.providers.banking.mx.settings import MXSettings
    >>> MXConnection(MXSettings(client_id="c", api_key="k")).base_url
    'https://int-api.mx.com'
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
from fin_infra.providers.banking.mx import errors
from fin_infra.providers.banking.mx.settings import MXSettings
from fin_infra.providers.per_loop import BoundedClient, PerLoop
from fin_infra.providers.retrying import RETRY_STATUSES, Attempts

log = logging.getLogger("fin_infra.providers.mx")

MEDIA_TYPE = "application/vnd.mx.api.v1+json"


class MXConnection:
    """Authenticated, retried JSON requests to MX, at most ``max_concurrency`` at once per loop."""

    def __init__(self, settings: MXSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.base_url = settings.host
        self._transport = transport
        self._auth = httpx.BasicAuth(settings.client_id, settings.api_key)
        self._headers = {"User-Agent": f"fin-infra/{__version__}", "Accept": MEDIA_TYPE}
        self._pools = PerLoop(self._build, BoundedClient.close, name="MX")

    def _build(self) -> BoundedClient:
        s = self.settings
        timeout = httpx.Timeout(s.timeout, connect=s.connect_timeout)
        limits = httpx.Limits(max_connections=max(20, s.max_concurrency * 2), keepalive_expiry=30)
        client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, limits=limits, headers=self._headers,
                                   auth=self._auth, transport=self._transport, trust_env=False)  # fmt: skip
        return BoundedClient(client, asyncio.Semaphore(s.max_concurrency))

    async def aclose(self) -> None:
        """Close this loop's client and the synchronous face's (see `PerLoop.aclose` for why only those)."""
        await self._pools.aclose()

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
        pool = await self._pools.get()
        attempts = Attempts(self.settings.retry, timeout=self.settings.timeout, connect=self.settings.connect_timeout)
        while True:
            timeout = attempts.start()
            try:
                async with pool.limiter:
                    response = await pool.client.request(method, path, params=params, content=content,
                                                         headers=headers, timeout=timeout)  # fmt: skip
            except httpx.TransportError as exc:
                delay = attempts.delay() if retry else None
                if delay is None:
                    raise errors.error_from_transport(exc) from exc
                log.info("MX %s %s failed (%s); retrying in %.2fs", method, _shape(path), type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            if response.is_success:
                return response
            error = errors.error_from_response(response, missing=missing)
            if retry and response.status_code in RETRY_STATUSES:
                delay = attempts.delay(response.headers)
                if delay is not None:
                    log.info("MX %s %s answered %s; retrying in %.2fs", method, _shape(path), response.status_code,
                             delay)  # fmt: skip
                    await asyncio.sleep(delay)
                    continue
            log.info("MX %s %s answered %s", method, _shape(path), response.status_code)
            raise error


def _shape(path: str) -> str:
    """The path with GUIDs shortened to their prefix, for logs (GUIDs identify a person's bank connection)."""
    return "/".join(part.split("-", 1)[0] + "-*" if part[:4] in ("USR-", "MBR-", "ACT-") else part
                    for part in path.split("/"))  # fmt: skip


__all__ = ["MEDIA_TYPE", "MXConnection"]
