"""The one place Finicity's errors become fin-infra's exceptions.

Finicity answers ``{"code": "10023", "message": "Expired (Finicity-App-Token)"}`` (``code`` a string or a
number), sometimes Mastercard's ``{"Errors": {"Error": [{"ReasonCode", "Description", ...}]}}``, and a 401
may come as ``text/plain`` (``Invalid (Finicity-App-Key)``). `KNOWN_ERROR_CODES` names the exception for
every code the notes list and every aggregation status code; ``tests/finicity/test_errors.py`` fails if one
the emulator answers with falls back to the generic mapping.

Aggregation status codes (``aggregationStatusCode`` on accounts, non-zero = the last aggregation failed) are
mapped here too: the ones Data Connect Fix repairs (`FIXABLE`) need the user -> `ItemLoginRequiredError`.

    >>> type(error_from_status(401, "10023", "Expired (Finicity-App-Token)")).__name__
    'BankingProviderError'
    >>> aggregation_error(185, "1022599285").code
    'aggregation_185'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from fin_infra.banking.exceptions import (
    BankingError,
    BankingProviderError,
    InvalidCredentialsError,
    ItemLoginRequiredError,
    ProviderConfigurationError,
    ProviderUnavailableError,
    RateLimitError,
)
from fin_infra.providers.retry_after import retry_after_header

PROVIDER = "finicity"

# partner-token codes: the client fetches a new token and retries once
TOKEN_CODES = frozenset({"10022", "10023"})

KNOWN_ERROR_CODES: dict[str, type[BankingError]] = {
    "10001": ProviderConfigurationError,  # 401 partner authentication: wrong partner id / secret
    "10022": BankingProviderError,  # 401 Invalid (Finicity-App-Token): refreshed once, then this
    "10023": BankingProviderError,  # 401 Expired (Finicity-App-Token): refreshed once, then this
    "10026": ProviderConfigurationError,  # 401 Missing parameter (Finicity-App-Key)
    "10005": BankingProviderError,  # 400 missing parameter: a request we built wrong
    "14020": BankingProviderError,  # 400 bad request
    "14001": InvalidCredentialsError,  # 404 customer (or resource) not found; account calls -> AccountNotFoundError
    "110002": BankingProviderError,  # 409 username is not available (the client looks the customer up instead)
    # UNCONFIRMED codes (Finicity documents only the status for these; the emulator answers with them):
    "10029": RateLimitError,  # 429
    "10025": ProviderUnavailableError,  # 500
    "10030": ProviderUnavailableError,  # 503
    "10031": ProviderUnavailableError,  # 504
}

# Aggregation status codes: reason, and whether Data Connect Fix (the user) repairs it.
AGGREGATION_REASONS: dict[int, str] = {
    102: "the institution's website is unavailable",
    103: "the bank login's credentials are no longer valid",
    108: "the institution needs the user to act on its website",
    109: "the institution requires a password change",
    123: "no accounts were found at the institution (sandbox demo/123; meaning UNCONFIRMED)",
    125: "the institution refused the connection (sandbox demo/125; meaning UNCONFIRMED)",
    127: "the institution refused the connection (sandbox demo/127; meaning UNCONFIRMED)",
    128: "the institution refused the connection (sandbox demo/128; meaning UNCONFIRMED)",
    130: "the institution refused the connection (sandbox demo/130; meaning UNCONFIRMED)",
    185: "the institution asks a multi-factor question",
    187: "the answer to the multi-factor question was wrong",
    945: "the user must grant access at the institution again",
    946: "the user's access grant at the institution expired",
    947: "the user revoked access at the institution",
    948: "the institution requires the user to re-authorise",
    10027: "the connection to the institution hit an unknown error",
}
FIXABLE = frozenset({103, 108, 109, 185, 187, 945, 946, 947, 948})
KNOWN_ERROR_CODES.update(
    {str(code): ItemLoginRequiredError if code in FIXABLE else ProviderUnavailableError for code in AGGREGATION_REASONS}
)

_DISPLAY = {
    ItemLoginRequiredError: "Your bank connection needs attention: please reconnect your bank.",
    InvalidCredentialsError: "Your bank connection is no longer valid: please connect your bank again.",
}


def aggregation_error(code: int, institution_login_id: str | None) -> BankingProviderError:
    """The error for an account whose last aggregation failed with ``code`` (non-zero)."""
    reason = AGGREGATION_REASONS.get(code, "the last aggregation failed")
    login = f" (institutionLoginId {institution_login_id})" if institution_login_id else ""
    if code in FIXABLE:
        return ItemLoginRequiredError(
            f"Finicity aggregation status {code}: {reason}{login}; open Data Connect in fix mode (POST /link with "
            "this access token) so the user can repair it",
            code=f"aggregation_{code}",
            provider=PROVIDER,
            display_message=_DISPLAY[ItemLoginRequiredError],
        )
    return ProviderUnavailableError(
        f"Finicity aggregation status {code}: {reason}{login}; retry later", code=f"aggregation_{code}",
        provider=PROVIDER,
    )  # fmt: skip


def exception_class(
    status: int, code: str | None, *, not_found: type[BankingProviderError] = InvalidCredentialsError
) -> type[BankingError]:
    """The exception class for a Finicity error: status first where it decides, then the code."""
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ProviderUnavailableError
    if code in AGGREGATION_REASONS_STR:
        return KNOWN_ERROR_CODES[code]
    if status == 404 or code == "14001":
        return not_found
    if code in KNOWN_ERROR_CODES:
        return KNOWN_ERROR_CODES[code]
    if status == 401:
        return ProviderConfigurationError  # an app key or partner credential problem, never the user's
    return BankingProviderError


AGGREGATION_REASONS_STR = frozenset(str(c) for c in AGGREGATION_REASONS)


def error_from_status(
    status: int,
    code: str | None,
    message: str | None,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
    not_found: type[BankingProviderError] = InvalidCredentialsError,
) -> BankingError:
    """The exception for one Finicity error (status, code, message)."""
    code = (code or "").strip()[:40] or None
    text = " ".join((message or "").split())[:300] or f"HTTP {status}"
    cls = exception_class(status, code, not_found=not_found)
    if not issubclass(cls, BankingProviderError):
        return cls(
            f"Finicity refused the application's credentials ({text}): check FINICITY_PARTNER_ID, FINICITY_SECRET "
            "and FINICITY_APP_KEY"
        )
    if code in AGGREGATION_REASONS_STR:
        error = aggregation_error(int(code or 0), None)
        error.status_code, error.request_id = status, request_id
        return error
    kwargs: dict[str, Any] = {
        "code": code,
        "request_id": request_id,
        "provider": PROVIDER,
        "status_code": status,
        "display_message": _DISPLAY.get(cls),
    }
    if cls is RateLimitError:
        return RateLimitError(f"Finicity: {text}", retry_after=retry_after, **kwargs)
    return cls(f"Finicity: {text}", **kwargs)


def parse_error_body(content: bytes) -> tuple[str | None, str | None]:
    """``(code, message)`` from any of Finicity's error shapes (or the start of a plain-text body)."""
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        text = content[:200].decode("utf-8", "replace").strip()
        return None, text or None
    if not isinstance(body, Mapping):
        return None, None
    errors = body.get("Errors")
    if isinstance(errors, Mapping) and isinstance(errors.get("Error"), list) and errors["Error"]:
        first = errors["Error"][0] if isinstance(errors["Error"][0], Mapping) else {}
        reason, description = first.get("ReasonCode"), first.get("Description")
        return (str(reason) if reason is not None else None, str(description) if description is not None else None)
    code = body.get("code")
    message = body.get("message")
    code_text = str(code) if isinstance(code, (str, int)) and not isinstance(code, bool) else None
    return code_text, message if isinstance(message, str) else None


