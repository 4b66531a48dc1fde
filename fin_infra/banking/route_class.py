"""The route class of the banking routers: domain errors become problem+json, never a 500 page."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from fin_infra.banking import problems
from fin_infra.banking.connections.errors import ConnectionsError
from fin_infra.banking.exceptions import BankingProviderError, ProviderConfigurationError
from fin_infra.banking.security import MissingAccessTokenError

log = logging.getLogger("fin_infra.banking")


class ProblemRoute(APIRoute):
    """Translate fin-infra errors raised by a banking route (or its dependencies) into RFC 9457 bodies.

    Only the banking routes use it, so the host app's own exception handlers are left alone.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

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
            except ValidationError:
                # Our models refused what a provider sent: the provider's fault, not the caller's.
                log.exception("unexpected provider data on %s %s", request.method, request.url.path)
                return problems.problem("provider_error", "the banking provider returned data that could not be read")
            except ValueError as exc:
                # Input a provider refused before calling out (an unknown product, a bad option): the caller's.
                return problems.problem(
                    "validation_error", str(exc), errors=[{"field": "request", "message": str(exc)}]
                )
            except Exception:
                log.exception("unexpected error in banking route %s %s", request.method, request.url.path)
                return problems.problem("internal_error", "an unexpected error occurred; it has been logged")

        return handle
