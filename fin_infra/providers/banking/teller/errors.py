"""The one place where Teller's errors become fin-infra's exceptions.

Teller answers errors as ``{"error": {"code": "...", "message": "..."}}``. Status decides for
401/403 (token refused), 429 (rate limit) and 5xx (unavailable); otherwise the code decides
(``enrollment.disconnected.*`` and ``account.closed.*`` by prefix), then the status. Transport
failures (timeouts, resets, TLS) are translated here too. ``tests/teller/test_errors.py`` fails if
a code in `KNOWN_ERROR_CODES` is left to the generic fallback.

    >>> type(error_from_status(404, "enrollment.disconnected.user_action.mfa_required", "MFA")).__name__
    'ItemLoginRequiredError'
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from fin_infra.banking.exceptions import (
    AccountNotFoundError,
    BankingError,
    BankingProviderError,
    InvalidCredentialsError,
    ItemLoginRequiredError,
    ProductNotReadyError,
    ProviderConfigurationError,
    ProviderUnavailableError,
    RateLimitError,
)
from fin_infra.providers.retry_after import parse_retry_after

PROVIDER = "teller"
DISCONNECTED = "enrollment.disconnected"
CLOSED = "account.closed"

# Every code Teller documents (and, marked UNCONFIRMED, the codes we chose where the docs give only a
# status; the emulator answers with exactly these), with the exception it becomes.
KNOWN_ERROR_CODES: dict[str, type[BankingError]] = {
    "bad_request": BankingProviderError,  # 400; "Missing certificate" -> ProviderConfigurationError, below
    "not_found": AccountNotFoundError,
    "account_number_verification_pending": ProductNotReadyError,
    "account_number_verification_expired": ItemLoginRequiredError,  # the user redoes verification in Connect
    DISCONNECTED: ItemLoginRequiredError,
    f"{DISCONNECTED}.account_locked": ItemLoginRequiredError,
    f"{DISCONNECTED}.credentials_invalid": ItemLoginRequiredError,
    f"{DISCONNECTED}.enrollment_inactive": ItemLoginRequiredError,
    f"{DISCONNECTED}.user_action.captcha_required": ItemLoginRequiredError,
    f"{DISCONNECTED}.user_action.contact_information_required": ItemLoginRequiredError,
    f"{DISCONNECTED}.user_action.insufficient_permissions": ItemLoginRequiredError,
    f"{DISCONNECTED}.user_action.mfa_required": ItemLoginRequiredError,
    f"{DISCONNECTED}.user_action.web_login_required": ItemLoginRequiredError,
    CLOSED: AccountNotFoundError,
    # UNCONFIRMED code strings (Teller documents only the status for these):
    "unauthorized": InvalidCredentialsError,  # 401: no access token
    "forbidden": InvalidCredentialsError,  # 403: invalid or revoked access token
    "unprocessable_entity": BankingProviderError,  # 422: a request body we built wrong
    "too_many_requests": RateLimitError,  # 429
    "internal_server_error": ProviderUnavailableError,  # 500
    "bad_gateway": ProviderUnavailableError,  # 502: the bank is unavailable
    "service_unavailable": ProviderUnavailableError,  # 503
    "gateway_timeout": ProviderUnavailableError,  # 504
}

_BY_STATUS: dict[int, type[BankingError]] = {
    401: InvalidCredentialsError,
    403: InvalidCredentialsError,
    404: AccountNotFoundError,
    410: AccountNotFoundError,
    429: RateLimitError,
}

_DISPLAY = {
    ItemLoginRequiredError: "Your bank connection needs attention: please reconnect your bank.",
    InvalidCredentialsError: "Your bank connection is no longer valid: please connect your bank again.",
}


def exception_class(status: int, code: str | None) -> type[BankingError]:
    """The exception class for a Teller error response."""
    if status in (401, 403):
        return InvalidCredentialsError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ProviderUnavailableError
    code = code or ""
    if code.startswith(DISCONNECTED):
        return ItemLoginRequiredError
    if code.startswith(CLOSED):
        return AccountNotFoundError
    if code in KNOWN_ERROR_CODES:
        return KNOWN_ERROR_CODES[code]
    return _BY_STATUS.get(status, BankingProviderError)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` as seconds (a number or an HTTP date), clamped; None when absent or unreadable."""
    return parse_retry_after(headers.get("retry-after"))


