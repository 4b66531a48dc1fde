"""Finicity Connect webhook verification: ``X-Finicity-Signature`` = hex HMAC-SHA256(partner secret, raw body).

The scheme has no timestamp, so a captured delivery stays valid: replays are stopped by remembering
each event's ``eventId`` (the webhook route does it; Finicity retries a delivery for three days, so ids
are remembered for four). Compared in constant time; several secrets may be given while the partner
secret is being rotated.

    >>> verify_finicity_webhook({"X-Finicity-Signature": "00"}, b"{}", ["secret"])
    False

Secrets default to the partner secret, ``FINICITY_SECRET``. Pass the raw body; a parsed dict is
re-serialized in the common JSON styles and only accepted if one reproduces the signed bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from fin_infra.banking.webhooks._common import Payload, Verdict, body_candidates, header, refuse

log = logging.getLogger("fin_infra.banking.webhooks")

HEADER = "X-Finicity-Signature"
SECRET_ENV = "FINICITY_SECRET"  # noqa: S105 - the variable name, not a secret
REPLAY_TTL_SECONDS = 4 * 24 * 3600.0
_STYLES: tuple[dict[str, Any], ...] = ({"separators": (",", ":")}, {}, {"indent": 2})


def _secrets(signing_secrets: str | bytes | Sequence[str | bytes] | None) -> list[bytes]:
    if signing_secrets is None:
        value = os.environ.get(SECRET_ENV, "").strip()
        return [value.encode("utf-8")] if value else []
    if isinstance(signing_secrets, (str, bytes)):
        signing_secrets = [signing_secrets]
    return [s.encode("utf-8") if isinstance(s, str) else bytes(s) for s in signing_secrets if s]


def _delivery_id(body: bytes) -> str:
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        event = None
    event_id = event.get("eventId") if isinstance(event, dict) else None
    if isinstance(event_id, str) and event_id:
        return "finicity:" + event_id[:200]
    return "finicity:sha256:" + hashlib.sha256(body).hexdigest()


def check_finicity_webhook(
    headers: Mapping[str, str] | Any,
    body: Payload,
    signing_secrets: str | bytes | Sequence[str | bytes] | None = None,
) -> Verdict:
    """The verdict on one Finicity delivery (``.ok``, ``.reason``, ``.delivery_id`` from ``eventId``)."""
    secrets = _secrets(signing_secrets)
    if not secrets:
        log.error("finicity webhook can't be verified: no partner secret configured (set %s)", SECRET_ENV)
        return refuse("not_configured")
    given = header(headers, HEADER)
    if not given:
        return refuse("missing_header")
    given_bytes = given.strip().lower().encode("ascii", "replace")
    if len(given_bytes) != 64:
        return refuse("malformed_header")
    for candidate in body_candidates(body, _STYLES):
        matched = False
        for secret in secrets:  # every secret compared, each in constant time
            expected = hmac.new(secret, candidate, hashlib.sha256).hexdigest().encode("ascii")
            matched = hmac.compare_digest(expected, given_bytes) or matched
        if matched:
            return Verdict(True, "ok", delivery_id=_delivery_id(candidate))
    return refuse("bad_signature")


def verify_finicity_webhook(
    headers: Mapping[str, str] | Any,
    body: Payload,
    signing_secrets: str | bytes | Sequence[str | bytes] | None = None,
) -> bool:
    """True only for a genuine Finicity Connect webhook; never raises on a bad one.

        >>> verify_finicity_webhook(request.headers, await request.body(), [partner_secret])  # doctest: +SKIP
        True
    """
    try:
        verdict = check_finicity_webhook(headers, body, signing_secrets)
    except Exception:
        log.exception("finicity webhook verification failed unexpectedly")
        return False
    if not verdict.ok:
        log.info("finicity webhook refused: %s", verdict.reason)
    return verdict.ok


__all__ = ["HEADER", "check_finicity_webhook", "verify_finicity_webhook"]
