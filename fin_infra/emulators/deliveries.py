"""Webhook deliveries as the Teller, MX and Finicity emulators make them: one POST, recorded byte-exact.

    >>> sent = deliver("http://127.0.0.1:9/hook", b"{}", {"Content-Type": "application/json"}, type="t", timeout=0.5)
    >>> sent.status_code is None and sent.error is not None   # nothing listens there: recorded, never raised
    True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

RESPONSE_KEPT = 65536  # bytes of the receiver's answer kept in the log


@dataclass(frozen=True)
class SentWebhook:
    """One delivery: what the receiver got (exact bytes and headers) and its answer.

    ``status_code`` is None when the receiver could not be reached (``error`` names the failure);
    ``response_body`` is the start of the receiver's answer (at most `RESPONSE_KEPT` bytes). ``event_id``
    is the provider's event id where its events carry one (MX's don't: None).
    """

    url: str
    event_id: str | None
    type: str
    body: bytes
    headers: dict[str, str]
    status_code: int | None
    error: str | None = None
    response_body: bytes = b""

    @property
    def event(self) -> dict[str, Any]:
        """The parsed body."""
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


def deliver(
    url: str, body: bytes, headers: dict[str, str], *, type: str, timeout: float, event_id: str | None = None
) -> SentWebhook:
    """POST ``body`` to ``url`` once and record the outcome; an unreachable receiver is recorded, not raised."""
    try:
        # A client per delivery: webhooks are rare, and nothing stays open when the emulator stops.
        with httpx.Client(timeout=timeout) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return SentWebhook(url, event_id, type, body, headers, None, error=exc.__class__.__name__)
    return SentWebhook(url, event_id, type, body, headers, response.status_code,
                       response_body=response.content[:RESPONSE_KEPT])  # fmt: skip


__all__ = ["RESPONSE_KEPT", "SentWebhook", "deliver"]
