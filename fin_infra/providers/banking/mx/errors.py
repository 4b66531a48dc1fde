"""The one place where MX's answers become fin-infra's exceptions: HTTP statuses and member statuses.

MX documents statuses, not error codes; the body (``{"error": {"message": ...}}``, or the older
``{"error": "message"}``) only adds a message. A 404 means different things by what was asked for:
an account -> `AccountNotFoundError`; the token's user or member -> `InvalidCredentialsError` (the
member was deleted: connect again). A member's ``connection_status`` that needs the end user (CHALLENGED,
DENIED, EXPIRED, ...) -> `ItemLoginRequiredError` with MX's reason. ``tests/mx/test_errors.py`` fails
if a status the emulator answers with, or a connection status MX lists, is left unmapped.

    >>> type(status_error("CHALLENGED", "Please answer the following challenge(s).")).__name__
    'ItemLoginRequiredError'
"""

from __future__ import annotations

import json
from typing import Any, Literal

import httpx

from fin_infra.banking.exceptions import (
    AccountNotFoundError,
    BankingError,
    BankingProviderError,
    InvalidCredentialsError,
    ItemLoginRequiredError,
    ProductNotReadyError,
    ProviderUnavailableError,
    RateLimitError,
)
from fin_infra.providers.retry_after import retry_after_header

PROVIDER = "mx"
Missing = Literal["member", "account", "other"]

# Every status MX documents, with the exception it becomes (404: see `error_from_status`).
STATUS_ERRORS: dict[int, type[BankingError]] = {
    400: BankingProviderError,  # a request we built wrong, or a premium job the client lacks
    401: InvalidCredentialsError,  # MX refused MX_CLIENT_ID / MX_API_KEY
    403: BankingProviderError,  # IP not allowlisted, or the feature is off for this client
    404: AccountNotFoundError,
    405: BankingProviderError,
    406: BankingProviderError,  # the Accept (API version) header
    409: ProductNotReadyError,  # another job runs for this member: retry shortly
    422: BankingProviderError,
    429: RateLimitError,
    500: ProviderUnavailableError,
    502: ProviderUnavailableError,
    503: ProviderUnavailableError,  # maintenance
    504: ProviderUnavailableError,
}

_HINTS: dict[int, str] = {
    401: "check MX_CLIENT_ID and MX_API_KEY (and MX_ENVIRONMENT: integration keys don't work in production)",
    403: "MX refused this client: allowlist this server's IP or ask MX to enable the feature",
    406: "the API version (Accept header) was refused",
    409: "another MX job is running for this member: retry shortly",
}

# Every connection_status MX lists -> None (data can be read) or the exception it becomes.
CONNECTION_STATUSES: dict[str, type[BankingError] | None] = {
    "CONNECTED": None,
    "RECONNECTED": None,
    "UPDATED": None,
    "RESUMED": None,
    "DEGRADED": None,  # the institution is slow; MX's data is there
    "DELAYED": None,  # aggregation is taking longer; the last data is there
    "IMPORTED": None,
    "CREATED": ProductNotReadyError,  # still connecting: nothing aggregated yet
    "PENDING": ProductNotReadyError,
    "CHALLENGED": ItemLoginRequiredError,  # MFA: reopen the widget with current_member_guid
    "DENIED": ItemLoginRequiredError,  # wrong credentials
    "EXPIRED": ItemLoginRequiredError,
    "IMPAIRED": ItemLoginRequiredError,
    "IMPEDED": ItemLoginRequiredError,  # a message at the institution needs the user
    "LOCKED": ItemLoginRequiredError,
    "PREVENTED": ItemLoginRequiredError,
    "REJECTED": ItemLoginRequiredError,  # a wrong challenge answer
    "DISCONTINUED": ItemLoginRequiredError,  # MX no longer supports the institution: connect another way
    "CLOSED": ItemLoginRequiredError,  # the connection was closed
    "DISCONNECTED": ProviderUnavailableError,  # the institution is not answering
    "FAILED": ProviderUnavailableError,  # the last aggregation failed: try again later
    "DISABLED": ProviderUnavailableError,  # aggregation disabled for the institution
}

