"""`add_banking(app)`: mount the banking routes, their own docs, and the provider's lifecycle."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.requests import Request
from starlette.responses import JSONResponse

from fin_infra import __version__
from fin_infra.banking import history
from fin_infra.banking.docs import mount_swagger_ui, serve_docs_offline
from fin_infra.banking.history.stores import BalanceStore
from fin_infra.banking.pages import ConnectPage, mount_pages, page_options
from fin_infra.banking.query import TransactionCache, make_cache
from fin_infra.banking.redaction import install_log_redaction
from fin_infra.banking.route_copy import include_routes
from fin_infra.banking.routes import build_banking_router
from fin_infra.banking.startup import check_cache_settings, checked_history_schema
from fin_infra.banking.webhooks import Webhooks, build_webhook_router
from fin_infra.providers.base import BankingProvider
from fin_infra.providers.registry import build_provider

if TYPE_CHECKING:
    from fin_infra.banking.background.protocol import BackgroundJobs
    from fin_infra.storage.connection_store import ConnectionStore


def add_banking(
    app: FastAPI,
    provider: str | BankingProvider | None = None,
    prefix: str = "/banking",
    *,
    tags: list[str] | None = None,
    include_in_schema: bool = True,
    webhooks: Webhooks | None = None,
    database_url: str | None = None,
    store: BalanceStore | None = None,
    track_balances: bool = False,
    cache_url: str | None = None,
    cache_ttl: float | None = None,
    transactions_cache: TransactionCache | None = None,
    offline_docs: bool = False,
    connections: str | ConnectionStore | None = None,
    current_user: Callable[..., Any] | None = None,
    providers: Sequence[str | BankingProvider] | None = None,
    encryption_keys: str | None = None,
    migrate: bool = True,
    jobs: str | BackgroundJobs | None = None,
    connect_page: bool | ConnectPage = False,
    **provider_options: Any,
) -> BankingProvider:
    """Mount the banking API on ``app`` and return its provider.

    ``provider`` is a name (``"sandbox"``, ``"teller"``, ``"plaid"``, ``"finicity"``), a provider instance, or None to
    detect one from the environment. Routes: ``POST {prefix}/link``, ``POST {prefix}/exchange``,
    ``GET {prefix}/accounts|transactions|balances|identity|balance-history``, plus ``{prefix}/docs``
    and ``{prefix}/openapi.json`` for the banking routes alone. The provider is closed when the app
    shuts down, and stored on ``app.state.banking_provider``.

    With ``webhooks`` (a `Webhooks` holding the app's handlers), ``POST {prefix}/webhooks/plaid``,
    ``/webhooks/teller``, ``/webhooks/finicity`` and ``/webhooks/mx`` are mounted too: verified, replay-safe,
    handlers run after the 200.

    Balance history is kept in ``store``, else in the database at ``database_url`` (``sqlite:///f.db``,
    ``postgresql://...``), else in the history module's default store (``FIN_INFRA_DATABASE_URL``, or
    memory). Its schema is created at startup (and on first use), its connections closed at shutdown;
    it is ``app.state.balance_store``. ``track_balances=True`` records a snapshot for every balance
    fetched through ``{prefix}/balances`` and ``{prefix}/accounts``.

    Fetched transaction ranges are cached so paging does not refetch: in ``transactions_cache``, else
    at ``cache_url`` (``redis://127.0.0.1:6379/0``, ``memory://``) for ``cache_ttl`` seconds (default
    120; 0 turns it off), else as ``FIN_INFRA_CACHE_URL`` / ``FIN_INFRA_CACHE_TTL`` say (memory, 120 s).

    ``{prefix}/docs`` loads Swagger UI from the installed package, never a CDN; ``offline_docs=True``
    makes the app's own ``/docs`` do the same (see `fin_infra.banking.docs.serve_docs_offline`).
    **Connections mode** (``connections=`` and ``current_user=``): the provider token never leaves the
    server. ``connections`` is a database URL (``sqlite:///app.db``, ``postgresql://...``, ``memory://``)
    or a store (default ``FIN_INFRA_DATABASE_URL``); ``current_user`` is any FastAPI dependency returning
    the app's user id. ``providers=["teller", "plaid"]`` (names or instances) serves several providers,
    chosen by the ``provider`` field of ``/link`` and ``/exchange`` (default: the first). Tokens are
    encrypted with ``FIN_INFRA_ENCRYPTION_KEYS`` (or ``encryption_keys=``); migrations run at startup
    unless ``migrate=False`` (then startup checks the schema is current). See `fin_infra.banking.connections`.
    Ledger syncs (after an exchange, on webhooks, ``POST {prefix}/connections/{id}/sync``) run in the app's
    process, unless ``jobs`` (a PostgreSQL URL, or a `BackgroundJobs`; default ``FIN_INFRA_JOBS_URL``) sends
    them to a queue that ``python -m fin_infra worker`` processes run (the ``jobs`` extra; `fin_infra.jobs`).
    ``connect_page=True`` (or a `ConnectPage`) also serves ``GET {prefix}/connect`` and ``GET {prefix}/overview``,
    pages where the user connects banks through the providers' widgets and sees accounts, transactions and
    balance charts (connections mode only; see `fin_infra.banking.pages`).

        >>> app = FastAPI()
        >>> banking = add_banking(app, provider="sandbox", database_url="sqlite:///history.db")
        >>> add_banking(app, providers=["teller", "plaid"], connections="sqlite:///app.db", current_user=get_user_id)
    """
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
    pages = page_options(connect_page)
    if connections is not None or current_user is not None or providers is not None:
        return _add_connections_mode(
            app,
            jobs=jobs,
            pages=pages,
            providers=list(providers) if providers is not None else [provider],
            connections=connections,
            current_user=current_user,
            encryption_keys=encryption_keys,
            migrate=migrate,
            prefix=prefix,
            tags=tags,
            include_in_schema=include_in_schema,
            webhooks=webhooks,
            database_url=database_url,
            store=store,
            track_balances=track_balances,
            cache_url=cache_url,
            cache_ttl=cache_ttl,
            transactions_cache=transactions_cache,
            offline_docs=offline_docs,
            provider_options=provider_options,
        )
    if jobs is not None:
        raise ValueError("jobs= queues ledger syncs, which connections mode keeps: add connections= and current_user=")
    if pages is not None:
        raise ValueError(
            "connect_page needs connections mode (connections= and current_user=): the page lists the current "
            "user's connections and never holds a provider token"
        )
    instance = provider if isinstance(provider, BankingProvider) else build_provider(provider, **provider_options)
    if store is not None and database_url is not None:
        raise ValueError("give add_banking either store= or database_url=, not both")
    if store is not None:
        setting, shown = "add_banking(store=...)", repr(store)
    elif database_url and database_url != os.environ.get(history.DATABASE_URL_ENV):
        setting, shown = "add_banking(database_url=...)", database_url
    else:
        setting, shown = history.DATABASE_URL_ENV, os.environ.get(history.DATABASE_URL_ENV, "").strip() or "memory://"
    if store is None:
        store = history.open_balance_store(database_url) if database_url else history.get_balance_store()
    if transactions_cache is None and (cache_url is not None or cache_ttl is not None):
        transactions_cache = make_cache(cache_url, ttl=cache_ttl)
    elif transactions_cache is None:
        check_cache_settings()  # the provider builds its cache from them on the first request
    router = build_banking_router(
        instance,
        prefix=prefix,
        tags=tags,
        history_store=store,
        track_balances=track_balances,
        transactions_cache=transactions_cache,
    )
    include_routes(app, router, include_in_schema=include_in_schema)
    _mount_webhooks_and_docs(app, list(router.routes), webhooks, instance, prefix=prefix, tags=tags,
                             include_in_schema=include_in_schema, offline_docs=offline_docs)  # fmt: skip
    closers: list[Callable[[], Awaitable[None]]] = [instance.aclose, store.aclose]  # the store reconnects if reused
    if transactions_cache is not None:
        closers.append(transactions_cache.aclose)
    _wrap_lifespan(app, close=closers, before=checked_history_schema(store.create_schema, setting, shown))
    app.state.balance_store = store
    install_log_redaction()

    app.state.banking_provider = instance
    registered: dict[str, BankingProvider] = getattr(app.state, "banking_providers", None) or {}
    registered[prefix or "/"] = instance
    app.state.banking_providers = registered
    return instance


def _add_connections_mode(
    app: FastAPI,
    *,
    pages: ConnectPage | None,
    providers: list[str | BankingProvider | None],
    connections: str | ConnectionStore | None,
    current_user: Callable[..., Any] | None,
    encryption_keys: str | None,
    migrate: bool,
    prefix: str,
    tags: list[str] | None,
    include_in_schema: bool,
    webhooks: Webhooks | None,
    database_url: str | None,
    store: BalanceStore | None,
    track_balances: bool,
    cache_url: str | None,
    cache_ttl: float | None,
    transactions_cache: TransactionCache | None,
    offline_docs: bool,
    provider_options: dict[str, Any],
    jobs: str | BackgroundJobs | None,
) -> BankingProvider:
    from fin_infra.banking.connections import mount
    from fin_infra.banking.connections.webhooks import track_health
    from fin_infra.crypto import Keyring

    if current_user is None:
        raise ValueError(
            "connections mode needs current_user=: a FastAPI dependency returning your app's user id "
            "(fin-infra never sees passwords; your auth decides who the user is)"
        )
    if store is not None and database_url is not None:
        raise ValueError("give add_banking either store= or database_url=, not both")
    keys = Keyring.parse(encryption_keys, source="encryption_keys") if encryption_keys else Keyring.from_env()
    instances = mount.resolve_providers(
        [p if p is not None else build_provider(None) for p in providers], **provider_options
    )
    connection_store = mount.open_connection_store(connections)
    if store is None:
        if database_url:
            store = history.open_balance_store(database_url)
        else:
            database = getattr(connection_store, "database", None)
            from fin_infra.storage import Database

            if isinstance(database, Database):  # one database for everything fin-infra keeps
                from fin_infra.banking.history.stores.sql import SQLBalanceStore

                store = SQLBalanceStore(database)
            else:
                store = history.get_balance_store()
    if transactions_cache is None and (cache_url is not None or cache_ttl is not None):
        transactions_cache = make_cache(cache_url, ttl=cache_ttl)
    if transactions_cache is not None:
        for instance in instances.values():
            instance.set_transactions_cache(transactions_cache)
    mounted = mount.mount(
        providers=instances,
        store=connection_store,
        keys=keys,
        current_user=current_user,
        prefix=prefix,
        tags=tags,
        history_store=store,
        track_balances=track_balances,
        migrate=migrate,
        jobs=mount.open_jobs(jobs),
    )
    include_routes(app, mounted.router, include_in_schema=include_in_schema)
    first = next(iter(instances.values()))
    if webhooks is not None:
        track_health(webhooks, mounted.service)
        if mounted.ledger is not None:  # transactions webhooks sync their connection's ledger in the background
            from fin_infra.banking.sync.triggers import sync_on_webhooks

            sync_on_webhooks(webhooks, mounted.ledger.sync, find=connection_store.find_by_item,
                             runner=mounted.ledger.runner, jobs=mounted.ledger.jobs)
    _mount_webhooks_and_docs(app, list(mounted.router.routes), webhooks, first, prefix=prefix, tags=tags,
                             include_in_schema=include_in_schema, offline_docs=offline_docs,
                             verifier=instances.get("plaid", first))  # fmt: skip
    if pages is not None:
        mount_pages(app, prefix=prefix, providers=instances, options=pages)
    closers = [*mounted.closers, store.aclose]
    if transactions_cache is not None:
        closers.append(transactions_cache.aclose)

    async def before() -> None:
        await mounted.startup()
        await store.create_schema()

    _wrap_lifespan(app, close=closers, before=before)
    app.state.balance_store = store
    app.state.banking_connections = mounted.service
    app.state.banking_ledger = mounted.ledger  # None unless the connections live in a SQL database
    install_log_redaction()
    app.state.banking_provider = first
    registered: dict[str, BankingProvider] = getattr(app.state, "banking_providers", None) or {}
    registered[prefix or "/"] = first
    app.state.banking_providers = registered
    return first


def _mount_docs(app: FastAPI, routes: list[Any], prefix: str, provider: BankingProvider) -> None:
    schema: dict[str, Any] | None = None
    openapi_path = f"{prefix}/openapi.json"

    async def openapi(request: Request) -> JSONResponse:
        nonlocal schema
        if schema is None:
            schema = get_openapi(
                title=f"{app.title} - banking",
                version=__version__,
                description=f"Bank accounts, transactions, balances and identity through the {provider.name} provider.",
                routes=routes,
            )
        root_path = request.scope.get("root_path", "")
        return JSONResponse({**schema, "servers": [{"url": root_path or "/"}]})

    app.add_api_route(openapi_path, openapi, include_in_schema=False, methods=["GET"])
    mount_swagger_ui(app, docs_url=f"{prefix}/docs", openapi_url=openapi_path, title=f"{app.title} - banking API")


def _mount_webhooks_and_docs(
    app: FastAPI,
    doc_routes: list[Any],
    webhooks: Webhooks | None,
    provider: BankingProvider,
    *,
    prefix: str,
    tags: list[str] | None,
    include_in_schema: bool,
    offline_docs: bool,
    verifier: BankingProvider | None = None,
) -> None:
    """The webhook routes (``verifier``: the provider whose credentials fetch Plaid's keys), then the docs of
    ``doc_routes`` and the webhook routes."""
    if webhooks is not None:
        webhook_router = build_webhook_router(webhooks, prefix=prefix, tags=tags, provider=verifier or provider)
        include_routes(app, webhook_router, include_in_schema=include_in_schema)
        doc_routes = [*doc_routes, *webhook_router.routes]
        app.state.banking_webhooks = webhooks
    _mount_docs(app, doc_routes, prefix, provider)
    if offline_docs:
        serve_docs_offline(app)


def _wrap_lifespan(
    app: FastAPI,
    *,
    close: list[Callable[[], Awaitable[None]]],
    before: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Chain onto the app's lifespan: run ``before`` ahead of the app's own startup (which may already
    read or seed history), and every ``close`` after its shutdown, even when shutdown fails."""
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        if before is not None:
            await before()
        async with AsyncExitStack() as stack:
            for closer in reversed(close):  # the stack unwinds last-in first-out; each runs even if one fails
                stack.push_async_callback(closer)
            async with previous(a) as state:
                yield state

    app.router.lifespan_context = lifespan
