"""`add_banking(app)`: mount the banking routes, their own docs, and the provider's lifecycle."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.requests import Request
from starlette.responses import JSONResponse

from fin_infra import __version__
from fin_infra.banking import history
from fin_infra.banking.docs import mount_swagger_ui, serve_docs_offline
from fin_infra.banking.history.stores import BalanceStore
from fin_infra.banking.query import TransactionCache, make_cache
from fin_infra.banking.redaction import install_log_redaction
from fin_infra.banking.routes import build_banking_router
from fin_infra.banking.startup import check_cache_settings, checked_history_schema
from fin_infra.banking.webhooks import Webhooks, build_webhook_router
from fin_infra.providers.base import BankingProvider
from fin_infra.providers.registry import build_provider


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
    **provider_options: Any,
) -> BankingProvider:
    """Mount the banking API on ``app`` and return its provider.

    ``provider`` is a name (``"sandbox"``, ``"teller"``, ``"plaid"``, ``"finicity"``), a provider instance, or None to
    detect one from the environment. Routes: ``POST {prefix}/link``, ``POST {prefix}/exchange``,
    ``GET {prefix}/accounts|transactions|balances|identity|balance-history``, plus ``{prefix}/docs``
    and ``{prefix}/openapi.json`` for the banking routes alone. The provider is closed when the app
    shuts down, and stored on ``app.state.banking_provider``.

    With ``webhooks`` (a `Webhooks` holding the app's handlers), ``POST {prefix}/webhooks/plaid`` and
    ``POST {prefix}/webhooks/teller`` and ``POST {prefix}/webhooks/finicity`` are mounted too: verified,
    replay-safe, handlers run after the 200.

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

        >>> app = FastAPI()
        >>> banking = add_banking(app, provider="sandbox", database_url="sqlite:///history.db")
    """
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
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
    app.include_router(router, include_in_schema=include_in_schema)
    doc_routes = list(router.routes)
    if webhooks is not None:
        webhook_router = build_webhook_router(webhooks, prefix=prefix, tags=tags, provider=instance)
        app.include_router(webhook_router, include_in_schema=include_in_schema)
        doc_routes += webhook_router.routes
        app.state.banking_webhooks = webhooks
    _mount_docs(app, doc_routes, prefix, instance)
    if offline_docs:
        serve_docs_offline(app)
    closers: list[Callable[[], Awaitable[None]]] = [instance.aclose, store.aclose]  # the store reconnects if reused
    if transactions_cache is not None:
        closers.append(transactions_cache.aclose)
    _wrap_lifespan(app, close=closers, before=checked_history_schema(store.create_schema, setting, shown))
    app.state.balance_store = store
    install_log_redaction()

    app.state.banking_provider = instance
    providers = getattr(app.state, "banking_providers", None) or {}
    providers[prefix or "/"] = instance
    app.state.banking_providers = providers
    return instance


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
