"""`RedisTransactionCache`: fetched ranges shared by every worker through Redis (the ``redis`` extra).

Each entry is two keys with the same expiry: ``<key>`` holds the range (compressed JSON, amounts as
decimal strings so they come back exactly), ``<key>:v`` a random version. A worker keeps the last few
ranges it decoded, prepared, and reuses one while Redis still holds the same version, so paging costs
one small ``GET``, not a decode of the whole range. The raw provider payload (``Transaction.raw``) is
not stored.

Redis clients are bound to an event loop, and the synchronous face runs on its own loop, so a client
is kept per loop.

    >>> cache = RedisTransactionCache("redis://127.0.0.1:6379/0", ttl=120)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import secrets
import threading
import zlib
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from fin_infra.banking.query.index import TransactionIndex
from fin_infra.models import Transaction

log = logging.getLogger("fin_infra.banking")

FORMAT = "fin-infra-txn/1"


def encode(index: TransactionIndex, version: str) -> bytes:
    """The stored form of a range: compressed JSON, Decimals as strings (exact), dates as ISO strings."""
    rows = [
        [
            t.id,
            t.account_id,
            str(t.amount),
            t.date.isoformat(),
            t.description,
            t.merchant_name,
            t.category,
            list(t.category_path),
            t.pending,
            t.pending_transaction_id,
            t.currency,
        ]
        for t in index.transactions
    ]
    doc = {
        "format": FORMAT,
        "version": version,
        "start": index.start.isoformat(),
        "end": index.end.isoformat(),
        "account_id": index.account_id,
        "rows": rows,
    }
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 1)


def _opt_str(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError("expected a string or null")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def decode(data: bytes) -> tuple[str, TransactionIndex]:
    """(version, prepared range) from `encode`'s bytes; a `ValueError` when they are not ours or damaged."""
    doc = json.loads(zlib.decompress(data))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError("not a fin-infra transactions cache entry")
    txns = []
    for row in doc["rows"]:
        tid, acc, amount, day, desc, merchant, category, path, pending, pending_id, currency = row
        value = Decimal(_str(amount))
        if not value.is_finite() or not isinstance(pending, bool) or not isinstance(path, list):
            raise ValueError("damaged cache entry")
        # Every field is type-checked above or here, so skipping pydantic's validation is safe (and 10x faster).
        txns.append(
            Transaction.model_construct(
                id=_str(tid),
                account_id=_str(acc),
                amount=value,
                date=dt.date.fromisoformat(_str(day)),
                description=_str(desc),
                merchant_name=_opt_str(merchant),
                category=_opt_str(category),
                category_path=[_str(c) for c in path],
                pending=pending,
                pending_transaction_id=_opt_str(pending_id),
                currency=_str(currency),
                raw=None,
            )
        )
    index = TransactionIndex(
        txns,
        start=dt.date.fromisoformat(doc["start"]),
        end=dt.date.fromisoformat(doc["end"]),
        account_id=_opt_str(doc["account_id"]),
    )
    return _str(doc["version"]), index


class RedisTransactionCache:
    """Ranges in Redis at ``url`` for ``ttl`` seconds; the last ``local_entries`` decoded ones (at most
    ``local_transactions`` transactions in all) are kept in this process too."""

    def __init__(
        self, url: str, *, ttl: float = 120.0, local_entries: int = 8, local_transactions: int = 500_000
    ) -> None:
        try:
            import redis.asyncio  # noqa: F401 - fail here, with the fix, rather than on the first request
        except ImportError as exc:  # pragma: no cover - the dev install has it
            from fin_infra.banking.exceptions import ProviderConfigurationError

            message = "a redis:// cache needs the redis extra: pip install 'fin-infra[redis]'"
            raise ProviderConfigurationError(message) from exc
        if ttl < 0:
            raise ValueError("ttl must be 0 (no caching) or more seconds")
        self.url = url
        self.ttl = float(ttl)
        self._local_entries = local_entries
        self._local_transactions = local_transactions
        self._local_held = 0
        self._local: OrderedDict[str, tuple[str, TransactionIndex]] = OrderedDict()
        self._clients: dict[asyncio.AbstractEventLoop, Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        # The URL may carry a password: show only where it points.
        where = self.url.rsplit("@", 1)[-1]
        return f"<RedisTransactionCache {where} ttl={self.ttl}>"

    def _client(self) -> Any:
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        with self._lock:
            for old in [lp for lp in self._clients if lp.is_closed()]:
                del self._clients[old]
            client = self._clients.get(loop)
            if client is None:
                client = aioredis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=2)
                self._clients[loop] = client
            return client

    async def get(self, key: str) -> TransactionIndex | None:
        client = self._client()
        version = await client.get(key + ":v")
        if version is None:
            return None
        version = version.decode()
        with self._lock:
            local = self._local.get(key)
            if local is not None and local[0] == version:
                self._local.move_to_end(key)
                return local[1]
        data = await client.get(key)
        if data is None:
            return None
        try:
            stored_version, index = decode(data)
        except (ValueError, TypeError, KeyError, zlib.error):
            log.warning("ignoring an unreadable transactions cache entry")
            return None
        if stored_version != version:
            return None  # rewritten between the two reads: treat as a miss rather than mix versions
        self._remember(key, version, index)
        return index

    async def set(self, key: str, index: TransactionIndex) -> None:
        if self.ttl <= 0:
            return
        version = secrets.token_hex(8)
        ttl_ms = max(1, int(self.ttl * 1000))
        async with self._client().pipeline(transaction=True) as pipe:
            pipe.set(key, encode(index, version), px=ttl_ms)
            pipe.set(key + ":v", version, px=ttl_ms)
            await pipe.execute()
        self._remember(key, version, index)

    def _remember(self, key: str, version: str, index: TransactionIndex) -> None:
        if len(index) > self._local_transactions:
            return
        with self._lock:
            if key in self._local:
                self._forget_local(key)
            self._local[key] = (version, index)
            self._local_held += len(index)
            while len(self._local) > self._local_entries or self._local_held > self._local_transactions:
                self._forget_local(next(iter(self._local)))

    def _forget_local(self, key: str) -> None:
        _, index = self._local.pop(key)
        self._local_held -= len(index)

    async def forget(self, prefix: str) -> None:
        client = self._client()
        keys = [k async for k in client.scan_iter(match=prefix + "*", count=500)]
        if keys:
            await client.delete(*keys)
        with self._lock:
            for key in [k for k in self._local if k.startswith(prefix)]:
                self._forget_local(key)

    async def clear(self) -> None:
        """Drop every fin-infra transactions entry in this Redis database."""
        from fin_infra.banking.query.cache import KEY_NAMESPACE

        await self.forget(KEY_NAMESPACE)

    async def aclose(self) -> None:
        """Close every loop's client (the app's and the synchronous face's); used again, it reconnects."""
        current = asyncio.get_running_loop()
        with self._lock:
            clients, self._clients = self._clients, {}
        for loop, client in clients.items():
            if loop is current:
                await client.aclose()
            elif loop.is_running():
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(client.aclose(), loop))
