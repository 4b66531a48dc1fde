"""What the Plaid and Teller verifiers share: header lookup, body bytes, and the verdict they return."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Payload = bytes | bytearray | memoryview | str | Mapping[str, Any]
"""A webhook body: the raw bytes (right), the text, or the parsed JSON object (best effort)."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one delivery.

    ``reason`` is a short stable word for logs (``"ok"``, ``"bad_signature"``, ``"stale"``...), never
    the body or a header value. ``retryable`` marks refusals that are not the sender's fault (Plaid's
    key endpoint unreachable), which the webhook route answers with 503 so the provider retries.
    ``delivery_id`` identifies a verified delivery for replay protection.
    """

    ok: bool
    reason: str
    retryable: bool = False
    delivery_id: str | None = None

    def __bool__(self) -> bool:
        return self.ok


def refuse(reason: str, *, retryable: bool = False) -> Verdict:
    """A refusal with ``reason``."""
    return Verdict(False, reason, retryable=retryable)


def header(headers: Mapping[str, str] | Any, name: str) -> str | None:
    """``name`` from ``headers``, case-insensitively (a plain dict, Starlette's or httpx's Headers)."""
    if headers is None:
        return None
    try:
        value = headers.get(name)
    except (AttributeError, TypeError):
        value = None
    if value is None and hasattr(headers, "items"):
        wanted = name.lower()
        for key, candidate in headers.items():
            if isinstance(key, str) and key.lower() == wanted:
                value = candidate
                break
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return value if isinstance(value, str) else None


def body_candidates(payload: Payload, serializations: tuple[dict[str, Any], ...]) -> list[bytes]:
    """The byte strings ``payload`` may have been sent as.

    Raw bytes/text give exactly one candidate. A parsed JSON object can't be turned back into the
    bytes that were signed with certainty (key order, spacing, escapes, number spelling), so it is
    re-serialized in each of the sender's known styles; a candidate only counts if its hash or HMAC
    matches the signed one, so trying several never accepts a body that wasn't signed.
    """
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return [bytes(payload)]
    if isinstance(payload, str):
        return [payload.encode("utf-8")]
    if isinstance(payload, Mapping):
        out: list[bytes] = []
        for options in serializations:
            try:
                text = json.dumps(payload, **options)
            except (TypeError, ValueError):
                continue
            data = text.encode("utf-8")
            if data not in out:
                out.append(data)
        return out
    return []