def error_from_response(
    response: httpx.Response, *, not_found: type[BankingProviderError] = InvalidCredentialsError
) -> BankingError:
    """The exception for a non-2xx Finicity response."""
    code, message = parse_error_body(response.content)
    return error_from_status(
        response.status_code,
        code,
        message or response.reason_phrase,
        request_id=response.headers.get("x-request-id") or response.headers.get("x-mastercard-request-id"),
        retry_after=retry_after_header(response.headers),
        not_found=not_found,
    )


def is_token_error(response: httpx.Response) -> bool:
    """True for a 401 that means our partner token is invalid or expired (fetch a new one and retry once)."""
    if response.status_code != 401:
        return False
    code, message = parse_error_body(response.content)
    return code in TOKEN_CODES or "finicity-app-token" in (message or "").lower()


def error_from_transport(exc: httpx.TransportError) -> ProviderUnavailableError:
    """The exception for a timeout or a connection failure once retries are spent."""
    if isinstance(exc, httpx.TimeoutException):
        return ProviderUnavailableError("Finicity did not answer in time", code="timeout", provider=PROVIDER)
    return ProviderUnavailableError(
        f"could not talk to Finicity ({type(exc).__name__})", code="connection_error", provider=PROVIDER
    )


def invalid_response(what: str) -> BankingProviderError:
    """A Finicity answer we can't read: a typed error (HTTP 502 ``invalid_response``), never an empty success."""
    return BankingProviderError(f"Finicity sent {what}", provider=PROVIDER, code="invalid_response")
