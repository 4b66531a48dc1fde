"""Teller settings: one typed object, read from the environment in one place.

    >>> s = TellerSettings.from_env({"TELLER_CERT_PATH": "/run/secrets/teller.pem",
    ...                              "TELLER_KEY_PATH": "/run/secrets/teller.key"})
    >>> (s.cert_path, s.environment, s.base_url)
    ('/run/secrets/teller.pem', 'sandbox', 'https://api.teller.io')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.providers.retrying import RetryPolicy as RetryPolicy

# Teller serves every environment from one host; the access token decides sandbox vs live.
DEFAULT_BASE_URL = "https://api.teller.io"
ENVIRONMENTS = ("sandbox", "development", "production")

# variable name(s) -> settings field; the first variable set wins (older, shorter names last)
ENV_VARS: dict[str, tuple[str, ...]] = {
    "cert_path": ("TELLER_CERTIFICATE_PATH", "TELLER_CERT_PATH"),
    "key_path": ("TELLER_PRIVATE_KEY_PATH", "TELLER_KEY_PATH"),
    "certificate": ("TELLER_CERTIFICATE",),
    "private_key": ("TELLER_PRIVATE_KEY",),
    "environment": ("TELLER_ENVIRONMENT",),
    "application_id": ("TELLER_APPLICATION_ID",),
    "base_url": ("TELLER_BASE_URL",),
    "ca_bundle": ("TELLER_CA_BUNDLE",),
    "api_version": ("TELLER_API_VERSION",),
    "max_connections": ("TELLER_MAX_CONNECTIONS",),
    "max_concurrency": ("TELLER_MAX_CONCURRENCY",),
}


NOT_CONFIGURED = (
    "Teller is not configured: set TELLER_CERTIFICATE_PATH and TELLER_PRIVATE_KEY_PATH to the certificate and key "
    "from your Teller dashboard (or TELLER_ENVIRONMENT=sandbox to use Teller's sandbox without a certificate)"
)


def configured_in(env: Mapping[str, str]) -> bool:
    """Whether any Teller variable is set (an explicit ``TELLER_ENVIRONMENT=sandbox`` counts)."""
    return any(env.get(var, "").strip() for variables in ENV_VARS.values() for var in variables)


@dataclass(frozen=True)
class TellerSettings:
    """Everything a `TellerClient` is built from. Certificates come as paths or as inline PEM text."""

    cert_path: str | None = None
    key_path: str | None = None
    certificate: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    environment: str = "sandbox"
    application_id: str | None = None
    base_url: str = DEFAULT_BASE_URL
    ca_bundle: str | None = None
    api_version: str | None = None
    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_concurrency: int = 16  # concurrent requests for one access token (one user's fan-out)
    max_connections: int = 100  # concurrent requests, and pooled kept-alive connections, to the Teller host
    page_size: int = 250
    account_cache_ttl: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        env = (self.environment or "sandbox").strip().lower()
        if env not in ENVIRONMENTS:
            raise ProviderConfigurationError(
                f"TELLER_ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, got {self.environment[:30]!r}"
            )
        object.__setattr__(self, "environment", env)
        base = (self.base_url or DEFAULT_BASE_URL).strip().rstrip("/")
        if not base.startswith("https://"):
            # Teller authenticates the app by its TLS client certificate: plain HTTP would send none.
            raise ProviderConfigurationError(f"TELLER_BASE_URL must be an https:// URL, got {base[:60]!r}")
        object.__setattr__(self, "base_url", base)
        for name in ("max_concurrency", "max_connections", "page_size"):
            value = getattr(self, name)
            if isinstance(value, str):  # from the environment
                try:
                    value = int(value)
                except ValueError:
                    raise ProviderConfigurationError(f"{name} must be a whole number, got {value[:20]!r}") from None
                object.__setattr__(self, name, value)
            if value < 1:
                raise ProviderConfigurationError(f"{name} must be at least 1")
        if (self.cert_path or self.certificate) and not (self.key_path or self.private_key):
            raise ProviderConfigurationError(
                "a Teller certificate is set but no private key: set TELLER_PRIVATE_KEY_PATH (or TELLER_PRIVATE_KEY)"
            )
        if (self.key_path or self.private_key) and not (self.cert_path or self.certificate):
            raise ProviderConfigurationError(
                "a Teller private key is set but no certificate: set TELLER_CERTIFICATE_PATH (or TELLER_CERTIFICATE)"
            )
        if self.environment != "sandbox" and not self.has_certificate:
            raise ProviderConfigurationError(
                f"Teller's {self.environment} environment requires your client certificate: set "
                "TELLER_CERTIFICATE_PATH and TELLER_PRIVATE_KEY_PATH to the files from your Teller dashboard"
            )

    @property
    def has_certificate(self) -> bool:
        return bool(self.cert_path or self.certificate)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> TellerSettings:
        """Settings from environment variables (see `ENV_VARS`); keyword ``overrides`` win."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, variables in ENV_VARS.items():
            for var in variables:
                value = env.get(var, "").strip()
                if value:
                    values[name] = value
                    break
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_options(self, **changes: Any) -> TellerSettings:
        """A copy with some fields changed."""
        return replace(self, **changes)
