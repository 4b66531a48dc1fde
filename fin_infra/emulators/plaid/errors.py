"""Errors in Plaid's own shape: every non-2xx body is a ``PlaidError`` object with a ``request_id``.

>>> err = PlaidAPIError.of("ITEM_LOGIN_REQUIRED")
>>> (err.status, err.error_type)
(400, 'ITEM_ERROR')
"""

from __future__ import annotations

from typing import Any

# error_code -> (error_type, HTTP status), as documented on plaid.com/docs/errors/*.
_RATE_LIMIT_CODES = (
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
_ITEM_CODES = (
    "ITEM_LOGIN_REQUIRED",
    "PRODUCT_NOT_READY",
    "PRODUCTS_NOT_SUPPORTED",
    "PRODUCT_NOT_ENABLED",
    "ITEM_NOT_FOUND",
    "ITEM_LOCKED",
    "INVALID_CREDENTIALS",
    "INVALID_MFA",
    "ITEM_NOT_SUPPORTED",
    "MFA_NOT_SUPPORTED",
    "NO_ACCOUNTS",
    "NO_AUTH_ACCOUNTS",
    "ACCESS_NOT_GRANTED",
    "INSUFFICIENT_CREDENTIALS",
    "USER_SETUP_REQUIRED",
    "PASSWORD_RESET_REQUIRED",
)
_INPUT_CODES = (
    "INVALID_ACCESS_TOKEN",
    "INVALID_PUBLIC_TOKEN",
    "INVALID_API_KEYS",
    "INVALID_ACCOUNT_ID",
    "INVALID_INSTITUTION",
    "INVALID_PRODUCT",
    "INVALID_LINK_TOKEN",
    "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
    "UNAUTHORIZED_ENVIRONMENT",
    "USER_PERMISSION_REVOKED",
    "ADDITIONAL_CONSENT_REQUIRED",
)
_REQUEST_CODES = (
    "MISSING_FIELDS",
    "INVALID_FIELD",
    "UNKNOWN_FIELDS",
    "INVALID_BODY",
    "INVALID_HEADERS",
    "INVALID_CONFIGURATION",
    "SANDBOX_ONLY",
)
_INSTITUTION_CODES = (
    "INSTITUTION_DOWN",
    "INSTITUTION_NOT_RESPONDING",
    "INSTITUTION_NOT_AVAILABLE",
    "INSTITUTION_NO_LONGER_SUPPORTED",
    "INSTITUTION_NOT_ENABLED_IN_ENVIRONMENT",
    "UNAUTHORIZED_INSTITUTION",
    "INSTITUTION_REGISTRATION_REQUIRED",
    "UNSUPPORTED_RESPONSE",
)

CATALOGUE: dict[str, tuple[str, int]] = {
    **{code: ("RATE_LIMIT_EXCEEDED", 429) for code in _RATE_LIMIT_CODES},
    **{code: ("ITEM_ERROR", 400) for code in _ITEM_CODES},
    **{code: ("INVALID_INPUT", 400) for code in _INPUT_CODES},
    **{code: ("INVALID_REQUEST", 400) for code in _REQUEST_CODES},
    "NOT_FOUND": ("INVALID_REQUEST", 404),
    "NO_LONGER_AVAILABLE": ("INVALID_REQUEST", 404),
    **{code: ("INSTITUTION_ERROR", 400) for code in _INSTITUTION_CODES},
    "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION": ("TRANSACTIONS_ERROR", 400),
    "INTERNAL_SERVER_ERROR": ("API_ERROR", 500),
    "PLANNED_MAINTENANCE": ("API_ERROR", 503),
    "INVALID_USER_IDENTITY_DATA": ("USER_ERROR", 403),
}

# Messages shown to end users for the codes where Plaid sends one (others send null).
_DISPLAY = {
    "ITEM_LOGIN_REQUIRED": "the login details of this item have changed (credentials, MFA, or required user action) "
    "and a user login is required to update this information.",
    "INSTITUTION_DOWN": "This financial institution is not currently responding to requests. We apologize for the "
    "inconvenience.",
    "INSTITUTION_NOT_RESPONDING": "This financial institution is not currently responding to requests. We apologize "
    "for the inconvenience.",
    "INTERNAL_SERVER_ERROR": "Something went wrong. Please try again later.",
    "INVALID_CREDENTIALS": "The provided credentials were not correct. Please try again.",
}


class PlaidAPIError(Exception):
    """An error the emulator answers with, rendered exactly as Plaid renders it."""

    def __init__(
        self,
        error_type: str,
        error_code: str,
        message: str,
        *,
        status: int = 400,
        display_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.error_code = error_code
        self.error_message = message
        self.status = status
        self.display_message = display_message

    @classmethod
    def of(cls, code: str, message: str | None = None) -> PlaidAPIError:
        """The error Plaid answers with for ``code`` (type and HTTP status from the catalogue)."""
        error_type, status = CATALOGUE.get(code, ("API_ERROR", 500))
        return cls(
            error_type,
            code,
            message or code.lower().replace("_", " "),
            status=status,
            display_message=_DISPLAY.get(code),
        )

    def body(self, request_id: str | None) -> dict[str, Any]:
        """The JSON body, with the required-but-nullable keys present."""
        out: dict[str, Any] = {
            "display_message": self.display_message,
            "documentation_url": f"https://plaid.com/docs/errors/#{self.error_code.lower()}",
            "error_code": self.error_code,
            "error_code_reason": None,
            "error_message": self.error_message,
            "error_type": self.error_type,
            "request_id": request_id,
            "suggested_action": None,
        }
        if request_id is None:  # inside webhooks and Item objects: no request_id, but a status
            del out["request_id"]
            out["status"] = self.status
        return out


def missing_fields(*names: str) -> PlaidAPIError:
    """``MISSING_FIELDS`` naming what the request lacked."""
    return PlaidAPIError.of("MISSING_FIELDS", "the following required fields are missing: " + ", ".join(names))


def invalid_field(message: str) -> PlaidAPIError:
    """``INVALID_FIELD`` with Plaid's style of message."""
    return PlaidAPIError.of("INVALID_FIELD", message)
