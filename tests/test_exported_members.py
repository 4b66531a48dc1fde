"""The public surface is exactly what the documentation shows; a change here is a deliberate API change."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "fin_infra.banking": {"add_banking", "easy_banking"},
    "fin_infra.models": {
        "Address",
        "Balance",
        "BalanceSnapshot",
        "BankAccount",
        "Identity",
        "LinkToken",
        "Owner",
        "TokenExchange",
        "Transaction",
    },
    "fin_infra.banking.sync": {
        "Batch",
        "Commit",
        "Counts",
        "CursorSource",
        "LedgerEntry",
        "LedgerStore",
        "LedgerSync",
        "MemoryLedgerStore",
        "PairingRule",
        "PlaidCursorSource",
        "ProviderWindowSource",
        "Removal",
        "SyncOutcome",
        "SyncSettings",
        "WindowSource",
        "fold",
        "reconcile_window",
        "run_sync",
        "source_for",
        "sync_connection",
        "sync_connection_blocking",
    },
    "fin_infra.banking.exceptions": {
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
    },
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_all_is_the_public_surface(module: str) -> None:
    mod = importlib.import_module(module)
    assert set(mod.__all__) == PUBLIC[module]
    for name in mod.__all__:
        assert getattr(mod, name) is not None


def test_documented_imports() -> None:
    from fin_infra.banking.history import BalanceHistory, get_balance_history, track_balance
    from fin_infra.models.transactions import Transaction

    assert callable(track_balance) and callable(get_balance_history)
    assert BalanceHistory.model_fields.keys() >= {"account_id", "balance", "date", "currency"}
    assert "amount" in Transaction.model_fields
