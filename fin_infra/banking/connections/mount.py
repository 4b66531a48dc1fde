"""What `add_banking` does in connections mode: resolve providers, store and keys, mount the routes."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter

from fin_infra.banking.background.protocol import BackgroundJobs
from fin_infra.banking.background.settings import JOBS_URL_ENV
from fin_infra.banking.connections.audit_buffer import BufferedAuditStore
from fin_infra.banking.connections.ledger import ConnectionsLedger, attach_ledger
from fin_infra.banking.connections.routes import build_connections_router
from fin_infra.banking.connections.service import ConnectionService
from fin_infra.banking.connections.user import user_dependency
from fin_infra.banking.history.stores import BalanceStore
from fin_infra.crypto import Keyring
from fin_infra.providers.base import BankingProvider
from fin_infra.providers.registry import build_provider
from fin_infra.storage import DATABASE_URL_ENV, Database
from fin_infra.storage.connection_store import ConnectionStore


def resolve_providers(
    providers: Sequence[str | BankingProvider], **provider_options: Any
) -> dict[str, BankingProvider]:
    """name -> provider for ``providers`` (names are built from the environment; instances kept)."""
    out: dict[str, BankingProvider] = {}
    for item in providers:
        instance = item if isinstance(item, BankingProvider) else build_provider(item, **provider_options)
        if instance.name in out:
            raise ValueError(f"providers= names {instance.name!r} twice")
        out[instance.name] = instance
    if not out:
        raise ValueError("providers= is empty: give at least one provider name or instance")
    return out


def open_connection_store(connections: str | ConnectionStore | None) -> ConnectionStore:
    """The store for ``connections`` (a URL or a store), else ``FIN_INFRA_DATABASE_URL``."""
    if connections is not None and not isinstance(connections, str):
        return connections
    url = (connections or os.environ.get(DATABASE_URL_ENV, "")).strip()
    if not url:
        raise ValueError(
            f"connections mode needs a database: pass connections='sqlite:///app.db' (or a store) or set "
            f"{DATABASE_URL_ENV}"
        )
    from fin_infra.storage.sql_connection_store import SQLConnectionStore

    return SQLConnectionStore(url)  # owns its Database: closing the store closes the pools


def open_jobs(jobs: str | BackgroundJobs | None) -> BackgroundJobs | None:
    """The job engine for ``jobs`` (a PostgreSQL URL or an engine), else ``FIN_INFRA_JOBS_URL``; None: in-process."""
    if jobs is not None and not isinstance(jobs, str):
        return jobs
    url = (jobs or os.environ.get(JOBS_URL_ENV, "")).strip()
    if not url:
        return None
    from fin_infra.banking.background.queue import ProcrastinateJobs

    return ProcrastinateJobs(url)


@dataclass
class Mounted:
    router: APIRouter
    service: ConnectionService
    ledger: ConnectionsLedger | None
    startup: Callable[[], Awaitable[None]]
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def mount(
    *,
    providers: dict[str, BankingProvider],
    store: ConnectionStore,
    keys: Keyring,
    current_user: Callable[..., Any],
    prefix: str,
    tags: list[str] | None,
    history_store: BalanceStore,
    track_balances: bool,
    migrate: bool,
    jobs: BackgroundJobs | None = None,
) -> Mounted:
    store = BufferedAuditStore(store)  # audit entries written in batches, off the request path
    service = ConnectionService(store, providers, keys, history=history_store)
    ledger = attach_ledger(service, jobs)
    if jobs is not None and ledger is None:
        raise ValueError("jobs= queues ledger syncs: it needs connections in a SQL database (sqlite:// or postgresql://)")

    async def balance_store() -> BalanceStore:  # async: a plain def would cost a thread-pool hop per request
        return history_store

    router = build_connections_router(
        service,
        user_dependency(current_user),
        prefix=prefix,
        tags=tags,
        history_store=balance_store,
        track_balances=track_balances,
        ledger=ledger,
    )

    async def startup() -> None:
        await check_schema()
        if ledger is not None:
            await ledger.start_jobs()

    async def check_schema() -> None:
        if migrate:
            await store.create_schema()
            return
        database = getattr(store, "database", None)
        if isinstance(database, Database):
            from fin_infra.storage.migrate import current_revision, head_revision

            if await current_revision(database) != head_revision():
                raise RuntimeError(
                    f"the database {database!r} is not at fin-infra's newest schema: run "
                    "`python -m fin_infra db upgrade` (or add_banking(..., migrate=True))"
                )
            database.upgraded = True

    closers: list[Callable[[], Awaitable[None]]] = [ledger.aclose] if ledger is not None else []
    closers += [store.aclose, *(p.aclose for p in providers.values())]  # background syncs end first
    return Mounted(router, service, ledger, startup, closers)
