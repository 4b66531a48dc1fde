"""The route class of the banking routers: domain errors become problem+json, never a 500 page."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, cast

import fastapi.routing
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from fin_infra.banking import problems, request_guard
from fin_infra.banking.connections.errors import ConnectionsError
from fin_infra.banking.direct import direct_call
from fin_infra.banking.exceptions import BankingProviderError, ProviderConfigurationError
from fin_infra.banking.security import MissingAccessTokenError


def _telemetry_reader() -> Callable[[], Any]:
    """FastAPI's request telemetry (newer versions): while it records, requests take FastAPI's own path."""
    try:
        module = importlib.import_module("fastapi.telemetry")
    except ImportError:  # pragma: no cover - older FastAPI
        return lambda: None
    return cast(Callable[[], Any], module.get_telemetry_data)


get_telemetry_data = _telemetry_reader()

log = logging.getLogger("fin_infra.banking")


class ProblemRoute(APIRoute):
    """Translate fin-infra errors raised by a banking route (or its dependencies) into RFC 9457 bodies.

    Only the banking routes use it, so the host app's own exception handlers are left alone.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = self.inner_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return problems.from_validation_error(exc)
            except HTTPException:
                raise  # the app's own dependencies (e.g. its auth behind current_user) answer for themselves
            except ConnectionsError as exc:
                if exc.code == "encryption_key_error":
                    log.error("%s %s: %s", request.method, request.url.path, exc.message)
                return problems.from_connections_error(exc)
            except MissingAccessTokenError as exc:
                return problems.problem("missing_access_token", str(exc), headers={"WWW-Authenticate": "Bearer"})
            except BankingProviderError as exc:
                log.warning(
                    "banking provider error on %s %s: %s code=%s request_id=%s",
                    request.method,
                    request.url.path,
                    type(exc).__name__,
                    exc.code,
                    exc.request_id,
                )
                return problems.from_provider_error(exc)
            except ProviderConfigurationError as exc:
                log.error("banking provider misconfigured: %s", exc)
                return problems.problem("provider_error", "the banking provider is not configured correctly")
            except ValidationError as exc:
                # Our models refused what a provider sent: the provider's fault, not the caller's.
                log.error(
                    "unexpected provider data on %s %s: %d validation error(s)",
                    request.method,
                    request.url.path,
                    exc.error_count(),
                )
                return problems.problem("invalid_response", "the banking provider returned data that could not be read")
            except ValueError as exc:
                # Input a provider refused before calling out (an unknown product, a bad option): the caller's.
                return problems.problem(
                    "validation_error", str(exc), errors=[{"field": "request", "message": str(exc)}]
                )
            except Exception:
                log.exception("unexpected error in banking route %s %s", request.method, request.url.path)
                return problems.problem("internal_error", "an unexpected error occurred; it has been logged")

        return handle

    def inner_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """What `get_route_handler` guards: FastAPI's handler (solving dependencies, calling the endpoint)."""
        return super().get_route_handler()


class BankingRoute(ProblemRoute):
    """`ProblemRoute` plus the input checks of `fin_infra.banking.request_guard`, run before FastAPI parses:
    unknown query parameters (422 naming the closest known one), and for routes with a JSON body a
    size cap (413), UTF-8 and a nesting limit (422)."""

    def inner_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().inner_handler()
        call = direct_call(self.endpoint)
        route: Any = self
        # FastAPI >= 0.16x builds an included route's handler with its inclusion (the app's extra dependencies,
        # its overrides) in this context variable; older versions copy the route with them on inclusion.
        context = getattr(fastapi.routing, "_effective_route_context_var", None)
        included = context.get() if context is not None else None
        if included is not None and getattr(included, "original_route", None) is self:
            route = included
        if call is None or not call.applies_to(route.dependant):
            return handler
        overrides = route.dependency_overrides_provider

        async def direct(request: Request) -> Response:
            # FastAPI's own path when an override or telemetry could make it differ (fin_infra.banking.direct)
            if (overrides is None or not getattr(overrides, "dependency_overrides", None)) and (
                get_telemetry_data() is None
            ):
                response = await call.call(request)
                if response is not None:
                    return response
            return await handler(request)

        return direct

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        query_check = request_guard.QueryCheck(request_guard.query_names(self.dependant))
        has_body = self.body_field is not None

        async def guard(request: Request) -> Response:
            unknown = query_check.unknown(request)
            if unknown:
                return _unknown_query_problem(unknown)
            if has_body:
                try:
                    body = await request_guard.read_capped(request)
                except request_guard.BodyTooLarge:
                    return problems.problem(
                        "payload_too_large", f"request bodies are limited to {request_guard.MAX_BODY_BYTES} bytes"
                    )
                except ClientDisconnect:
                    return Response(status_code=400)
                request._body = body  # what FastAPI reads next: the stream is consumed
                if body:
                    try:
                        request._json = request_guard.parse_json(body)
                    except request_guard.BadBody as exc:
                        return problems.invalid_field("body", str(exc))
            return await handler(request)

        return guard


def _unknown_query_problem(unknown: list[tuple[str, str | None]]) -> Response:
    errors = []
    for name, near in unknown:
        hint = f"; did you mean {near!r}?" if near else ""
        errors.append({"field": name[:100], "message": f"unknown query parameter{hint}"})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problems.problem("validation_error", detail, errors=errors)
