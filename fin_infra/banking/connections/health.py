"""A connection's health from what its provider said: every call's error, and provider webhooks.

    ok                  the last call worked
    needs_reauth        the user must log in again (Plaid ITEM_LOGIN_REQUIRED & co., Teller disconnected)
    pending_expiration  the provider says consent or credentials expire soon (Plaid PENDING_EXPIRATION)
    revoked             the token no longer works (revoked consent, removed item, unknown token)
    error               the provider failed for this connection (its code and the time are kept)

Rate limits, not-ready data and a wrong account id say nothing about the connection: no change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fin_infra.banking.exceptions import (
    AccountNotFoundError,
    BankingProviderError,
    InvalidCredentialsError,
    ItemLoginRequiredError,
    ProductNotReadyError,
    RateLimitError,
    UnsupportedOperationError,
)

# credentials of the app itself (not of this connection): the connection is not revoked by them
_APP_CREDENTIALS = {"INVALID_API_KEYS", "UNAUTHORIZED_ENVIRONMENT", "INVALID_PUBLIC_TOKEN", "INVALID_LINK_TOKEN"}
_REVOKED = {"USER_PERMISSION_REVOKED", "USER_ACCOUNT_REVOKED"}


def status_for_error(exc: BankingProviderError) -> tuple[str, str] | None:
    """(status, provider code) a failed call means for its connection, or None for no change."""
    if isinstance(exc, RateLimitError | ProductNotReadyError | AccountNotFoundError | UnsupportedOperationError):
        return None
    code = exc.code or type(exc).__name__
    if isinstance(exc, ItemLoginRequiredError):
        return ("revoked" if code in _REVOKED else "needs_reauth"), code
    if isinstance(exc, InvalidCredentialsError):
        return ("error" if code in _APP_CREDENTIALS else "revoked"), code
    return "error", code


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def status_for_webhook(
    provider: str, webhook_type: str, code: str | None, payload: Mapping[str, Any]
) -> tuple[str, str | None, str | None] | None:
    """(status, provider code, message) a verified webhook means for its connection, or None."""
    kind, code = webhook_type.upper(), (code or "").upper()
    if provider == "teller":
        if webhook_type == "enrollment.disconnected":
            inner = _mapping(payload.get("payload"))
            reason = str(inner.get("reason") or "disconnected")[:100]
            return "needs_reauth", f"enrollment.{reason}".replace("enrollment.enrollment.", "enrollment."), None
        return None
    if kind != "ITEM":
        return None
    if code == "ERROR":
        error = _mapping(payload.get("error"))
        error_code = str(error.get("error_code") or "ITEM_ERROR")[:128]
        message = str(error.get("error_message") or "")[:300] or None
        if error_code in _REVOKED:
            return "revoked", error_code, message
        if error_code in ("ITEM_LOGIN_REQUIRED", "INVALID_CREDENTIALS", "INVALID_MFA", "ITEM_LOCKED"):
            return "needs_reauth", error_code, message
        return "error", error_code, message
    if code in ("PENDING_EXPIRATION", "PENDING_DISCONNECT"):
        return "pending_expiration", code, None
    if code in ("USER_PERMISSION_REVOKED", "USER_ACCOUNT_REVOKED"):
        return "revoked", code, None
    if code == "LOGIN_REPAIRED":
        return "ok", None, None
    return None
