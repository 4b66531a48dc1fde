"""Connect webhooks as Finicity sends them: a JSON event POSTed with ``X-Finicity-Signature``.

The signature is the lowercase hex HMAC-SHA256 of the raw body under the **partner secret**. There is
no timestamp in the scheme: receivers de-duplicate on ``eventId``. The envelope:
``{"customerId", "eventType", "eventId", "payload": {...}, "webhookData": {...}}``.

    >>> signature(b"{}", "secret")[:16]
    '77325902caca812d'

Each delivery is recorded (`FinicityWebhooks.sent`) with the exact bytes and headers; `redeliver` sends
one again as Finicity's retry does (same body, same signature).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from fin_infra.emulators.deliveries import SentWebhook, deliver

HEADER = "X-Finicity-Signature"
EVENT_TYPES = frozenset({"started", "adding", "added", "discovered", "credentialsUpdated", "accountsDeleted",
                         "ping", "done", "cancelled", "institutionNotFound"})  # fmt: skip


def signature(body: bytes, partner_secret: str) -> str:
    """``X-Finicity-Signature`` for ``body``."""
    return hmac.new(partner_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def encode(event: Mapping[str, Any]) -> bytes:
    """The body bytes: compact JSON in the envelope's order (Finicity's exact serialization is UNCONFIRMED)."""
    return json.dumps(event, separators=(",", ":")).encode("utf-8")


def new_event_id(clock: Callable[[], float] = time.time) -> str:
    """An event id shaped like Finicity's (``1767225612345-0e73d1719173766fe4dfe1a8``)."""
    return f"{int(clock() * 1000)}-{secrets.token_hex(12)}"


class FinicityWebhooks:
    """The delivery log; delivery is synchronous, one attempt per call, from the calling thread."""

    def __init__(self, partner_secret: Callable[[], str], *, timeout: float = 10.0) -> None:
        self._secret = partner_secret
        self.timeout = timeout
        self._lock = threading.Lock()
        self._sent: list[SentWebhook] = []

    @property
    def sent(self) -> list[SentWebhook]:
        with self._lock:
            return list(self._sent)

    def send(
        self, url: str, event: Mapping[str, Any], *, extra_headers: Mapping[str, str] | None = None
    ) -> SentWebhook:
        """Sign and POST ``event`` to ``url``."""
        if event.get("eventType") not in EVENT_TYPES:
            raise ValueError(f"unknown Connect event type {event.get('eventType')!r}")
        return self._deliver(url, str(event["eventId"]), str(event["eventType"]), encode(event), extra_headers)

    def redeliver(self, event_id: str) -> SentWebhook:
        """Send an earlier delivery again, byte for byte (Finicity retries 5 times in 5 minutes, then daily)."""
        with self._lock:
            earlier = next((s for s in reversed(self._sent) if s.event_id == event_id), None)
        if earlier is None:
            raise KeyError(f"no webhook {event_id!r} was sent")
        extra = {k: v for k, v in earlier.headers.items() if k not in (HEADER, "Content-Type")}
        return self._deliver(earlier.url, event_id, earlier.type, earlier.body, extra)

    def clear(self) -> None:
        with self._lock:
            self._sent.clear()

    def _deliver(
        self, url: str, event_id: str, event_type: str, body: bytes, extra: Mapping[str, str] | None
    ) -> SentWebhook:
        headers = {**(extra or {}), "Content-Type": "application/json", HEADER: signature(body, self._secret())}
        sent = deliver(url, body, headers, type=event_type, timeout=self.timeout, event_id=event_id)
        with self._lock:
            self._sent.append(sent)
        return sent


__all__ = ["EVENT_TYPES", "HEADER", "FinicityWebhooks", "SentWebhook", "encode", "new_event_id", "signature"]
