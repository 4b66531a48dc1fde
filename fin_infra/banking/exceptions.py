"""The errors fin-infra raises. Provider errors are translated into these in one place per provider.

    BankingError
    ├── ProviderConfigurationError (also a ValueError): missing or bad settings, certificates
    └── BankingProviderError: the provider refused or failed a call
        ├── InvalidCredentialsError    bad or unknown access token, bad API keys   -> HTTP 401
        ├── ItemLoginRequiredError     the user must reconnect their bank          -> HTTP 400
        ├── RateLimitError             slow down; ``retry_after`` seconds          -> HTTP 429
        ├── ProviderUnavailableError   provider or institution down, timeouts      -> HTTP 503
        │   └── ProductNotReadyError   data not ready yet; retry later             -> HTTP 503
        ├── AccountNotFoundError       the token can't see that account            -> HTTP 404
        └── UnsupportedOperationError  this provider can't do that                 -> HTTP 501

Messages never contain access tokens, certificates, keys or PII.
"""

from __future__ import annotations


class BankingError(Exception):
    """Base of every fin-infra banking error."""


class ProviderConfigurationError(BankingError, ValueError):
    """A provider can't be built: missing credentials, a bad certificate, an unknown name.

    A `ValueError` too, so ``except ValueError`` (as in the documented fallback pattern) catches it.
    """


class BankingProviderError(BankingError):
    """A provider call failed.

    ``message`` is for developers, ``display_message`` (when the provider gave one) may be shown to
    end users, ``code`` is a stable string (the provider's own code where it has one) and
    ``request_id`` is the provider's id for support tickets.
    """

    default_code = "provider_error"
    http_status = 502

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        display_message: str | None = None,
        provider: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.request_id = request_id
        self.display_message = display_message
        self.provider = provider
        self.status_code = status_code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(message={self.message!r}, code={self.code!r}, request_id={self.request_id!r})"


INVALID_RESPONSE = "invalid_response"


def invalid_response(provider: str, message: str) -> BankingProviderError:
    """The error for a provider answer that can't be read: not JSON, or JSON of the wrong shape.

    HTTP 502 with the problem code ``invalid_response``: never an empty success (an empty list means
    "no data", a different fact) and never a 500. Not retried: the same call would get the same answer.
    """
    return BankingProviderError(message, code=INVALID_RESPONSE, provider=provider, status_code=None)


class InvalidCredentialsError(BankingProviderError):
    """The access token (or the app's API credentials) was refused. Ask the user to connect again."""

    default_code = "invalid_credentials"
    http_status = 401


class ItemLoginRequiredError(BankingProviderError):
    """The bank connection needs the user to log in again: open the link flow in update mode."""

    default_code = "item_login_required"
    http_status = 400


class RateLimitError(BankingProviderError):
    """Too many requests. ``retry_after`` is the number of seconds to wait, when known."""

    default_code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ProviderUnavailableError(BankingProviderError):
    """The provider or the institution is down, timed out or answered with a server error. Retry later."""

    default_code = "provider_unavailable"
    http_status = 503


class ProductNotReadyError(ProviderUnavailableError):
    """The provider hasn't finished preparing this data (e.g. a fresh item's transactions). Retry shortly."""

    default_code = "product_not_ready"


class AccountNotFoundError(BankingProviderError):
    """The access token can't see this account."""

    default_code = "account_not_found"
    http_status = 404


class UnsupportedOperationError(BankingProviderError):
    """This provider doesn't offer the operation (e.g. sandbox-only calls on a live provider)."""

    default_code = "unsupported_operation"
    http_status = 501


__all__ = [
    "AccountNotFoundError",
    "BankingError",
    "BankingProviderError",
    "InvalidCredentialsError",
    "ItemLoginRequiredError",
    "ProductNotReadyError",
    "ProviderConfigurationError",
    "ProviderUnavailableError",
    "RateLimitError",
    "UnsupportedOperationError",
]