def error_from_status(
    status: int,
    code: str | None,
    message: str | None,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> BankingError:
    """The exception for one Teller error (status, code, message)."""
    code = (code or "").strip()[:120] or None
    text = " ".join((message or "").split())[:300] or f"HTTP {status}"
    if status == 400 and "certificate" in text.lower():
        return ProviderConfigurationError(
            f"Teller refused the request: {text} Configure your Teller client certificate: set "
            "TELLER_CERTIFICATE_PATH and TELLER_PRIVATE_KEY_PATH (or TELLER_CERTIFICATE / TELLER_PRIVATE_KEY) to the "
            "certificate and key of your Teller application (development and production access tokens need it)."
        )
    cls = exception_class(status, code)
    if not issubclass(cls, BankingProviderError):
        return cls(f"Teller: {text}")
    kwargs: dict[str, Any] = {
        "code": code,
        "request_id": request_id,
        "provider": PROVIDER,
        "status_code": status,
        "display_message": _DISPLAY.get(cls),
    }
    if cls is ItemLoginRequiredError:
        text += " (open Teller Connect in update mode with this enrollment id to reconnect)"
    if cls is RateLimitError:
        return RateLimitError(f"Teller: {text}", retry_after=retry_after, **kwargs)
    return cls(f"Teller: {text}", **kwargs)


def error_from_response(response: httpx.Response) -> BankingError:
    """The exception for a non-2xx Teller response (the body is Teller's error shape when it can be read)."""
    code: str | None = None
    message: str | None = None
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code") if isinstance(body["error"].get("code"), str) else None
        message = body["error"].get("message") if isinstance(body["error"].get("message"), str) else None
    return error_from_status(
        response.status_code,
        code,
        message or response.reason_phrase,
        request_id=response.headers.get("x-request-id"),
        retry_after=retry_after_seconds(response.headers),
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def server_certificate_untrusted(exc: BaseException) -> bool:
    """True when our side refused the server's certificate."""
    return any(isinstance(e, ssl.SSLCertVerificationError) for e in _chain(exc))


def looks_like_tls_rejection(exc: BaseException) -> bool:
    """True for the failures a server refusing our client certificate produces (reset, EOF, TLS alert)."""
    return any(isinstance(e, (ssl.SSLError, ConnectionResetError, BrokenPipeError)) for e in _chain(exc)) or isinstance(
        exc, (httpx.ReadError, httpx.RemoteProtocolError)
    )


def untrusted_server_error(base_url: str) -> ProviderConfigurationError:
    return ProviderConfigurationError(
        f"the TLS certificate of {base_url} could not be verified. For an emulator or a proxy, set TELLER_CA_BUNDLE "
        "to the CA certificate that signed it."
    )


def rejected_certificate_error(reason: str, *, has_certificate: bool) -> ProviderConfigurationError:
    """The error for a server that ended the TLS handshake over our client certificate."""
    if not has_certificate:
        return ProviderConfigurationError(
            f"Teller requires a client certificate and none is configured ({reason}): set TELLER_CERTIFICATE_PATH "
            "and TELLER_PRIVATE_KEY_PATH to the certificate and key from your Teller dashboard."
        )
    return ProviderConfigurationError(
        f"the server rejected the client certificate ({reason}): it is not one Teller issued for this application, "
        "or it was revoked or expired. Download a current certificate from the Teller dashboard (Certificates) and "
        "point TELLER_CERTIFICATE_PATH / TELLER_PRIVATE_KEY_PATH at it."
    )


def error_from_transport(exc: httpx.TransportError, base_url: str | None = None) -> ProviderUnavailableError:
    """The exception for a timeout or a connection failure once retries are spent; names the host tried."""
    where = ""
    if base_url:
        url = urlsplit(base_url)
        where = f" at {url.hostname}:{url.port or (443 if url.scheme == 'https' else 80)}"
    if isinstance(exc, httpx.TimeoutException):
        message = f"Teller{where} did not answer in time"
        code = "timeout"
    else:
        message = f"could not talk to Teller{where} ({type(exc).__name__}); check TELLER_BASE_URL and the network"
        code = "connection_error"
    return ProviderUnavailableError(message, code=code, provider=PROVIDER)
