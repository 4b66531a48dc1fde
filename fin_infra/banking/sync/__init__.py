"""The ledger's sync engine: every connection's transactions kept equal to the provider's, in a local store.

Pieces, lowest first: `store.LedgerStore` (where the ledger lives; `MemoryLedgerStore` here), `fold.fold`
(how staged changes become the ledger: removed rows kept and never resurrected, pending rows replaced by
their posted copy), `pairing.PairingRule` (which pending row a posted one under a new id replaces),
`window.reconcile_window` (providers without a change feed), `source` (the interface a provider
implements), and `engine.run_sync` (one run: stage, then commit with the cursor in one transaction).

    >>> import asyncio
    >>> from fin_infra.banking import easy_banking
    >>> store = MemoryLedgerStore()
    >>> source = source_for(easy_banking(provider="sandbox"))
    >>> outcome = asyncio.run(run_sync(store, "conn_1", source, "access-sandbox-demo"))
    >>> len(store.transactions("conn_1")) == outcome.added
    True
"""

from fin_infra.banking.sync.engine import SyncOutcome, SyncSettings, run_sync
from fin_infra.banking.sync.fold import fold
from fin_infra.banking.sync.memory import MemoryLedgerStore
from fin_infra.banking.sync.pairing import PairingRule
from fin_infra.banking.sync.source import (
    CursorSource,
    PlaidCursorSource,
    ProviderWindowSource,
    WindowSource,
    source_for,
)
from fin_infra.banking.sync.store import Batch, Commit, Counts, LedgerEntry, LedgerStore, Removal
from fin_infra.banking.sync.window import reconcile_window

__all__ = [
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
]


def __getattr__(name: str) -> object:
    # The SQL ledger needs the storage extra (sqlalchemy): imported only when asked for.
    if name in ("LedgerSync", "sync_connection", "sync_connection_blocking"):
        from fin_infra.banking.sync import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
