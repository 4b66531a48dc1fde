"""The routes of connections mode: link and exchange (with a ``provider`` field), the user's
connections (list, show, delete, reconnect), and the data routes (see `data_routes`).

    POST   {prefix}/link                              {"provider": "plaid", ...}  -> link token / Connect settings
    POST   {prefix}/exchange                          -> 201 {"connection": {...}} (the token stays on the server)
    GET    {prefix}/connections                       -> {"connections": [...], "count": n}
    GET    {prefix}/connections/{id}                  -> {"connection": {...}}
    DELETE {prefix}/connections/{id}[?purge=true]     -> 204 (removed at the provider too)
    POST   {prefix}/connections/{id}/reconnect        -> the update-mode link
    POST   {prefix}/connections/{id}/sync             -> 202: a ledger sync starts in the background

With a ledger (the connection store is a SQL database), each exchange starts the connection's first sync
in the background, and ``GET {prefix}/connections/{id}`` shows its ``sync`` state (last_synced_at, the
current or last run's progress and outcome).

Another user's connection id is 404, exactly like an unknown one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from starlette.requests import Request
from starlette.responses import Response

from fin_infra._json import dumps
from fin_infra.banking import problems
from fin_infra.banking.connections.data_routes import add_data_routes
from fin_infra.banking.connections.ids import DESCRIPTION, PATTERN
from fin_infra.banking.connections.ledger import ConnectionsLedger
from fin_infra.banking.connections.models import (
    Connection,
    ConnectionExchangeRequest,
    ConnectionLinkRequest,
    ConnectionResponse,
    ConnectionsResponse,
    ReconnectRequest,
    SyncAccepted,
)
from fin_infra.banking.connections.service import ConnectionService
from fin_infra.banking.history.stores import BalanceStore
from fin_infra.banking.route_class import ProblemRoute
from fin_infra.models import LinkToken

PROVIDER_ERRORS = (
    "not_authenticated",
    "invalid_credentials",
    "item_login_required",
    "rate_limited",
    "provider_unavailable",
    "provider_error",
    "validation_error",
    "connection_not_found",
)
ConnectionIdPath = Annotated[str, Path(max_length=64, pattern=PATTERN.pattern, description=DESCRIPTION)]


def _json(content: Any, status_code: int = 200) -> Response:
    return Response(dumps(content), status_code=status_code, media_type="application/json")


def _responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    for code in (*PROVIDER_ERRORS, *codes):
        status, title = problems.PROBLEMS[code]
        entry = out.setdefault(status, {"description": "", "content": {problems.PROBLEM_JSON: {}}})
        entry["description"] = (entry["description"] + f"; `{code}`: {title}").lstrip("; ")
    return out


def _reason(request: Request) -> str:
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


def build_connections_router(
    service: ConnectionService,
    user: Callable[..., Awaitable[str]],
    *,
    prefix: str = "/banking",
    tags: list[str] | None = None,
    history_store: Callable[[], Awaitable[BalanceStore]],
    track_balances: bool = False,
    ledger: ConnectionsLedger | None = None,
) -> APIRouter:
    """The banking router of connections mode (``user``: the dependency giving the current user id)."""
    router = APIRouter(prefix=prefix, tags=list(tags or ["banking"]), route_class=ProblemRoute)
    current = Depends(
        user
    )  # a default, not an Annotated alias: FastAPI resolves string annotations in module globals only

    @router.post(
        "/link",
        response_model=LinkToken,
        summary="Start connecting a bank for the current user (Plaid Link token, Teller Connect settings)",
        responses=_responses(),
    )
    async def create_link(*, user_id: str = current, body: ConnectionLinkRequest) -> Response:
        return _json(await service.link(user_id, body.provider, body.options()))

    @router.post(
        "/exchange",
        status_code=201,
        response_model=ConnectionResponse,
        summary="Store what the connect widget returned as a connection of the current user",
        description="The access token is encrypted and kept on the server; the answer names the connection. "
        "The same login again (update mode) refreshes it (200); another login to an already connected bank "
        "is 409 naming the existing connection.",
        responses=_responses("duplicate_connection", "provider_not_configured"),
    )
    async def exchange(*, user_id: str = current, body: Annotated[ConnectionExchangeRequest, Body()]) -> Response:
        record, created = await service.exchange(user_id, body.provider, body.payload())
        if ledger is not None:  # the first sync (or, after a re-login, the next one) in the background
            await ledger.start(record.id, "exchange")
        return _json({"connection": Connection.of(record)}, 201 if created else 200)

    @router.get(
        "/connections",
        response_model=ConnectionsResponse,
        summary="The current user's bank connections and their health",
        responses=_responses(),
    )
    async def list_connections(*, user_id: str = current) -> Response:
        rows = [Connection.of(r) for r in await service.connections(user_id)]
        return _json({"connections": rows, "count": len(rows)})

    @router.get(
        "/connections/{connection_id}",
        response_model=ConnectionResponse,
        summary="One of the current user's connections",
        responses=_responses(),
    )
    async def get_connection(*, user_id: str = current, connection_id: ConnectionIdPath) -> Response:
        connection = Connection.of(await service.get(user_id, connection_id, fresh=True))
        if ledger is not None:
            connection = connection.model_copy(update={"sync": await ledger.status(connection_id)})
        return _json({"connection": connection})

    @router.delete(
        "/connections/{connection_id}",
        status_code=204,
        summary="Disconnect: remove the item at the provider and delete the stored token",
        description="`purge=true` also deletes what fin-infra keeps for the connection (balance history, its "
        "ledger). "
        "An item the provider no longer knows counts as removed.",
        responses=_responses(),
    )
    async def delete_connection(
        request: Request,
        *,
        user_id: str = current,
        connection_id: ConnectionIdPath,
        purge: Annotated[bool, Query(description="also delete the connection's stored data")] = False,
    ) -> Response:
        if ledger is not None:  # a sync running in this process ends first: it would write after the purge
            await ledger.settle((await service.get(user_id, connection_id, fresh=True)).id)
        await service.delete(user_id, connection_id, _reason(request), purge=purge)
        if ledger is not None and purge:
            await ledger.purge(connection_id)
        return Response(status_code=204)

    @router.post(
        "/connections/{connection_id}/reconnect",
        response_model=LinkToken,
        summary="The update-mode link to repair a connection (Plaid link token with the item, Teller enrollment)",
        description="After the user finishes it, the connection's next successful call sets its status to ok.",
        responses=_responses(),
    )
    async def reconnect(
        request: Request,
        *,
        user_id: str = current,
        connection_id: ConnectionIdPath,
        body: Annotated[ReconnectRequest | None, Body()] = None,
    ) -> Response:
        options = body.options() if body is not None else {}
        return _json(await service.reconnect(user_id, connection_id, _reason(request), options))

    if ledger is not None:

        @router.post(
            "/connections/{connection_id}/sync",
            status_code=202,
            response_model=SyncAccepted,
            summary="Bring the connection's ledger up to date now (in the background)",
            description="Answers at once; `GET /connections/{id}` shows the run's progress and outcome. A sync "
            "already running for the connection runs once more instead of a second one in parallel.",
            responses=_responses(),
        )
        async def sync_connection(*, user_id: str = current, connection_id: ConnectionIdPath) -> Response:
            record = await service.get(user_id, connection_id, fresh=True)  # another user's id: 404
            await ledger.start(record.id, "manual")
            return _json({"connection_id": record.id, "sync": "started"}, 202)

    add_data_routes(
        router,
        service,
        user,
        history_store=history_store,
        track_balances=track_balances,
        responses=_responses,
        ledger=ledger,
    )
    return router
