"""``from fin_infra.providers.banking.plaid_client import PlaidClient``: the Plaid provider by its other name."""

from fin_infra.providers.banking.plaid import PlaidProvider, PlaidSettings, SyncResult

PlaidClient = PlaidProvider

__all__ = ["PlaidClient", "PlaidProvider", "PlaidSettings", "SyncResult"]
