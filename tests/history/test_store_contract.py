"""The balance store contract, run against every backend: memory, SQLite (a file), PostgreSQL."""

from __future__ import annotations

from tests.history.contract import BalanceStoreContract


class TestEveryBackend(BalanceStoreContract):
    """``store`` is parametrised over memory, sqlite and postgres (tests/history/conftest.py)."""