_RECONNECT = "Your bank connection needs attention: please reconnect your bank."


def status_error(connection_status: str | None, message: str | None, *, has_data: bool = True) -> BankingError | None:
    """The exception for a member in ``connection_status`` (None: its data can be read).

    An unknown status is let through when MX has data for the member (``has_data``), so a new benign
    status MX adds later doesn't break reads; without data it is `ProductNotReadyError`.
    """
    status = (connection_status or "").strip().upper()
    reason = " ".join((message or "").split())[:300]
    detail = f"MX member is {status or 'in an unknown state'}" + (f": {reason}" if reason else "")
    cls = CONNECTION_STATUSES.get(status, None if has_data else ProductNotReadyError)
    if cls is None:
        return None
    code = f"mx_{status.lower()}" if status else None
    if cls is ItemLoginRequiredError:
        return ItemLoginRequiredError(
            detail + " (open the MX Connect widget in update mode, POST /link with this access token, to fix it)",
            code=code, provider=PROVIDER, display_message=_RECONNECT,
        )  # fmt: skip
    if cls is ProductNotReadyError:
        return ProductNotReadyError(detail + " (MX has not finished aggregating; retry shortly)", code=code,
                                    provider=PROVIDER)  # fmt: skip
    return ProviderUnavailableError(detail, code=code, provider=PROVIDER)


def error_from_status(
    status: int,
    message: str | None,
    *,
    missing: Missing = "member",
    request_id: str | None = None,
    retry_after: float | None = None,
) -> BankingError:
    """The exception for one MX error response."""
    text = " ".join((message or "").split())[:300] or f"HTTP {status}"
    hint = _HINTS.get(status)
    detail = f"MX: {text}" + (f" ({hint})" if hint else "")
    kwargs: dict[str, Any] = {"request_id": request_id, "provider": PROVIDER, "status_code": status,
                              "code": f"mx_http_{status}"}  # fmt: skip
    if status == 404:
        if missing == "member":
            return InvalidCredentialsError(
                f"{detail} (the MX user or member of this access token no longer exists: connect the bank again)",
                **kwargs,
            )
        if missing == "other":
            return BankingProviderError(detail, **kwargs)
    cls = STATUS_ERRORS.get(status)
    if cls is None:
        cls = ProviderUnavailableError if status >= 500 else BankingProviderError
    if cls is RateLimitError:
        return RateLimitError(detail, retry_after=retry_after, **kwargs)
    if issubclass(cls, BankingProviderError):
        return cls(detail, **kwargs)
    return cls(detail)  # pragma: no cover - every mapped class is a provider error


def error_from_response(response: httpx.Response, *, missing: Missing = "member") -> BankingError:
    """The exception for a non-2xx MX response (the message read from MX's body when there is one)."""
    message: str | None = None
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            message = error["message"]
        elif isinstance(error, str):
            message = error
    return error_from_status(
        response.status_code,
        message or response.reason_phrase,
        missing=missing,
        request_id=response.headers.get("x-request-id"),
        retry_after=retry_after_header(response.headers),
    )


def error_from_transport(exc: httpx.TransportError) -> ProviderUnavailableError:
    """The exception for a timeout or a connection failure once retries are spent."""
    if isinstance(exc, httpx.TimeoutException):
        return ProviderUnavailableError("MX did not answer in time", code="timeout", provider=PROVIDER)
    return ProviderUnavailableError(f"could not talk to MX ({type(exc).__name__})", code="connection_error",
                                    provider=PROVIDER)  # fmt: skip


def invalid_response(what: str) -> BankingProviderError:
    """MX answered something we can't read: a typed error, never an empty success."""
    return BankingProviderError(f"MX sent {what}", code="invalid_response", provider=PROVIDER)


__all__ = ["CONNECTION_STATUSES", "STATUS_ERRORS", "error_from_response", "error_from_status",
           "error_from_transport", "invalid_response", "status_error"]  # fmt: skip
