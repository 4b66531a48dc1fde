"""The Plaid provider: the official plaid-python client (``pip install 'fin-infra[plaid]'``), run off
the event loop, normalised to fin-infra's models, with Plaid's errors mapped in one place.

    >>> from fin_infra.banking import easy_banking
    >>> banking = easy_banking(provider="plaid")  # doctest: +SKIP

plaid-python itself is imported only when a provider is built, so ``import fin_infra`` works without it.
"""

from fin_infra.providers.banking.plaid.errors import TransactionsSyncMutationError
from fin_infra.providers.banking.plaid.provider import PlaidProvider
from fin_infra.providers.banking.plaid.settings import PlaidEnvironmentWarning, PlaidSettings
from fin_infra.providers.banking.plaid.sync import SyncResult

PlaidClient = PlaidProvider

__all__ = [
    "PlaidClient",
    "PlaidEnvironmentWarning",
    "PlaidProvider",
    "PlaidSettings",
    "SyncResult",
    "TransactionsSyncMutationError",
]
