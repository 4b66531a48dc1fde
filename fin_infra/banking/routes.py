"""The banking router factory: link, exchange, accounts, transactions, balances, identity, history."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from starlette.requests import Request
from starlette.responses import Response

from fin_infra._json import dumpb
from fin_infra.banking import history as history_module
from fin_infra.banking import problems
from fin_infra.banking.direct import direct
from fin_infra.banking.history.stores import BalanceStore
from fin_infra.banking.history.summary import summarize_history
from fin_infra.banking.query import QueryError, TransactionCache, TransactionQueryParams
from fin_infra.banking.query.params import IsoDate
from fin_infra.banking.query.response import page_body
from fin_infra.banking.route_class import BankingRoute
from fin_infra.banking.schemas import (
    AccountsResponse,
    BalanceHistoryResponse,
    BalancesResponse,
    ExchangeRequest,
    LinkRequest,
    TransactionsResponse,
)
from fin_infra.banking.security import AccessToken, OptionalAccessToken, require_access_token
from fin_infra.models import Identity, LinkToken, TokenExchange
from fin_infra.providers.base import BankingProvider
from fin_infra.providers.dates import window_start

log = logging.getLogger("fin_infra.banking")


def json_response(content: Any, status_code: int = 200) -> Response:
    """A JSON response with money as exact numbers."""
    return Response(dumpb(content), status_code=status_code, media_type="application/json")


def _first_line(exc: BaseException) -> str:
    # Drivers append the SQL parameters (balances, account ids) after the first line: keep them out of logs.
    return (str(exc).splitlines() or [""])[0][:200]


_problem_docs = problems.openapi_responses


def _url_path(request: Request) -> str:
    """``request.url.path`` without parsing the whole URL (the same text: Starlette escapes only these)."""
    path: str = request.scope["path"]
    return request.url.path if "?" in path or "#" in path or "\\" in path else path


BODY_ERRORS = ("payload_too_large",)
PROVIDER_ERRORS = (
    "missing_access_token",
    "invalid_credentials",
    "item_login_required",
    "rate_limited",
    "provider_unavailable",
    "provider_error",
    "invalid_response",
    "validation_error",
)


def build_banking_router(
    provider: BankingProvider,
    *,
    prefix: str = "/banking",
    tags: list[str] | None = None,
    history_store: BalanceStore | None = None,
    track_balances: bool = False,
    transactions_cache: TransactionCache | None = None,
) -> APIRouter:
    """An `APIRouter` serving ``provider`` under ``prefix``. `add_banking` includes it into an app.

    ``history_store`` serves ``/balance-history`` (default: the history module's default store);
    with ``track_balances`` every balance fetched through ``/balances`` or ``/accounts`` is recorded.
    ``transactions_cache`` keeps fetched transaction ranges for paging (default: the provider's, from the
    environment: see `fin_infra.banking.query.cache_from_env`).
    """
    router = APIRouter(prefix=prefix, tags=list(tags or ["banking"]), route_class=BankingRoute)

    async def balance_store() -> BalanceStore:  # async: no thread-pool hop per request
        return history_store if history_store is not None else history_module.get_balance_store()

    # a default, not an Annotated alias: FastAPI resolves string annotations in module globals only
    history_dependency = Depends(balance_store)

    async def record(items: list[Any]) -> None:
        if not track_balances:
            return
        store = await balance_store()  # here, not as the routes' dependency: each one FastAPI solves costs a lot
        try:
            await history_module.atrack_balances(items, store=store)
        except Exception as exc:
            # the live balances are still served; a history outage must not take them down with it.
            log.error("could not record balance history in %r: %s: %s", store, type(exc).__name__, _first_line(exc))

    @router.post(
        "/link",
        response_model=LinkToken,
        summary="Start connecting a bank (Plaid Link token, Teller Connect settings)",
        responses=_problem_docs(*PROVIDER_ERRORS, *BODY_ERRORS),
    )
    async def create_link(body: LinkRequest, token: OptionalAccessToken) -> Response:
        update_token = token or body.access_token
        link = await provider.create_link_token(body.user_id, access_token=update_token, **body.options())
        return json_response(link)

    @router.post(
        "/exchange",
        response_model=TokenExchange,
        summary="Exchange what the connect widget returned for a long-lived access token",
        description="The response holds the access token: store it encrypted on your server, never in a browser. "
        "Send `public_token`, or Teller Connect's `accessToken` with its `enrollment`.",
        responses=_problem_docs(*PROVIDER_ERRORS, *BODY_ERRORS),
    )
    async def exchange(body: Annotated[ExchangeRequest, Body()]) -> Response:
        result = await provider.exchange_public_token(body.payload())
        return json_response(result)

    @router.get(
        "/accounts",
        response_model=AccountsResponse,
        summary="The user's bank accounts",
        responses=_problem_docs(*PROVIDER_ERRORS),
    )
    @direct(require_access_token)
    async def accounts(token: AccessToken) -> Response:
        items = await provider.get_accounts(token)
        await record(items)
        return json_response({"accounts": items, "count": len(items)})

    if transactions_cache is not None:
        provider.set_transactions_cache(transactions_cache)

    @router.get(
        "/transactions",
        response_model=TransactionsResponse,
        summary="Transactions in a date range: filtered, sorted, one page at a time",
        description="Filters compose with AND; amounts bound the absolute amount, bounds included. "
        "Default order: newest first. A page past the end is empty, with the right `total`. "
        "Rules across parameters (a 422 names the field): `start_date` <= `end_date`, `min_amount` <= `max_amount`; "
        "an unknown parameter is a 422 too.",
        openapi_extra={"x-fin-infra-rules": ["start_date <= end_date", "min_amount <= max_amount"]},
        responses=_problem_docs(*PROVIDER_ERRORS, "account_not_found"),
    )
    @direct(require_access_token, params=("params", TransactionQueryParams), request_arg="request")
    async def transactions(
        request: Request, token: AccessToken, params: Annotated[TransactionQueryParams, Query()]
    ) -> Response:
        try:
            query = params.to_query()
        except QueryError as exc:
            return problems.invalid_field(exc.field, exc.message)
        result = await provider.transaction_queries.run(token, query)
        return Response(page_body(result, _url_path(request)), media_type="application/json")

    @router.get(
        "/balances",
        response_model=BalancesResponse,
        summary="Live balances of every account",
        responses=_problem_docs(*PROVIDER_ERRORS, "account_not_found"),
    )
    async def balances(
        token: AccessToken,
        account_id: Annotated[str | None, Query(max_length=256)] = None,
    ) -> Response:
        items = await provider.get_balances(token, account_id=account_id)
        await record(items)
        return json_response({"balances": items, "count": len(items)})

    @router.get(
        "/identity",
        response_model=Identity,
        summary="Account owners' identity (PII)",
        responses=_problem_docs(*PROVIDER_ERRORS),
    )
    async def identity(token: AccessToken) -> Response:
        return json_response(await provider.get_identity(token))

    @router.get(
        "/balance-history",
        response_model=BalanceHistoryResponse,
        summary="Daily balance snapshots of one account, with summary statistics",
        description="Rules across parameters (a 422 names the field): `start_date` <= `end_date`.",
        openapi_extra={"x-fin-infra-rules": ["start_date <= end_date"]},
        responses=_problem_docs(*PROVIDER_ERRORS, "account_not_found", "history_unavailable"),
    )
    async def balance_history(
        token: AccessToken,
        account_id: Annotated[str, Query(min_length=1, max_length=256)],
        start_date: Annotated[
            IsoDate | None, Query(description="first day, YYYY-MM-DD (default: 30 days before end_date); <= end_date")
        ] = None,
        end_date: Annotated[IsoDate | None, Query(description="last day, YYYY-MM-DD (default: today)")] = None,
        store: BalanceStore = history_dependency,
    ) -> Response:
        end = end_date or dt.date.today()
        start = start_date or window_start(end)
        if start > end:
            return problems.invalid_field("start_date", "must not be after end_date")
        # Only accounts this token can see: history can't be read by guessing ids.
        visible = {a.id for a in await provider.get_accounts(token)}
        if account_id not in visible:
            return problems.problem("account_not_found", "no account with that id for this access token")
        try:
            snapshots = await history_module.aget_balance_history(account_id, start, end, store=store)
        except Exception as exc:
            log.error("could not read balance history from %r: %s: %s", store, type(exc).__name__, _first_line(exc))
            return problems.problem("history_unavailable", "balance history can't be read right now; retry later")
        points = [{"date": s.date, "balance": s.balance, "currency": s.currency} for s in snapshots]
        return json_response(
            {
                "account_id": account_id,
                "history": points,
                "count": len(points),
                "start_date": start,
                "end_date": end,
                "summary": summarize_history(snapshots),
            }
        )

    return router
