"""Webhook delivery as Teller does it: a JSON event POSTed with a ``Teller-Signature`` header.

The header is ``t=<unix seconds>,v1=<hex>[,v1=<hex>...]``: each ``v1`` is the lowercase hex
HMAC-SHA256 of ``f"{t}.{body}"`` under one live signing secret, so while a secret is being rotated
out (it has an expiry that hasn't passed) there are two. The body is the event envelope
``{"id": "wh_...", "payload": {...}, "timestamp": "...Z", "type": "..."}``.

    >>> hooks = TellerWebhooks()
    >>> hooks.configure("http://127.0.0.1:8000/banking/webhooks/teller", ["whsec_demo"])
    ['whsec_demo']
    >>> signature_header(b"{}", ["whsec_demo"], 1700000000).startswith("t=1700000000,v1=")
    True

Each delivery, answered or not, is recorded (`TellerWebhooks.sent`) with the exact bytes and
headers, so tests can replay it or check it against an independent verifier.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fin_infra.emulators.deliveries import SentWebhook as Delivery
from fin_infra.emulators.deliveries import deliver
from fin_infra.emulators.teller import data

HEADER = "Teller-Signature"
EVENT_TYPES = frozenset(
    {"enrollment.disconnected", "transactions.processed", "account.number_verification.processed", "webhook.test"}
)


def signature_header(body: bytes, signing_secrets: Sequence[str], t: int) -> str:
    """The ``Teller-Signature`` value for ``body`` sent at unix time ``t``: one ``v1`` per secret."""
    message = str(t).encode("ascii") + b"." + body
    v1 = [hmac.new(s.encode("utf-8"), message, hashlib.sha256).hexdigest() for s in signing_secrets]
    return ",".join([f"t={t}", *(f"v1={sig}" for sig in v1)])


def encode(event: Mapping[str, Any]) -> bytes:
    """The body bytes: compact JSON with keys in alphabetical order.

    Teller's exact serialization is undocumented (UNCONFIRMED); Teller is an Elixir shop whose JSON
    encoder writes small maps compact with sorted keys, which is also the order its docs show.
    """
    return json.dumps(event, separators=(",", ":"), sort_keys=True).encode("utf-8")


def new_event_id() -> str:
    """A fresh event id shaped like Teller's (``wh_oiffb5cocakqmksbkg000``)."""
    return data.teller_id("wh", secrets.token_hex(8))


@dataclass(frozen=True)
class SentWebhook(Delivery):
    """One Teller delivery (see `fin_infra.emulators.deliveries.SentWebhook`); the event id is Teller's ``id``."""

    @property
    def signatures(self) -> list[str]:
        """The ``v1`` values of the signature header (two while a secret is rotating out)."""
        return [part[3:] for part in self.headers[HEADER].split(",") if part.startswith("v1=")]


@dataclass
class _Secret:
    value: str
    expires_at: float | None = None


class TellerWebhooks:
    """One application's webhook settings (URL, signing secrets) and its delivery log; thread-safe.

    Delivery is synchronous, one attempt, from the calling thread, bounded by ``timeout`` seconds
    (Teller's retry policy is undocumented; `redeliver` plays a retry on demand).
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, timeout: float = 10.0) -> None:
        self.clock = clock
        self.timeout = timeout
        self._lock = threading.Lock()
        self._url: str | None = None
        self._secrets: list[_Secret] = []
        self._sent: list[SentWebhook] = []

    @property
    def url(self) -> str | None:
        return self._url

    @property
    def sent(self) -> list[SentWebhook]:
        """Every delivery so far, oldest first."""
        with self._lock:
            return list(self._sent)

    def configure(self, url: str | None, signing_secrets: Sequence[str] | None = None) -> list[str]:
        """Deliver to ``url`` (None: stop delivering) signed with ``signing_secrets``.

        Without secrets, keeps the current ones, or makes one (as Teller's dashboard does).
        Returns the live secrets.
        """
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"the webhook URL must be an absolute http(s) URL, got {url!r}")
        if signing_secrets is not None and (
            isinstance(signing_secrets, str) or not all(isinstance(s, str) and s for s in signing_secrets)
        ):
            raise ValueError("signing secrets must be a list of non-empty strings")
        with self._lock:
            self._url = url
            if signing_secrets:
                self._secrets = [_Secret(s) for s in signing_secrets]
            elif not self._secrets:
                self._secrets = [_Secret(_generate_secret())]
        return self.live_secrets()

    def rotate_secret(self, new_secret: str | None = None, *, expire_old_in: float = 3600.0) -> str:
        """Add a signing secret; the current ones expire in ``expire_old_in`` seconds (0: now).

        Until they expire every delivery carries a ``v1`` for each. Returns the new secret.
        """
        new_secret = new_secret or _generate_secret()
        with self._lock:
            deadline = self.clock() + expire_old_in
            for secret in self._secrets:
                if secret.expires_at is None or secret.expires_at > deadline:
                    secret.expires_at = deadline
            self._secrets.append(_Secret(new_secret))
        return new_secret

    def live_secrets(self) -> list[str]:
        """The secrets deliveries are signed with now (expired ones dropped)."""
        now = self.clock()
        with self._lock:
            return [s.value for s in self._secrets if s.expires_at is None or s.expires_at > now]

    def send(self, event_type: str, payload: Mapping[str, Any]) -> SentWebhook | None:
        """Build, sign and POST one event; None when no URL is configured."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown Teller webhook type {event_type!r}; known: {', '.join(sorted(EVENT_TYPES))}")
        if self._url is None:
            return None
        now = self.clock()
        stamp = dt.datetime.fromtimestamp(int(now), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event_id = new_event_id()
        body = encode({"id": event_id, "payload": dict(payload), "timestamp": stamp, "type": event_type})
        return self._deliver(self._url, event_id, event_type, body)

    def redeliver(self, event_id: str) -> SentWebhook:
        """Send an earlier event again, as Teller's retry would: the same body, a fresh ``t`` and signature."""
        with self._lock:
            earlier = next((s for s in reversed(self._sent) if s.event_id == event_id), None)
            url = self._url
        if earlier is None:
            raise KeyError(f"no webhook {event_id!r} was sent")
        return self._deliver(url or earlier.url, event_id, earlier.type, earlier.body)

    def clear(self) -> None:
        """Forget the URL, the secrets and the delivery log."""
        with self._lock:
            self._url = None
            self._secrets.clear()
            self._sent.clear()

    def _deliver(self, url: str, event_id: str, event_type: str, body: bytes) -> SentWebhook:
        live = self.live_secrets()
        headers = {"Content-Type": "application/json", HEADER: signature_header(body, live, int(self.clock()))}
        delivered = deliver(url, body, headers, type=event_type, timeout=self.timeout, event_id=event_id)
        sent = SentWebhook(**vars(delivered))
        with self._lock:
            self._sent.append(sent)
        return sent


def _generate_secret() -> str:
    # Teller's secret format is not documented; any opaque string signs the same way.
    return secrets.token_urlsafe(32)


__all__ = ["EVENT_TYPES", "HEADER", "SentWebhook", "TellerWebhooks", "encode", "new_event_id", "signature_header"]
