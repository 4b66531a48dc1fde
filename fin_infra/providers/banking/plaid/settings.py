"""`PlaidSettings`: the Plaid provider's configuration, from keyword arguments or ``PLAID_*`` variables.

>>> s = PlaidSettings.from_env({"PLAID_CLIENT_ID": "id", "PLAID_SECRET": "secret"})
>>> (s.environment, s.host)
('sandbox', 'https://sandbox.plaid.com')
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from fin_infra.banking.exceptions import ProviderConfigurationError

HOSTS = {"sandbox": "https://sandbox.plaid.com", "production": "https://production.plaid.com"}


class PlaidEnvironmentWarning(UserWarning):
    """A Plaid environment name that still works but means something else now (``development``)."""


# variable -> setting; lists are comma-separated
ENV_VARS = {
    "PLAID_CLIENT_ID": "client_id",
    "PLAID_SECRET": "secret",
    "PLAID_ENVIRONMENT": "environment",
    "PLAID_BASE_URL": "base_url",
    "PLAID_CLIENT_NAME": "client_name",
    "PLAID_WEBHOOK_URL": "webhook",
    "PLAID_REDIRECT_URI": "redirect_uri",
    "PLAID_PRODUCTS": "products",
    "PLAID_COUNTRY_CODES": "country_codes",
}
_LISTS = {"products", "country_codes"}


class PlaidSettings(BaseModel):
    """Everything the Plaid provider needs. ``secret`` never shows in ``repr`` or logs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(min_length=1)
    secret: SecretStr
    environment: Literal["sandbox", "production"] = "sandbox"
    base_url: str | None = Field(default=None, description="talk to this URL instead (an emulator, a proxy)")
    client_name: str = Field(default="fin-infra", max_length=30, description="the app name Link shows")
    webhook: str | None = Field(default=None, description="default webhook URL for new Items")
    redirect_uri: str | None = Field(default=None, description="OAuth redirect URI registered with Plaid")
    products: tuple[str, ...] = ("transactions",)
    country_codes: tuple[str, ...] = ("US",)
    language: str = "en"
    timeout: float = Field(default=60.0, gt=0, description="seconds per HTTP call (balance pulls can be slow)")
    total_timeout: float = Field(
        default=60.0, gt=0, description="seconds one provider call may take in all, retries and waits included"
    )
    max_workers: int = Field(default=8, ge=1, le=64, description="threads running the synchronous client")
    max_retries: int = Field(default=3, ge=0, le=10, description="retries of reads on rate limits and 5xx")
    retry_backoff: float = Field(default=0.5, ge=0, description="first retry delay in seconds; doubles each time")
    sync_page_size: int = Field(default=500, ge=1, le=500)

    @property
    def host(self) -> str:
        """The base URL calls go to."""
        return (self.base_url or HOSTS[self.environment]).rstrip("/")

    @classmethod
    def build(cls, env: Mapping[str, str] | None = None, **options: Any) -> PlaidSettings:
        """Settings from ``options``, falling back to ``PLAID_*`` variables in ``env`` (default: os.environ).

        Missing credentials raise `ProviderConfigurationError` (a ValueError) naming the variables;
        ``environment="development"`` warns and means production (Plaid retired Development in 2024).
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for var, name in ENV_VARS.items():
            raw = env.get(var, "").strip()
            if raw:
                values[name] = [p.strip() for p in raw.split(",") if p.strip()] if name in _LISTS else raw
        if not values.get("environment") and env.get("PLAID_ENV", "").strip():
            values["environment"] = env["PLAID_ENV"].strip()
        values.update({k: v for k, v in options.items() if v is not None})
        missing = [
            var for var, name in (("PLAID_CLIENT_ID", "client_id"), ("PLAID_SECRET", "secret")) if not values.get(name)
        ]
        if missing:
            raise ProviderConfigurationError(
                f"Plaid credentials missing: set {' and '.join(missing)} (from the Plaid dashboard, Team Settings -> "
                "Keys), or pass client_id= and secret=; easy_banking(provider='sandbox') works offline with none."
            )
        values["environment"] = _environment(str(values.get("environment") or "sandbox"))
        if values.get("base_url"):
            _check_url(str(values["base_url"]))
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
            raise ProviderConfigurationError(f"invalid Plaid settings: {problems}") from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Any) -> PlaidSettings:
        """Same as `build`: the name for when the environment is the point."""
        return cls.build(env, **options)


def _environment(name: str) -> str:
    value = name.strip().lower()
    if value == "development":
        warnings.warn(
            "PLAID_ENVIRONMENT=development: Plaid retired its Development environment in June 2024; fin-infra uses "
            "production (https://production.plaid.com) instead, which needs your production secret. Set "
            "PLAID_ENVIRONMENT=production (or sandbox) to silence this warning.",
            PlaidEnvironmentWarning,
            stacklevel=4,
        )
        return "production"
    if value not in HOSTS:
        raise ProviderConfigurationError(f"PLAID_ENVIRONMENT must be sandbox or production, got {value[:20]!r}")
    return value


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ProviderConfigurationError("PLAID_BASE_URL must be an http(s) URL such as http://127.0.0.1:8444")
