"""Stored connections for the SQL ledger tests: tokens sealed as connections mode seals them."""

from __future__ import annotations

import os

from fin_infra.banking.sync import LedgerSync
from fin_infra.banking.sync.connections import StoredConnections
from fin_infra.crypto import Keyring, new_key
from fin_infra.providers.base import BankingProvider
from fin_infra.storage.database import Database
from fin_infra.storage.records import ConnectionRecord
from fin_infra.storage.rotation import seal_token
from fin_infra.storage.sql_connection_store import SQLConnectionStore

# A worker subprocess (the crash test) gets the parent's key through the environment.
KEY_TEXT = os.environ.get("FIN_INFRA_TEST_LEDGER_KEY") or new_key("test-key")
KEYS = Keyring.parse(KEY_TEXT)


class Ledger:
    def __init__(self, url: str, providers: dict[str, BankingProvider]) -> None:
        self.database = Database(url)
        self.connections = SQLConnectionStore(self.database)
        self.ledger = LedgerSync(self.database, connections=StoredConnections(self.connections, providers=providers,
                                                                                keys=KEYS))

    async def connect(self, connection_id: str, provider: str, item_id: str, token: str, user: str = "u1") -> None:
        sealed = seal_token(token, connection_id, user, KEYS)
        await self.connections.insert(ConnectionRecord(
            id=connection_id, user_id=user, provider=provider, item_id=item_id, token_ciphertext=sealed,
            key_id=KEYS.primary_id,
        ))

    async def aclose(self) -> None:
        await self.database.aclose()
