"""MX webhook verification: the HTTP Basic credentials the app gave MX, compared in constant time.

MX signs nothing (no signature header is documented): in the Client Dashboard the app gives MX a
username and password, and MX sends them as ``Authorization: Basic ...`` with every delivery. A
delivery is genuine when both match the configured ones (each compared with `hmac.compare_digest`,
both always compared). Credentials default to ``MX_WEBHOOK_USERNAME`` / ``MX_WEBHOOK_PASSWORD``.

    >>> verify_mx_webhook({"Authorization": "Basic bXg6czNjcmV0"}, b"{}", ("mx", "s3cret"))
    True

Replays: MX events carry no id, so a delivery is named by the SHA-256 of its body. A retry of a
delivery already accepted has the same bytes and is ignored. Data events (AGGREGATION, BALANCE, ...)
carry ``completed_at``, so two genuine ones differ and are remembered for 24 hours; a CONNECTION_STATUS
event does not (two genuine CHALLENGED notices for one member are byte-identical), so it is remembered
only for `STATUS_REPLAY_TTL` seconds: a repeat after that is handled again rather than lost.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from fin_infra.banking.webhooks._common import Payload, Verdict, body_candidates, header, refuse

log = logging.getLogger("fin_infra.banking.webhooks")

USERNAME_ENV = "MX_WEBHOOK_USERNAME"
PASSWORD_ENV = "MX_WEBHOOK_PASSWORD"  # noqa: S105 - the variable's name
DATA_REPLAY_TTL = 24 * 3600.0
STATUS_REPLAY_TTL = 600.0
_STYLES: tuple[dict[str, Any], ...] = ({"separators": (",", ":")}, {})

Credentials = tuple[str, str]


def mx_credentials_from_env(env: Mapping[str, str] | None = None) -> Credentials | None:
    """(username, password) from ``MX_WEBHOOK_USERNAME`` / ``MX_WEBHOOK_PASSWORD``, or None when unset."""
    env = os.environ if env is None else env
    username, password = env.get(USERNAME_ENV, ""), env.get(PASSWORD_ENV, "")
    return (username, password) if username and password else None


def _given(headers: Mapping[str, str] | Any) -> Credentials | None:
    value = header(headers, "Authorization") or ""
    scheme, _, encoded = value.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > 4096:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def check_mx_webhook(
    headers: Mapping[str, str] | Any, body: Payload, credentials: Credentials | None = None
) -> Verdict:
    """The verdict on one MX delivery (``.ok``, ``.reason``, ``.delivery_id``)."""
    expected = credentials or mx_credentials_from_env()
    if not expected or not expected[0] or not expected[1]:
        log.error("mx webhook can't be verified: no credentials configured (set %s and %s)", USERNAME_ENV, PASSWORD_ENV)
        return refuse("not_configured")
    if header(headers, "Authorization") is None:
        return refuse("missing_credentials")
    given = _given(headers)
    if given is None:
        return refuse("malformed_header")
    same_user = hmac.compare_digest(given[0].encode(), expected[0].encode())
    same_password = hmac.compare_digest(given[1].encode(), expected[1].encode())
    if not (same_user and same_password):
        return refuse("bad_credentials")
    candidates = body_candidates(body, _STYLES)
    digest = hashlib.sha256(candidates[0] if candidates else b"").hexdigest()
    return Verdict(True, "ok", delivery_id="mx:" + digest)


def verify_mx_webhook(headers: Mapping[str, str] | Any, body: Payload, credentials: Credentials | None = None) -> bool:
    """True only for a delivery carrying the configured credentials; never raises on a bad one."""
    try:
        verdict = check_mx_webhook(headers, body, credentials)
    except Exception:
        log.exception("mx webhook verification failed unexpectedly")
        return False
    if not verdict.ok:
        log.info("mx webhook refused: %s", verdict.reason)
    return verdict.ok


def replay_ttl(body: bytes, *, data_ttl: float = DATA_REPLAY_TTL, status_ttl: float = STATUS_REPLAY_TTL) -> float:
    """How long a delivery's id is remembered: data events 24 h, connection-status events briefly."""
    try:
        event = json.loads(body)
    except ValueError:
        return status_ttl
    return data_ttl if isinstance(event, dict) and "completed_at" in event else status_ttl


__all__ = ["check_mx_webhook", "mx_credentials_from_env", "replay_ttl", "verify_mx_webhook"]
