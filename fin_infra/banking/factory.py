"""`easy_banking()`: a ready provider from a name or from the environment."""

from __future__ import annotations

from typing import Any

from fin_infra.providers.base import BankingProvider
from fin_infra.providers.registry import build_provider


def easy_banking(provider: str | None = None, **options: Any) -> BankingProvider:
    """Build a banking provider.

    With no ``provider``, the environment decides: ``FIN_INFRA_BANKING_PROVIDER`` if set, else Teller
    when ``TELLER_CERTIFICATE_PATH`` names an existing file, else Plaid when ``PLAID_CLIENT_ID`` is set.
    ``provider="sandbox"`` works offline with no credentials. Raises `ValueError` (a
    `ProviderConfigurationError`) naming the variables to set when nothing is configured.

        >>> banking = easy_banking(provider="sandbox")
        >>> accounts = banking.accounts(access_token="access-sandbox-demo")
    """
    return build_provider(provider, **options)
