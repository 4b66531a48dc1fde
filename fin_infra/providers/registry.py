"""Provider names -> factories that build a provider from the environment, and auto-detection."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.providers.base import BankingProvider

ProviderFactory = Callable[..., BankingProvider]

PROVIDER_ENV = "FIN_INFRA_BANKING_PROVIDER"


def _sandbox(**options: Any) -> BankingProvider:
    from fin_infra.providers.banking.sandbox import SandboxProvider

    return SandboxProvider(**options)


def _teller(**options: Any) -> BankingProvider:
    # TELLER_CERTIFICATE_PATH / TELLER_PRIVATE_KEY_PATH (or TELLER_CERT_PATH / TELLER_KEY_PATH, or inline
    # TELLER_CERTIFICATE / TELLER_PRIVATE_KEY), TELLER_ENVIRONMENT, TELLER_APPLICATION_ID, TELLER_BASE_URL,
    # TELLER_CA_BUNDLE (see TellerSettings); keyword options override them.
    from fin_infra.providers.banking.teller import TellerClient

    return TellerClient.from_env(**options)


def _plaid(**options: Any) -> BankingProvider:
    # PLAID_CLIENT_ID, PLAID_SECRET, PLAID_ENVIRONMENT, PLAID_BASE_URL, ... (see PlaidSettings); plaid-python is
    # imported only here, so fin_infra works without the 'plaid' extra.
    from fin_infra.providers.banking.plaid import PlaidProvider

    return PlaidProvider(**options)


def _mx(**options: Any) -> BankingProvider:
    # MX_CLIENT_ID, MX_API_KEY, MX_ENVIRONMENT (integration | production), MX_BASE_URL, MX_TOKEN_SECRET
    # (see MXSettings); keyword options override them.
    from fin_infra.providers.banking.mx import MXClient

    return MXClient(**options)


def _finicity(**options: Any) -> BankingProvider:
    # FINICITY_PARTNER_ID, FINICITY_SECRET, FINICITY_APP_KEY, FINICITY_ENVIRONMENT, FINICITY_BASE_URL, ...
    # (see FinicitySettings); keyword options override them.
    from fin_infra.providers.banking.finicity import FinicityClient

    return FinicityClient(**options)


FACTORIES: dict[str, ProviderFactory] = {
    "sandbox": _sandbox,
    "teller": _teller,
    "plaid": _plaid,
    "mx": _mx,
    "finicity": _finicity,
}


def _teller_certificate_path(env: Mapping[str, str]) -> str | None:
    return env.get("TELLER_CERTIFICATE_PATH") or env.get("TELLER_CERT_PATH")


def detect_provider(env: Mapping[str, str] | None = None) -> str:
    """The provider name the environment asks for.

    In order: ``FIN_INFRA_BANKING_PROVIDER``; ``TELLER_CERTIFICATE_PATH`` naming an existing file ->
    teller; ``PLAID_CLIENT_ID`` set -> plaid; ``MX_CLIENT_ID`` set -> mx; ``FINICITY_PARTNER_ID`` set ->
    finicity; else a `ProviderConfigurationError` (a ValueError).
    """
    env = os.environ if env is None else env
    explicit = env.get(PROVIDER_ENV, "").strip().lower()
    if explicit:
        return explicit
    cert = _teller_certificate_path(env)
    if cert and os.path.isfile(cert):
        return "teller"
    if env.get("PLAID_CLIENT_ID"):
        return "plaid"
    if env.get("MX_CLIENT_ID"):
        return "mx"
    if env.get("FINICITY_PARTNER_ID"):
        return "finicity"
    hint = ""
    if cert:
        hint = " (TELLER_CERTIFICATE_PATH is set but names no existing file)"
    raise ProviderConfigurationError(
        "No banking provider credentials found"
        + hint
        + ". Set TELLER_CERTIFICATE_PATH and TELLER_PRIVATE_KEY_PATH for Teller, PLAID_CLIENT_ID and "
        "PLAID_SECRET for Plaid, MX_CLIENT_ID and MX_API_KEY for MX, FINICITY_PARTNER_ID, FINICITY_SECRET and "
        "FINICITY_APP_KEY for Finicity, or FIN_INFRA_BANKING_PROVIDER to name one; "
        "easy_banking(provider='sandbox') works offline with no credentials."
    )


def build_provider(name: str | None = None, **options: Any) -> BankingProvider:
    """Build the provider called ``name`` (auto-detected from the environment when None)."""
    chosen = (name or detect_provider()).strip().lower()
    factory = FACTORIES.get(chosen)
    if factory is None:
        known = ", ".join(sorted(FACTORIES))
        raise ProviderConfigurationError(f"unknown banking provider {chosen[:40]!r}; choose one of: {known}")
    return factory(**options)
