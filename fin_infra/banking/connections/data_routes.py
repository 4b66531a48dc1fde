"""The data routes in connections mode: accounts, transactions, balances, identity, balance history.

Each takes ``connection_id`` (one of the current user's connections) instead of a token; without it,
it answers for every connection of the user: accounts of every bank, transactions merged and paged as
one list. Rows carry their ``connection_id``. A connection whose provider fails is listed under
``errors`` (its code and status) while the others are served: never a silent gap.

With a ledger (`ledger.ConnectionsLedger`), transactions and balances are answered from it (the body says
``"source": "ledger"``, each connection's ``status`` and ``last_synced_at``); ``?live=true`` asks the provider.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query
from starlette.requests import Request
from starlette.responses import Response

from fin_infra._json import dumps
from fin_infra.banking import history as history_module
from fin_infra.banking import problems
from fin_infra.banking.connections.data_models import (
    ConnectionAccountsResponse,
    ConnectionBalanceHistoryResponse,
    ConnectionBalancesResponse,
    ConnectionIdentitiesResponse,
    ConnectionTransactionsResponse,
)
from fin_infra.banking.connections.ids import DESCRIPTION, PATTERN
from fin_infra.banking.connections.ledger import ConnectionsLedger
from fin_infra.banking.connections.paging import merged_page, page_body
from fin_infra.banking.connections.service import ConnectionService
from fin_infra.banking.exceptions import AccountNotFoundError, BankingProviderError
from fin_infra.banking.history.stores import BalanceStore
from fin_infra.banking.history.summary import summarize_history
from fin_infra.banking.query import QueryError, TransactionQueryParams
from fin_infra.banking.query.index import TransactionIndex
from fin_infra.providers.base import BankingProvider
from fin_infra.providers.dates import window_start
from fin_infra.storage.records import AuditEvent, ConnectionRecord

log = logging.getLogger("fin_infra.banking.connections")
T = TypeVar("T")

ConnectionIdQuery = Annotated[
    str | None,
    Query(max_length=64, pattern=PATTERN.pattern, description=f"{DESCRIPTION}; omit it for every connection"),
]

LiveQuery = Annotated[
    bool, Query(description="ask the provider now instead of answering from the ledger's last sync (ledger mode)")
]


def _json(content: Any, status_code: int = 200) -> Response:
    return Response(dumps(content), status_code=status_code, media_type="application/json")


def _reason(request: Request) -> str:
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


def add_data_routes(
    router: APIRouter,
    service: ConnectionService,
    user: Callable[..., Awaitable[str]],
    *,
    history_store: Callable[[], Awaitable[BalanceStore]],
    track_balances: bool,
    responses: Callable[..., dict[int | str, dict[str, Any]]],
    ledger: ConnectionsLedger | None = None,
) -> None:
    """Add the data routes to ``router``."""
    current = Depends(
        user
    )  # a default, not an Annotated alias: FastAPI resolves string annotations in module globals only
    history_dependency = Depends(history_store)

    async def each(
        records: list[ConnectionRecord],
        reason: str,
        operation: Callable[[BankingProvider, str], Awaitable[T]],
        *,
        single: bool,
    ) -> tuple[list[tuple[ConnectionRecord, T]], list[dict[str, Any]]]:
        """Run ``operation`` on every connection at once; one asked for by id fails the request."""

        async def one(record: ConnectionRecord) -> T:
            return await service.call(record, reason, operation)

        outcomes = await asyncio.gather(*(one(r) for r in records), return_exceptions=True)
        done: list[tuple[ConnectionRecord, T]] = []
        errors: list[dict[str, Any]] = []
        for record, outcome in zip(records, outcomes, strict=True):
            if isinstance(outcome, BankingProviderError) and not single:
                fresh = await service.store.get(record.id)
                errors.append(
                    {
                        "connection_id": record.id,
                        "code": problems.route_code(outcome),
                        "provider_code": outcome.code,
                        "status": fresh.status if fresh else record.status,
                    }
                )
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                done.append((record, outcome))
        return done, errors

    async def record_history(items: list[Any], connection_id: str, store: BalanceStore) -> None:
        if not track_balances:
            return
        try:
            await history_module.atrack_balances(items, store=store, connection_id=connection_id)
        except Exception as exc:  # the live data is still served
            log.error("could not record balance history in %r: %s", store, type(exc).__name__)

    @router.get(
        "/accounts",
        summary="The current user's bank accounts, of one connection or all",
        response_model=ConnectionAccountsResponse,
        responses=responses("account_not_found"),
    )
    async def accounts(
        request: Request,
        *,
        user_id: str = current,
        connection_id: ConnectionIdQuery = None,
        store: BalanceStore = history_dependency,
    ) -> Response:
        records = await service.scope(user_id, connection_id)
        done, errors = await each(records, _reason(request), lambda p, t: p.get_accounts(t), single=bool(connection_id))
        rows: list[dict[str, Any]] = []
        for record, items in done:
            await service.refresh_accounts(record, items)
            await record_history(items, record.id, store)
            rows += [{"connection_id": record.id, **a.model_dump()} for a in items]
        return _json({"accounts": rows, "count": len(rows), "errors": errors})

    @router.get(
        "/balances",
        summary="Live balances of the current user's accounts, of one connection or all",
        response_model=ConnectionBalancesResponse,
        responses=responses("account_not_found"),
    )
    async def balances(
        request: Request,
        *,
        user_id: str = current,
        connection_id: ConnectionIdQuery = None,
        account_id: Annotated[str | None, Query(max_length=256)] = None,
        live: LiveQuery = False,
        store: BalanceStore = history_dependency,
    ) -> Response:
        records = await service.scope(user_id, connection_id)
        if account_id is not None:
            records = [r for r in records if any(a.id == account_id for a in r.accounts)]
            if not records:
                return problems.problem("account_not_found", "no account with that id in the user's connections")
        if ledger is not None and not live:
            synced = [
                {"connection_id": r.id, **b.model_dump()} for r in records for b in await ledger.balances(r, account_id)
            ]
            fresh = await ledger.freshness(records)
            return _json({"balances": synced, "count": len(synced), "errors": [], **fresh})
        done, errors = await each(
            records,
            _reason(request),
            lambda p, t: p.get_balances(t, account_id=account_id),
            single=bool(connection_id or account_id),
        )
        rows: list[dict[str, Any]] = []
        for record, items in done:
            await record_history(items, record.id, store)
            rows += [{"connection_id": record.id, **b.model_dump()} for b in items]
        return _json({"balances": rows, "count": len(rows), "errors": errors})

    @router.get(
        "/transactions",
        summary="Transactions of one connection or all, merged: filtered, sorted, one page at a time",
        description="Filters compose with AND; amounts bound the absolute amount, bounds included. "
        "Default order: newest first. Without connection_id every connection's transactions are one list.",
        response_model=ConnectionTransactionsResponse,
        responses=responses("account_not_found"),
    )
    async def transactions(
        request: Request,
        *,
        user_id: str = current,
        params: Annotated[TransactionQueryParams, Query()],
        connection_id: ConnectionIdQuery = None,
        live: LiveQuery = False,
    ) -> Response:
        try:
            q = params.to_query()
        except QueryError as exc:
            return problems.invalid_field(exc.field, exc.message)
        records = await service.scope(user_id, connection_id)
        if q.account_id is not None:
            records = [r for r in records if any(a.id == q.account_id for a in r.accounts)]
            if not records:
                return problems.problem("account_not_found", "no account with that id in the user's connections")
        extra = {"connection_id": connection_id} if connection_id else {}
        if ledger is not None and not live:
            rows, count, fresh = await ledger.transactions(records, q)
            body = page_body(rows, count, q, request.url.path, extra)
            return Response(body[:-1] + ',"errors":[],' + dumps(fresh)[1:], media_type="application/json")

        async def fetch(p: BankingProvider, t: str) -> TransactionIndex:
            return await p.transaction_queries.fetch(t, q)

        done, errors = await each(records, _reason(request), fetch, single=bool(connection_id))
        items, total = merged_page(q, [(record.id, index) for record, index in done])
        if live:
            extra["live"] = "true"
        body = page_body(items, total, q, request.url.path, extra)
        return Response(body[:-1] + ',"errors":' + dumps(errors) + "}", media_type="application/json")

    @router.get(
        "/identity",
        summary="Account owners' identity (PII) of one connection or all; every read is audited",
        response_model=ConnectionIdentitiesResponse,
        responses=responses(),
    )
    async def identity(
        request: Request, *, user_id: str = current, connection_id: ConnectionIdQuery = None
    ) -> Response:
        records = await service.scope(user_id, connection_id)
        reason = _reason(request)
        done, errors = await each(records, reason, lambda p, t: p.get_identity(t), single=bool(connection_id))
        for record, _ in done:
            await service.audit(record, "identity.read", reason)
        for error in errors:
            await service.store.append_audit(_failed_read(user_id, error["connection_id"], reason, str(error["code"])))
        rows = [{"connection_id": record.id, **ident.model_dump()} for record, ident in done]
        return _json({"identities": rows, "count": len(rows), "errors": errors})

    @router.get(
        "/balance-history",
        summary="Daily balance snapshots of one of the current user's accounts, with summary statistics",
        response_model=ConnectionBalanceHistoryResponse,
        responses=responses("account_not_found", "history_unavailable"),
    )
    async def balance_history(
        *,
        user_id: str = current,
        account_id: Annotated[str, Query(min_length=1, max_length=256)],
        connection_id: ConnectionIdQuery = None,
        start_date: Annotated[dt.date | None, Query()] = None,
        end_date: Annotated[dt.date | None, Query()] = None,
        store: BalanceStore = history_dependency,
    ) -> Response:
        end = end_date or dt.date.today()
        start = start_date or window_start(end)
        if start > end:
            return problems.invalid_field("start_date", "must not be after end_date")
        records = await service.scope(user_id, connection_id)
        owner = next((r for r in records if any(a.id == account_id for a in r.accounts)), None)
        if owner is None:
            raise AccountNotFoundError("no account with that id in the user's connections")
        try:
            snapshots = await history_module.aget_balance_history(
                account_id, start, end, store=store, connection_id=owner.id
            )
        except Exception as exc:
            log.error("could not read balance history from %r: %s", store, type(exc).__name__)
            return problems.problem("history_unavailable", "balance history can't be read right now; retry later")
        points = [{"date": s.date, "balance": s.balance, "currency": s.currency} for s in snapshots]
        return _json(
            {
                "account_id": account_id,
                "connection_id": owner.id,
                "history": points,
                "count": len(points),
                "start_date": start,
                "end_date": end,
                "summary": summarize_history(snapshots),
            }
        )


def _failed_read(user_id: str, connection_id: str, reason: str, code: str) -> AuditEvent:
    return AuditEvent(user_id, "identity.read", reason, code, connection_id)
