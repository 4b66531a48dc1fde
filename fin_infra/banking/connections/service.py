"""`ConnectionService`: connections mode's rules, between the routes and the store.

Every token decryption and identity read is written to the audit trail; every provider call updates
the connection's health (an error sets its status, the next success sets ``ok`` again).

Data routes resolve a connection from a short-lived in-process copy of its row (``cache_ttl``, default
2 s; this process's own writes drop it at once), so a busy user costs one row read per interval, not one
per request. The token is still decrypted, and audited, on every request. What another process changes
(a deletion, a status) is seen here within ``cache_ttl``; the management routes always read the row.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from fin_infra.banking.connections.errors import (
    ConnectionKeyError,
    ConnectionNotFoundError,
    DuplicateConnectionError,
    UnknownProviderError,
)
from fin_infra.banking.connections.health import status_for_error
from fin_infra.banking.connections.ids import is_connection_id, new_connection_id
from fin_infra.banking.exceptions import BankingProviderError, InvalidCredentialsError
from fin_infra.banking.history.stores import BalanceStore
from fin_infra.crypto import DecryptionError, Keyring
from fin_infra.models import BankAccount, LinkToken
from fin_infra.providers.base import BankingProvider
from fin_infra.storage.connection_store import ConnectionStore, DuplicateItemError
from fin_infra.storage.records import AuditEvent, ConnectionRecord, StoredAccount
from fin_infra.storage.rotation import open_token, seal_token

log = logging.getLogger("fin_infra.banking.connections")
T = TypeVar("T")


def stored_accounts(accounts: Sequence[BankAccount]) -> tuple[StoredAccount, ...]:
    return tuple(
        StoredAccount(id=a.id, name=a.name, mask=a.mask, type=a.type, subtype=a.subtype, currency=a.currency)
        for a in accounts
    )


def _same_institution(a: ConnectionRecord, provider: str, institution_id: str | None, name: str | None) -> bool:
    if a.provider == provider and a.institution_id and a.institution_id == institution_id:
        return True
    return bool(a.institution_name and name and a.institution_name.casefold() == name.casefold())


class ConnectionService:
    """Connections of app users through ``providers`` (name -> provider), tokens sealed with ``keys``."""

    def __init__(
        self,
        store: ConnectionStore,
        providers: Mapping[str, BankingProvider],
        keys: Keyring,
        *,
        history: BalanceStore | None = None,
        cache_ttl: float = 2.0,
        cache_size: int = 10_000,
    ) -> None:
        if not providers:
            raise ValueError("connections mode needs at least one provider")
        self.store = store
        self.providers = dict(providers)
        self.keys = keys
        self.history = history
        self.cache_ttl = cache_ttl
        self._cache_size = cache_size
        self._cache: dict[str, tuple[float, ConnectionRecord]] = {}

    @property
    def default_provider(self) -> str:
        return next(iter(self.providers))

    def provider(self, name: str | None) -> BankingProvider:
        chosen = name or self.default_provider
        provider = self.providers.get(chosen)
        if provider is None:
            known = ", ".join(self.providers)
            raise UnknownProviderError(
                f"provider: {chosen[:40]!r} is not one of this app's providers ({known})", field="provider"
            )
        return provider

    # --- lookups ---------------------------------------------------------------------------------

    async def get(self, user_id: str, connection_id: str, *, fresh: bool = False) -> ConnectionRecord:
        """The user's connection; `ConnectionNotFoundError` for an unknown id or another user's.
        ``fresh`` reads the row even when a recent copy is at hand."""
        record = await self._load(connection_id, fresh) if is_connection_id(connection_id) else None
        if record is None or record.user_id != user_id:
            raise ConnectionNotFoundError("no connection with that id for this user")
        return record

    async def _load(self, connection_id: str, fresh: bool) -> ConnectionRecord | None:
        now = time.monotonic()
        hit = self._cache.get(connection_id)
        if hit is not None and not fresh and now - hit[0] < self.cache_ttl:
            return hit[1]
        record = await self.store.get(connection_id)
        if record is None:
            self._cache.pop(connection_id, None)
        elif self.cache_ttl > 0:
            if len(self._cache) >= self._cache_size:
                self._cache.clear()  # bounded: start over rather than track ages
            self._cache[connection_id] = (now, record)
        return record

    async def load(self, connection_id: str) -> ConnectionRecord:
        """The stored connection, whoever owns it (the ledger's `SyncConnections`: syncs run for the app, not
        for a request's user); `ConnectionNotFound` if none."""
        from fin_infra.banking.sync.connections import ConnectionNotFound

        record = await self._load(connection_id, fresh=True)
        if record is None:
            raise ConnectionNotFound("no stored connection with that id")
        return record

    def forget(self, connection_id: str) -> None:
        """Drop the in-process copy of a connection's row (after any write to it)."""
        self._cache.pop(connection_id, None)

    async def connections(self, user_id: str) -> list[ConnectionRecord]:
        """The user's connections, oldest first."""
        return await self.store.list_for_user(user_id)

    async def scope(self, user_id: str, connection_id: str | None) -> list[ConnectionRecord]:
        """The one connection asked for, or every connection of the user."""
        if connection_id is not None:
            return [await self.get(user_id, connection_id)]
        return await self.connections(user_id)

    # --- tokens, audited -----------------------------------------------------------------------

    async def audit(self, record: ConnectionRecord, action: str, reason: str, outcome: str = "ok") -> None:
        await self.store.append_audit(AuditEvent(record.user_id, action, reason, outcome, record.id))

    async def token(self, record: ConnectionRecord, reason: str) -> str:
        """The connection's access token, decrypted; the decryption is audited."""
        try:
            token = open_token(record, self.keys)
        except DecryptionError as exc:
            await self.audit(record, "token.decrypt", reason, "decryption_failed")
            log.error("connection %s: token does not decrypt: %s", record.id, exc)
            raise ConnectionKeyError(
                "the connection's token can't be decrypted with FIN_INFRA_ENCRYPTION_KEYS: a key is wrong or "
                "missing (keep old keys after the new one until `python -m fin_infra keys rotate` has run)"
            ) from None
        await self.audit(record, "token.decrypt", reason)
        return token

    async def call(
        self, record: ConnectionRecord, reason: str, operation: Callable[[BankingProvider, str], Awaitable[T]]
    ) -> T:
        """Run one provider call with the connection's token; its outcome updates the connection's health."""
        provider = self.provider(record.provider)
        token = await self.token(record, reason)
        started = dt.datetime.now(dt.UTC)
        try:
            result = await operation(provider, token)
        except BankingProviderError as exc:
            await self.note_error(record, exc, since=started)
            raise
        await self.note_success(record)
        return result

    async def note_error(
        self, record: ConnectionRecord, exc: BankingProviderError, *, since: dt.datetime | None = None
    ) -> None:
        """Record what ``exc`` means for the connection's health, unless a call that started after ``since``
        (when the failing call started) has worked since: a slow failure doesn't undo a newer success."""
        change = status_for_error(exc)
        if change is not None:
            status, code = change
            await self.store.set_status(record.id, status, error_code=code, error_message=exc.message,
                                        failed_since=since)
            self.forget(record.id)

    async def note_success(self, record: ConnectionRecord) -> None:
        if record.status != "ok":  # one write when a status clears, none on the usual path
            await self.store.set_status(record.id, "ok")
            self.forget(record.id)

    # --- link, exchange, reconnect, delete -----------------------------------------------------

    async def link(self, user_id: str, provider_name: str | None, options: dict[str, Any]) -> LinkToken:
        return await self.provider(provider_name).create_link_token(user_id, **options)

    async def exchange(
        self, user_id: str, provider_name: str | None, payload: str | dict[str, Any]
    ) -> tuple[ConnectionRecord, bool]:
        """Exchange and store a new connection: (record, True). The same item again for its owner (a
        re-login, update mode) refreshes the stored token: (record, False)."""
        name = provider_name or self.default_provider
        provider = self.provider(name)
        exchanged = await provider.exchange_public_token(payload)
        token = exchanged.access_token
        accounts = stored_accounts(await provider.get_accounts(token))
        existing = await self.store.find_by_item(name, exchanged.item_id)
        if existing is not None:
            if existing.user_id != user_id:
                # the same provider item can't belong to two users; don't name the other user's connection
                raise DuplicateConnectionError("this bank login is already connected by another user")
            await self._replace_token(existing, token, accounts)
            return await self.get(user_id, existing.id, fresh=True), False
        masks = {a.mask for a in accounts if a.mask}
        for other in await self.store.list_for_user(user_id):
            overlap = masks & {a.mask for a in other.accounts if a.mask}
            if overlap and _same_institution(other, name, exchanged.institution_id, exchanged.institution_name):
                await self._remove_quietly(provider, token, other)
                raise DuplicateConnectionError(
                    f"this bank is already connected as {other.id} (accounts ending {', '.join(sorted(overlap))}); "
                    "the new login was removed at the provider",
                    connection_id=other.id,
                )
        now = dt.datetime.now(dt.UTC)
        connection_id = new_connection_id()
        record = ConnectionRecord(
            id=connection_id,
            user_id=user_id,
            provider=name,
            item_id=exchanged.item_id,
            token_ciphertext=seal_token(token, connection_id, user_id, self.keys),
            key_id=self.keys.primary_id,
            institution_id=exchanged.institution_id,
            institution_name=exchanged.institution_name,
            accounts=accounts,
            status_changed_at=now,
            last_success_at=now,
            created_at=now,
            updated_at=now,
        )
        try:
            await self.store.insert(record)
        except DuplicateItemError:  # a concurrent exchange of the same item won the race
            return await self._existing(user_id, name, exchanged.item_id)
        return record, True

    async def _existing(self, user_id: str, provider: str, item_id: str) -> tuple[ConnectionRecord, bool]:
        existing = await self.store.find_by_item(provider, item_id)
        if existing is None or existing.user_id != user_id:
            raise DuplicateConnectionError("this bank login is already connected by another user")
        return existing, False

    async def _replace_token(self, record: ConnectionRecord, token: str, accounts: tuple[StoredAccount, ...]) -> None:
        sealed = seal_token(token, record.id, record.user_id, self.keys)
        await self.store.update_token(record.id, sealed, self.keys.primary_id)
        if accounts != record.accounts:
            await self.store.update_accounts(record.id, accounts)
        await self.store.set_status(record.id, "ok")
        self.forget(record.id)

    async def _remove_quietly(self, provider: BankingProvider, token: str, existing: ConnectionRecord) -> None:
        try:
            await provider.remove_item(token)
        except Exception as exc:  # the 409 stands; the stray item is logged for the operator
            log.warning(
                "duplicate of connection %s: removing the new item at %s failed (%s)",
                existing.id,
                provider.name,
                type(exc).__name__,
            )

    async def reconnect(self, user_id: str, connection_id: str, reason: str, options: dict[str, Any]) -> LinkToken:
        """The update-mode link for a connection (Plaid: link token with the item; Teller: its enrollment)."""
        record = await self.get(user_id, connection_id, fresh=True)
        provider = self.provider(record.provider)
        token = await self.token(record, reason)
        if record.provider == "teller":
            options = {**options, "enrollment_id": record.item_id}
        return await provider.create_link_token(user_id, access_token=token, **options)

    async def delete(self, user_id: str, connection_id: str, reason: str, *, purge: bool = False) -> None:
        """Remove the item at the provider ("already gone" counts as done), then the stored token;
        ``purge`` also deletes what fin-infra keeps for the connection (balance history)."""
        record = await self.get(user_id, connection_id, fresh=True)
        provider = self.provider(record.provider)
        token = await self.token(record, reason)
        try:
            await provider.remove_item(token)
        except InvalidCredentialsError as exc:
            log.info("connection %s was already gone at %s (%s)", record.id, provider.name, exc.code)
        await self.store.delete(record.id)
        self.forget(record.id)
        await self.audit(record, "connection.delete", reason, "purged" if purge else "ok")
        if purge and self.history is not None:
            remove = getattr(self.history, "delete_connection", None)
            if remove is not None:
                await remove(record.id)

    async def refresh_accounts(self, record: ConnectionRecord, accounts: Sequence[BankAccount]) -> None:
        fresh = stored_accounts(accounts)
        if fresh != record.accounts:
            await self.store.update_accounts(record.id, fresh)
            self.forget(record.id)
