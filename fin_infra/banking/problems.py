"""RFC 9457 problem details: how the banking routes report errors, with stable string codes."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from fin_infra._json import dumpb
from fin_infra.banking.connections.errors import PROBLEMS as CONNECTION_PROBLEMS
from fin_infra.banking.connections.errors import ConnectionsError
from fin_infra.banking.exceptions import INVALID_RESPONSE, BankingProviderError, RateLimitError
from fin_infra.banking.redaction import redact
from fin_infra.providers.retry_after import MAX_RETRY_AFTER

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("fin_infra.banking")

# code -> (status, title); the codes are part of the public API: clients switch on them.
PROBLEMS: dict[str, tuple[int, str]] = {
    "missing_access_token": (401, "Access token required"),
    "invalid_credentials": (401, "Invalid access token or credentials"),
    "item_login_required": (400, "The user must reconnect their bank"),
    "rate_limited": (429, "Too many requests to the provider"),
    "provider_unavailable": (503, "The banking provider is unavailable"),
    "provider_error": (502, "The banking provider failed"),
    "invalid_response": (502, "The banking provider's answer could not be read"),
    "account_not_found": (404, "Account not found"),
    "unsupported_operation": (501, "Not supported by this provider"),
    "validation_error": (422, "Invalid request"),
    "internal_error": (500, "Internal error"),
    "webhook_unverified": (401, "Webhook signature not verified"),
    "payload_too_large": (413, "Request body too large"),
    "history_unavailable": (503, "Balance history storage is unavailable"),
}
PROBLEMS.update(CONNECTION_PROBLEMS)


# The JSON schema of every problem body, written out in full (no $ref) so that it holds in any OpenAPI
# document the banking routes appear in: the banking docs' and the host app's own.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; switch on `code`, which is stable.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "urn:fin-infra:problem:<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer", "description": "the HTTP status"},
        "detail": {"type": "string", "description": "what went wrong, for a developer (never a token)"},
        "code": {"type": "string", "enum": sorted(PROBLEMS)},
        "provider": {"type": "string", "description": "the banking provider that failed"},
        "provider_code": {"type": "string", "description": "the provider's own error code"},
        "request_id": {"type": "string", "description": "the provider's request id, for its support"},
        "display_message": {"type": "string", "description": "a message the provider says may be shown to users"},
        "retry_after": {"type": "integer", "minimum": 0, "description": "seconds to wait (also in Retry-After)"},
        "errors": {
            "type": "array",
            "description": "validation_error: each bad field and why",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
RETRY_AFTER_HEADER: dict[str, Any] = {
    "description": "How many seconds to wait before trying again, when the provider said",
    "schema": {"type": "integer", "minimum": 0},
}


def openapi_responses(*codes: str, descriptions: dict[str, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for these problem codes: the problem+json schema, and Retry-After on 429."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        status, title = PROBLEMS[code]
        text = (descriptions or {}).get(code, title)
        entry = out.setdefault(status, {"description": "", "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}})
        entry["description"] = (entry["description"] + f"; `{code}`: {text}").lstrip("; ")
        if status == 429:
            entry["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
    return out


def problem(
    code: str,
    detail: str,
    *,
    status: int | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A ``application/problem+json`` response for ``code``."""
    default_status, title = PROBLEMS[code]
    body: dict[str, Any] = {
        "type": f"urn:fin-infra:problem:{code}",
        "title": title,
        "status": status or default_status,
        "detail": redact(detail),
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(dumpb(body), status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


def _route_code(exc: BankingProviderError) -> str:
    if exc.code == INVALID_RESPONSE and exc.http_status == 502:
        return INVALID_RESPONSE
    if exc.http_status == 401:
        return "invalid_credentials"
    if exc.http_status == 400:
        return "item_login_required"
    if exc.http_status == 429:
        return "rate_limited"
    if exc.http_status == 503:
        return "provider_unavailable"
    if exc.http_status == 404:
        return "account_not_found"
    if exc.http_status == 501:
        return "unsupported_operation"
    return "provider_error"


route_code = _route_code  # the problem code a provider error is answered with


def from_connections_error(exc: ConnectionsError) -> Response:
    """The problem response for an error of connections mode (extra fields, e.g. the existing connection_id)."""
    extra: dict[str, Any] = dict(exc.extra)
    field = extra.pop("field", None)
    if field is not None:
        extra["errors"] = [{"field": field, "message": exc.message}]
    return problem(exc.code, exc.message, **extra)


def from_provider_error(exc: BankingProviderError) -> Response:
    """The problem response for a provider error; the provider's own code travels as ``provider_code``."""
    code = _route_code(exc)
    headers = None
    retry_after = None
    if isinstance(exc, RateLimitError):
        retry_after = _seconds(exc.retry_after)
        if retry_after is not None:
            headers = {"Retry-After": str(retry_after)}
    if code == "invalid_credentials":
        headers = {"WWW-Authenticate": "Bearer"}
    return problem(
        code,
        exc.message,
        status=exc.http_status,
        headers=headers,
        provider=exc.provider,
        provider_code=exc.code if exc.code != code else None,
        request_id=exc.request_id,
        display_message=exc.display_message,
        retry_after=retry_after,
    )


def _seconds(value: object) -> int | None:
    # Whatever a provider (or custom code) put in retry_after: a whole, finite, clamped number of seconds.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return min(int(MAX_RETRY_AFTER), max(0, math.ceil(value)))


def from_validation_error(exc: RequestValidationError) -> Response:
    """A 422 problem naming each bad field and why (the rejected value is not echoed back)."""
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "body", "header", "path")]
        errors.append({"field": ".".join(loc) or "request", "message": str(err.get("msg", "invalid"))})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return problem("validation_error", detail, errors=errors)


def invalid_field(field: str, message: str) -> Response:
    """A 422 problem for one field found bad after parsing (e.g. start_date after end_date)."""
    return problem("validation_error", f"{field}: {message}", errors=[{"field": field, "message": message}])
