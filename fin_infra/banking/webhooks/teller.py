"""Teller webhook verification: ``Teller-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]``.

Each ``v1`` is the lowercase hex HMAC-SHA256 of ``f"{t}.{raw body}"`` under one of the app's
signing secrets; during a rotation Teller signs with the old and the new secret, so there are two.
A delivery is genuine when any ``v1`` matches the HMAC under any configured secret (constant-time
compare) and ``t`` is within the tolerance (3 minutes) of now.

    >>> verify_teller_webhook({"Teller-Signature": "t=1,v1=00"}, b"{}", ["secret"])
    False

Secrets default to ``TELLER_WEBHOOK_SECRETS`` (comma-separated; list the new one and the old one
while rotating). As with Plaid, pass the raw body; a parsed dict is re-serialized in the common JSON
styles and only accepted if one of them reproduces the signed bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fin_infra.banking.webhooks._common import Payload, Verdict, body_candidates, header, refuse

log = logging.getLogger("fin_infra.banking.webhooks")

HEADER = "Teller-Signature"
SECRETS_ENV = "TELLER_WEBHOOK_SECRETS"
TOLERANCE_SECONDS = 180.0
MAX_SIGNATURES = 10
_STYLES: tuple[dict[str, Any], ...] = ({"separators": (",", ":")}, {}, {"indent": 2})


def teller_secrets_from_env(env: Mapping[str, str] | None = None) -> list[str]:
    """The signing secrets in ``TELLER_WEBHOOK_SECRETS`` (comma-separated, blanks dropped)."""
    env = os.environ if env is None else env
    return [s.strip() for s in env.get(SECRETS_ENV, "").split(",") if s.strip()]


def _secrets(signing_secrets: str | bytes | Sequence[str | bytes] | None) -> list[bytes]:
    if signing_secrets is None:
        return [s.encode("utf-8") for s in teller_secrets_from_env()]
    if isinstance(signing_secrets, (str, bytes)):
        signing_secrets = [signing_secrets]
    return [s.encode("utf-8") if isinstance(s, str) else bytes(s) for s in signing_secrets if s]


def parse_signature_header(value: str) -> tuple[int, list[str]] | None:
    """``(t, [v1, ...])`` from a ``Teller-Signature`` value, or None when it is malformed."""
    if len(value) > 4096:
        return None
    timestamp: int | None = None
    signatures: list[str] = []
    for part in value.split(","):
        name, sep, item = part.strip().partition("=")
        if not sep:
            continue
        name, item = name.strip(), item.strip()
        if name == "t":
            if timestamp is not None or not item.isascii() or not item.isdigit() or len(item) > 12:
                return None  # a second t= or a non-integer: refuse rather than guess which one counts
            timestamp = int(item)
        elif name == "v1" and item:
            signatures.append(item)
    if timestamp is None or not signatures or len(signatures) > MAX_SIGNATURES:
        return None
    return timestamp, signatures


def check_teller_webhook(
    headers: Mapping[str, str] | Any,
    body: Payload,
    signing_secrets: str | bytes | Sequence[str | bytes] | None = None,
    *,
    tolerance: float = TOLERANCE_SECONDS,
    clock: Callable[[], float] = time.time,
) -> Verdict:
    """The verdict on one Teller delivery (``.ok``, ``.reason``); `verify_teller_webhook` is its bool face."""
    secrets = _secrets(signing_secrets)
    if not secrets:
        log.error("teller webhook can't be verified: no signing secret configured (set %s)", SECRETS_ENV)
        return refuse("not_configured")
    raw = header(headers, HEADER)
    if not raw:
        return refuse("missing_header")
    parsed = parse_signature_header(raw)
    if parsed is None:
        return refuse("malformed_header")
    timestamp, signatures = parsed
    if abs(clock() - timestamp) > tolerance:
        return refuse("stale")
    given = [s.encode("ascii", "replace") for s in signatures]
    matched = False
    for candidate in body_candidates(body, _STYLES):
        message = str(timestamp).encode("ascii") + b"." + candidate
        for secret in secrets:
            expected = hmac.new(secret, message, hashlib.sha256).hexdigest().encode("ascii")
            for sig in given:  # no early exit: every pair is compared, each in constant time
                matched = hmac.compare_digest(expected, sig) or matched
            if matched:
                return Verdict(True, "ok", delivery_id="teller:" + hashlib.sha256(message).hexdigest())
    return refuse("bad_signature")


def verify_teller_webhook(
    headers: Mapping[str, str] | Any,
    body: Payload,
    signing_secrets: str | bytes | Sequence[str | bytes] | None = None,
    *,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """True only for a genuine, fresh Teller webhook; never raises on a bad one.

    ``signing_secrets``: one secret or several (rotation); None reads ``TELLER_WEBHOOK_SECRETS``.

        >>> verify_teller_webhook(request.headers, await request.body(), ["whsec_new", "whsec_old"])  # doctest: +SKIP
        True
    """
    try:
        verdict = check_teller_webhook(headers, body, signing_secrets, tolerance=tolerance)
    except Exception:
        log.exception("teller webhook verification failed unexpectedly")
        return False
    if not verdict.ok:
        log.info("teller webhook refused: %s", verdict.reason)
    return verdict.ok


async def verify_teller_webhook_async(
    headers: Mapping[str, str] | Any,
    body: Payload,
    signing_secrets: str | bytes | Sequence[str | bytes] | None = None,
    *,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """The async twin of `verify_teller_webhook` (the check is CPU-only; this is for symmetry)."""
    return verify_teller_webhook(headers, body, signing_secrets, tolerance=tolerance)


__all__ = [
    "check_teller_webhook",
    "parse_signature_header",
    "teller_secrets_from_env",
    "verify_teller_webhook",
    "verify_teller_webhook_async",
]
