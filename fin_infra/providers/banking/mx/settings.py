"""MX settings: one typed object, read from ``MX_*`` environment variables in one place.

    >>> s = MXSettings.from_env({"MX_CLIENT_ID": "client", "MX_API_KEY": "key"})
    >>> (s.environment, s.base_url)
    ('integration', 'https://int-api.mx.com')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.providers.base_urls import checked_base_url
from fin_infra.providers.retrying import RetryPolicy

HOSTS = {"integration": "https://int-api.mx.com", "production": "https://api.mx.com"}
ALIASES = {"sandbox": "integration", "int": "integration", "prod": "production"}

# variable -> settings field
ENV_VARS: dict[str, str] = {
    "MX_CLIENT_ID": "client_id",
    "MX_API_KEY": "api_key",
    "MX_ENVIRONMENT": "environment",
    "MX_BASE_URL": "base_url",
    "MX_TOKEN_SECRET": "token_secret",
}


@dataclass(frozen=True)
class MXSettings:
    """Everything an `MXClient` is built from. ``api_key`` and ``token_secret`` never show in ``repr``.

    ``token_secret`` signs the access tokens fin-infra hands out for MX members (see
    `fin_infra.providers.banking.mx.tokens`); without it a key derived from ``api_key`` is used, so
    rotating the API key then invalidates stored tokens. ``poll_interval`` / ``job_timeout``: how a
    refresh job (``check_balance``, ``identify``) is waited for. ``fresh_balances``: `get_balances`
    runs ``check_balance`` first (MX otherwise serves the balances of its last aggregation).
    ``status_cache_ttl``: how long a member found connected is trusted before reads check it again (0: every
    read checks; a member that needs its user is never cached, so its repair is seen at once).
    """

    client_id: str = ""
    api_key: str = field(default="", repr=False)
    environment: str = "integration"
    base_url: str | None = None
    token_secret: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_concurrency: int = 8
    page_size: int = 1000
    poll_interval: float = 3.0
    job_timeout: float = 60.0
    fresh_balances: bool = False
    status_cache_ttl: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if not self.client_id or not self.api_key:
            raise ProviderConfigurationError(
                "MX needs your client credentials: set MX_CLIENT_ID and MX_API_KEY (Client Dashboard, API keys)"
            )
        env = (self.environment or "integration").strip().lower()
        env = ALIASES.get(env, env)
        if env not in HOSTS:
            raise ProviderConfigurationError(
                f"MX_ENVIRONMENT must be integration or production, got {self.environment[:30]!r}"
            )
        object.__setattr__(self, "environment", env)
        object.__setattr__(self, "base_url", checked_base_url(self.base_url or HOSTS[env], "MX_BASE_URL"))
        if self.max_concurrency < 1 or not 10 <= self.page_size <= 1000:
            raise ProviderConfigurationError("max_concurrency must be at least 1 and page_size within 10..1000")
        if self.poll_interval <= 0 or self.job_timeout <= 0:
            raise ProviderConfigurationError("poll_interval and job_timeout must be positive")

    @property
    def host(self) -> str:
        """The base URL calls go to."""
        assert self.base_url is not None
        return self.base_url

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> MXSettings:
        """Settings from ``MX_*`` variables (see `ENV_VARS`); keyword ``overrides`` win."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for var, name in ENV_VARS.items():
            value = env.get(var, "").strip()
            if value:
                values[name] = value
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_options(self, **changes: Any) -> MXSettings:
        """A copy with some fields changed."""
        return replace(self, **changes)


__all__ = ["ENV_VARS", "HOSTS", "MXSettings", "RetryPolicy"]
