"""Finicity settings: one typed object, read from the environment in one place.

    >>> s = FinicitySettings.from_env({"FINICITY_PARTNER_ID": "1234583871234", "FINICITY_SECRET": "s3cret",
    ...                                "FINICITY_APP_KEY": "k"})
    >>> (s.environment, s.base_url, "s3cret" in repr(s))
    ('sandbox', 'https://api.finicity.com', False)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.providers.base_urls import checked_base_url
from fin_infra.providers.retrying import RetryPolicy

# Finicity serves every environment from one host: "sandbox" is a Mastercard Developers project whose
# credentials can only create testing customers (FinBank institutions).
DEFAULT_BASE_URL = "https://api.finicity.com"
ENVIRONMENTS = ("sandbox", "production")
REQUIRED_VARS = ("FINICITY_PARTNER_ID", "FINICITY_SECRET", "FINICITY_APP_KEY")

# variable -> settings field
ENV_VARS: dict[str, str] = {
    "FINICITY_PARTNER_ID": "partner_id",
    "FINICITY_SECRET": "partner_secret",
    "FINICITY_APP_KEY": "app_key",
    "FINICITY_ENVIRONMENT": "environment",
    "FINICITY_BASE_URL": "base_url",
    "FINICITY_REDIRECT_URI": "redirect_uri",
    "FINICITY_WEBHOOK_URL": "webhook_url",
    "FINICITY_EXPERIENCE": "experience",
    "FINICITY_TOKEN_KEY": "token_key",
}


@dataclass(frozen=True)
class FinicitySettings:
    """Everything a `FinicityClient` is built from. ``partner_secret``, ``app_key`` and ``token_key`` never show
    in ``repr``.

    ``token_lifetime``: how long a partner token is used before a new one is fetched (Finicity's last
    2 hours; it advises refreshing every 90 minutes). ``token_key``: signs the access tokens this client
    hands out (default: derived from the partner secret; set it to keep issued tokens valid across a
    partner-secret rotation). ``page_size``: Finicity's ``limit`` (1-1000). ``account_cache_ttl``: how long
    an account list is reused to find the accounts a fan-out (live balances, owners, transactions) covers;
    `get_accounts` and the default balances always read it fresh (0 turns the cache off).
    """

    partner_id: str
    partner_secret: str = field(repr=False)
    app_key: str = field(repr=False)
    environment: str = "sandbox"
    base_url: str = DEFAULT_BASE_URL
    redirect_uri: str | None = None
    webhook_url: str | None = None
    experience: str | None = None
    token_key: str | None = field(default=None, repr=False)
    token_lifetime: float = 90 * 60.0
    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_concurrency: int = 16
    page_size: int = 1000
    live_balances: bool = False
    account_cache_ttl: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        for name, var in zip(("partner_id", "partner_secret", "app_key"), REQUIRED_VARS, strict=True):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ProviderConfigurationError(missing_message([var]))
            object.__setattr__(self, name, value.strip())
        env = (self.environment or "sandbox").strip().lower()
        if env not in ENVIRONMENTS:
            raise ProviderConfigurationError(
                f"FINICITY_ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, got {self.environment[:30]!r}"
            )
        object.__setattr__(self, "environment", env)
        base = checked_base_url(self.base_url or DEFAULT_BASE_URL, "FINICITY_BASE_URL")
        object.__setattr__(self, "base_url", base)
        if not 1 <= self.page_size <= 1000:
            raise ProviderConfigurationError("page_size must be between 1 and 1000 (Finicity's limit)")
        if self.max_concurrency < 1:
            raise ProviderConfigurationError("max_concurrency must be at least 1")
        if self.token_lifetime <= 0:
            raise ProviderConfigurationError("token_lifetime must be positive")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> FinicitySettings:
        """Settings from ``FINICITY_*`` variables (see `ENV_VARS`); keyword ``overrides`` win.

        Missing credentials raise `ProviderConfigurationError` (a ValueError) naming the variables.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for var, name in ENV_VARS.items():
            value = env.get(var, "").strip()
            if value:
                values[name] = value
        values.update({k: v for k, v in overrides.items() if v is not None})
        missing = [var for var, name in zip(REQUIRED_VARS, ("partner_id", "partner_secret", "app_key"), strict=True)
                   if not str(values.get(name) or "").strip()]  # fmt: skip
        if missing:
            raise ProviderConfigurationError(missing_message(missing))
        return cls(**values)

    def with_options(self, **changes: Any) -> FinicitySettings:
        """A copy with some fields changed."""
        return replace(self, **changes)


def missing_message(variables: list[str]) -> str:
    return (
        f"Finicity credentials missing: set {', '.join(variables)} (Mastercard Developers -> your Open Finance "
        "project: Partner ID, Partner Secret, App Key), or pass partner_id=, partner_secret=, app_key=; "
        "easy_banking(provider='sandbox') works offline with none."
    )
