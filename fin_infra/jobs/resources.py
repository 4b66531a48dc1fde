"""What a worker's tasks work on: fin-infra's database, its stored connections (tokens decrypted with
``FIN_INFRA_ENCRYPTION_KEYS``, providers built by name from their environment variables), the ledger, and
balance history.

    >>> resources = Resources("postgresql://app@db/app")   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from fin_infra.banking.history.stores.sql import SQLBalanceStore
from fin_infra.banking.sync.connections import StoredConnections
from fin_infra.banking.sync.runner import LedgerSync
from fin_infra.crypto import Keyring
from fin_infra.storage.database import Database
from fin_infra.storage.sql_connection_store import SQLConnectionStore


class Resources:
    """One worker's database, connection store, ledger and balance store (opened lazily, closed by `aclose`)."""

    def __init__(self, database_url: str, *, keys: Keyring | None = None, concurrency: int = 4) -> None:
        options: dict[str, Any] = {}
        if not database_url.startswith(("sqlite", "memory")):
            # each running sync holds one connection for its lock and needs another for its writes: a pool
            # smaller than twice the concurrency could leave every sync waiting for a second connection
            options = {"pool_size": 2 * concurrency + 2, "max_overflow": concurrency}
        self.database = Database(database_url, **options)
        self.store = SQLConnectionStore(self.database)
        self.connections = StoredConnections(self.store, keys=keys or Keyring.from_env())
        self.ledger = LedgerSync(self.database, connections=self.connections)
        self.balances = SQLBalanceStore(self.database)

    async def check(self) -> None:
        """Raise a clear error when fin-infra's own tables are not at the newest migration."""
        from fin_infra.storage.migrate import current_revision, head_revision

        if await current_revision(self.database) != head_revision():
            raise RuntimeError(
                f"{self.database!r} is not at fin-infra's newest schema: run `python -m fin_infra db upgrade` first"
            )
        self.database.upgraded = True

    async def aclose(self) -> None:
        for provider in self.connections.providers.values():
            await provider.aclose()
        await self.database.aclose()
