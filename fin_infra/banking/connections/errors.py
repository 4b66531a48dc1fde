"""Errors of connections mode; each is answered as a problem+json with a stable code."""

from __future__ import annotations

from fin_infra.banking.exceptions import BankingError

# code -> (status, title): added to the banking problem codes
PROBLEMS: dict[str, tuple[int, str]] = {
    "not_authenticated": (401, "Sign-in required"),
    "connection_not_found": (404, "Connection not found"),
    "duplicate_connection": (409, "This bank is already connected"),
    "encryption_key_error": (500, "A stored token can't be decrypted with the configured keys"),
    "provider_not_configured": (422, "Unknown provider"),
}


class ConnectionsError(BankingError):
    """Base of the errors of connections mode; ``code`` is the problem code it is answered with."""

    code = "connection_not_found"

    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotAuthenticatedError(ConnectionsError):
    """The app's ``current_user`` dependency gave no user."""

    code = "not_authenticated"


class ConnectionNotFoundError(ConnectionsError):
    """No such connection for this user (another user's connection is not found either: ids can't be probed)."""

    code = "connection_not_found"


class DuplicateConnectionError(ConnectionsError):
    """The user already connected this bank (same institution, overlapping accounts): ``connection_id`` names it."""

    code = "duplicate_connection"


class ConnectionKeyError(ConnectionsError):
    """A stored token does not decrypt with ``FIN_INFRA_ENCRYPTION_KEYS`` (a wrong or missing key)."""

    code = "encryption_key_error"


class UnknownProviderError(ConnectionsError, ValueError):
    """The request named a provider this app was not given."""

    code = "provider_not_configured"
