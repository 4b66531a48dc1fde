"""Balance history backends behind the `BalanceStore` protocol.

``MemoryBalanceStore`` needs nothing; ``SQLBalanceStore`` (SQLite, PostgreSQL) needs the ``sqlite``
or ``postgres`` extra and is imported on first use.

    >>> from fin_infra.banking.history.stores import BalanceStore, MemoryBalanceStore
    >>> isinstance(MemoryBalanceStore(), BalanceStore)
    True
"""

from __future__ import annotations

import importlib
from typing import Any

from fin_infra.banking.history.stores.base import BalanceStore
from fin_infra.banking.history.stores.memory import MemoryBalanceStore

__all__ = ["BalanceStore", "MemoryBalanceStore", "SQLBalanceStore"]


def __getattr__(name: str) -> Any:
    if name == "SQLBalanceStore":
        return importlib.import_module("fin_infra.banking.history.stores.sql").SQLBalanceStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
