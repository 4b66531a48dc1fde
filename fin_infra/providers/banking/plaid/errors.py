"""The one place Plaid errors become fin-infra exceptions.

Plaid answers every failure with an error object (``error_type``, ``error_code``, ``error_message``,
``display_message``, ``request_id``). `CODE_MAP` names the exception for each documented code;
codes Plaid adds later fall back on their ``error_type`` (`TYPE_MAP`), then on the HTTP status.
``tests/plaid/test_errors.py`` fails if a documented code is missing from `CODE_MAP`.

    >>> err = error_from_plaid({"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED",
    ...                         "error_message": "login required", "request_id": "r1"}, status=400)
    >>> (type(err).__name__, err.code, err.request_id)
    ('ItemLoginRequiredError', 'ITEM_LOGIN_REQUIRED', 'r1')
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
    ProviderUnavailableError,
    RateLimitError,
    UnsupportedOperationError,
)
from fin_infra.banking.redaction import redact
from fin_infra.providers.retry_after import retry_after_header

PROVIDER = "plaid"


class TransactionsSyncMutationError(ProviderUnavailableError):
    """Plaid's data changed while a ``/transactions/sync`` loop was paging. The loop restarts from its
    first cursor on its own; this surfaces only if it keeps happening. Retry shortly."""

    default_code = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"


_ERROR = BankingProviderError  # our bug, a bad argument, or nothing the user can act on: HTTP 502 upstream

CODE_MAP: dict[str, type[BankingProviderError]] = {
    # ITEM_ERROR: the Item needs its user back in Link (update mode)
    "ITEM_LOGIN_REQUIRED": ItemLoginRequiredError,
    "INVALID_CREDENTIALS": ItemLoginRequiredError,
    "INVALID_MFA": ItemLoginRequiredError,
    "ITEM_LOCKED": ItemLoginRequiredError,
    "INSUFFICIENT_CREDENTIALS": ItemLoginRequiredError,
    "USER_SETUP_REQUIRED": ItemLoginRequiredError,
    "PASSWORD_RESET_REQUIRED": ItemLoginRequiredError,
    "ACCESS_NOT_GRANTED": ItemLoginRequiredError,
    "NO_ACCOUNTS": ItemLoginRequiredError,
    "USER_PERMISSION_REVOKED": ItemLoginRequiredError,
    "ADDITIONAL_CONSENT_REQUIRED": ItemLoginRequiredError,
    # data not ready yet: retry later
    "PRODUCT_NOT_READY": ProductNotReadyError,
    "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION": TransactionsSyncMutationError,
    # the token or the app's keys are refused
    "INVALID_ACCESS_TOKEN": InvalidCredentialsError,
    "INVALID_API_KEYS": InvalidCredentialsError,
    "INVALID_PUBLIC_TOKEN": InvalidCredentialsError,
    "INVALID_LINK_TOKEN": InvalidCredentialsError,
    "ITEM_NOT_FOUND": InvalidCredentialsError,
    "UNAUTHORIZED_ENVIRONMENT": InvalidCredentialsError,
    "INVALID_ACCOUNT_ID": AccountNotFoundError,
    # Plaid or the bank is down or failing: retry later
    "INSTITUTION_DOWN": ProviderUnavailableError,
    "INSTITUTION_NOT_RESPONDING": ProviderUnavailableError,
    "INSTITUTION_NOT_AVAILABLE": ProviderUnavailableError,
    "UNSUPPORTED_RESPONSE": ProviderUnavailableError,
    "INTERNAL_SERVER_ERROR": ProviderUnavailableError,
    "plaid-internal-error": ProviderUnavailableError,
    "PLANNED_MAINTENANCE": ProviderUnavailableError,
    # this Item, institution or environment can't do it
    "PRODUCTS_NOT_SUPPORTED": UnsupportedOperationError,
    "PRODUCT_NOT_ENABLED": UnsupportedOperationError,
    "ITEM_NOT_SUPPORTED": UnsupportedOperationError,
    "MFA_NOT_SUPPORTED": UnsupportedOperationError,
    "NO_AUTH_ACCOUNTS": UnsupportedOperationError,
    "INSTITUTION_NO_LONGER_SUPPORTED": UnsupportedOperationError,
    "INSTITUTION_NOT_ENABLED_IN_ENVIRONMENT": UnsupportedOperationError,
    "UNAUTHORIZED_INSTITUTION": UnsupportedOperationError,
    "INSTITUTION_REGISTRATION_REQUIRED": UnsupportedOperationError,
    "SANDBOX_ONLY": UnsupportedOperationError,
    # rate limits (the type is RATE_LIMIT_EXCEEDED; these are its codes)
    **{
        code: RateLimitError
        for code in (
            "RATE_LIMIT",
            "ACCOUNTS_LIMIT",
            "ACCOUNTS_BALANCE_GET_LIMIT",
            "BALANCE_LIMIT",
            "AUTH_LIMIT",
            "IDENTITY_LIMIT",
            "ITEM_GET_LIMIT",
            "TRANSACTIONS_LIMIT",
            "TRANSACTIONS_SYNC_LIMIT",
            "TRANSACTIONS_REFRESH_LIMIT",
            "INSTITUTIONS_GET_LIMIT",
            "INSTITUTIONS_GET_BY_ID_LIMIT",
            "INSTITUTION_RATE_LIMIT",
            "CREDITS_EXHAUSTED",
        )
    },
    # malformed requests, bad input, unknown endpoints: nothing the end user can fix
    **{
        code: _ERROR
        for code in (
            "MISSING_FIELDS",
            "INVALID_FIELD",
            "UNKNOWN_FIELDS",
            "INVALID_BODY",
            "INVALID_HEADERS",
            "INVALID_CONFIGURATION",
            "NOT_FOUND",
            "NO_LONGER_AVAILABLE",
            "INVALID_INSTITUTION",
            "INVALID_PRODUCT",
            "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
            "INVALID_USER_IDENTITY_DATA",
        )
    },
}

TYPE_MAP: dict[str, type[BankingProviderError]] = {
    "RATE_LIMIT_EXCEEDED": RateLimitError,
    "API_ERROR": ProviderUnavailableError,
    "INSTITUTION_ERROR": ProviderUnavailableError,
}


def error_class(error_type: str | None, error_code: str | None, status: int | None) -> type[BankingProviderError]:
    """The exception class for a Plaid error (code first, then type, then HTTP status)."""
    if error_code in CODE_MAP:
        return CODE_MAP[error_code]
    if error_type in TYPE_MAP:
        return TYPE_MAP[error_type]
    if status == 429:
        return RateLimitError
    if status is not None and status >= 500:
        return ProviderUnavailableError
    return BankingProviderError


def error_from_plaid(
    body: Mapping[str, Any] | None, *, status: int | None, headers: Mapping[str, str] | None = None
) -> BankingProviderError:
    """The fin-infra exception for Plaid's error ``body`` (None when the body wasn't a Plaid error)."""
    body = body or {}
    error_type = _str(body.get("error_type"))
    error_code = _str(body.get("error_code"))
    cls = error_class(error_type, error_code, status)
    if error_code:
        detail = redact(_str(body.get("error_message")) or "no message")[:500]
        message = f"Plaid {error_type or 'error'} {error_code}: {detail}"
    else:
        message = f"Plaid answered HTTP {status} without an error object"
    kwargs: dict[str, Any] = {
        "code": error_code or None,
        "request_id": _str(body.get("request_id")) or None,
        "display_message": _str(body.get("display_message")) or None,
        "provider": PROVIDER,
        "status_code": status,
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=_retry_after(headers), **kwargs)
    return cls(message, **kwargs)


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    # Plaid doesn't document a Retry-After header (UNCONFIRMED); honour one if a proxy or Plaid sends it.
    return retry_after_header(headers)


def is_retryable(exc: BankingProviderError) -> bool:
    """Whether a read should be retried: rate limits, Plaid 5xx, and calls that never got an answer."""
    if isinstance(exc, RateLimitError):
        return True
    if isinstance(exc, ProviderUnavailableError) and not isinstance(exc, TransactionsSyncMutationError):
        return exc.status_code is None or exc.status_code >= 500
    return False
