"""Errors in Teller's own shape: ``{"error": {"code": "...", "message": "..."}}``.

Codes Teller documents are used as documented; where Teller documents only a status (401, 403,
422, 429, 5xx) the emulator uses the code strings in `STATUS_CODES` (our choice, UNCONFIRMED).
"""

from __future__ import annotations

from typing import Any

STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    410: "account.closed",
    422: "unprocessable_entity",
    429: "too_many_requests",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}

STATUS_MESSAGES: dict[int, str] = {
    400: "The request was unacceptable.",
    401: "An access token is required: use HTTP Basic auth with the access token as the username.",
    403: "The access token is invalid or has been revoked.",
    404: "The requested resource was not found.",
    410: "The account is closed.",
    422: "The request body is invalid.",
    429: "Too many requests: slow down.",
    500: "An internal error occurred.",
    502: "The financial institution is unavailable right now.",
    503: "The service is unavailable right now.",
    504: "The financial institution did not answer in time.",
}

# Disconnected-enrollment reasons: sandbox username -> error code (status 404).
DISCONNECT_REASONS: dict[str, str] = {
    "disconnected": "enrollment.disconnected",
    "account_locked": "enrollment.disconnected.account_locked",
    "credentials_invalid": "enrollment.disconnected.credentials_invalid",
    "enrollment_inactive": "enrollment.disconnected.enrollment_inactive",
    "captcha_required": "enrollment.disconnected.user_action.captcha_required",
    "contact_information_required": "enrollment.disconnected.user_action.contact_information_required",
    "insufficient_permissions": "enrollment.disconnected.user_action.insufficient_permissions",
    "mfa_required": "enrollment.disconnected.user_action.mfa_required",
    "web_login_required": "enrollment.disconnected.user_action.web_login_required",
}

DISCONNECT_MESSAGES: dict[str, str] = {
    "enrollment.disconnected": "The enrollment is disconnected.",
    "enrollment.disconnected.account_locked": "The user's account at the institution is locked.",
    "enrollment.disconnected.credentials_invalid": "The user's credentials are no longer valid.",
    "enrollment.disconnected.enrollment_inactive": "The enrollment is inactive.",
    "enrollment.disconnected.user_action.captcha_required": "The user must solve a CAPTCHA.",
    "enrollment.disconnected.user_action.contact_information_required": "The user must update contact information.",
    "enrollment.disconnected.user_action.insufficient_permissions": "The user lacks permissions at the institution.",
    "enrollment.disconnected.user_action.mfa_required": "User MFA is required.",
    "enrollment.disconnected.user_action.web_login_required": "The user must log in to the institution's website.",
}


class TellerAPIError(Exception):
    """An error response of the emulated API."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None) -> None:
        self.status = status
        self.code = code or STATUS_CODES.get(status, "error")
        self.message = message or STATUS_MESSAGES.get(status, "Error.")
        super().__init__(f"{self.status} {self.code}: {self.message}")

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


class EnrollmentError(ValueError):
    """Teller Connect would refuse this login (the sandbox password is always ``password``)."""


def emitted_codes() -> set[str]:
    """Every error code the emulator can answer with (the client must map each one)."""
    return (
        set(STATUS_CODES.values())
        | set(DISCONNECT_REASONS.values())
        | {"account_number_verification_pending", "account_number_verification_expired"}
    )
