"""Direct calls: a hot banking route answered without FastAPI's generic dependency solving.

For ``GET /accounts`` and ``GET /transactions`` FastAPI's per-request work (walking the dependency
tree, collecting and validating each query parameter one field at a time) cost more than everything
the route itself does (bench/request_cost.py). A route marked `direct` is called straight from the
request instead: its access token read by the same `ProviderAccessToken` its dependency declares, its
query model validated from the query string in one ``model_validate`` (what FastAPI validates too: the
last value of each parameter), and then the same endpoint function with the same arguments.

FastAPI's path still answers whenever the direct one could differ from it: the query doesn't validate
(FastAPI builds the 422 naming the field), the app overrides dependencies or added its own to the
router's inclusion, or FastAPI's telemetry is recording the request. Behaviour is the same either way
(tests/test_direct_routes.py).

    >>> from fin_infra.banking.security import require_access_token
    >>> @direct(require_access_token)
    ... async def accounts(token: str) -> None: ...
    >>> hasattr(accounts, DIRECT_ATTRIBUTE)
    True
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.dependencies.models import Dependant
from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from fin_infra.banking.recent import Recent, keepable_query
from fin_infra.banking.security import ProviderAccessToken

DIRECT_ATTRIBUTE = "__fin_infra_direct__"
_REMEMBERED_QUERIES = 512  # per route
_INVALID: Any = object()  # query parameters that don't validate
E = TypeVar("E", bound=Callable[..., Awaitable[Response]])


@dataclass(frozen=True)
class DirectCall:
    """How to call an endpoint straight from a request; ``token`` is the one dependency it reads."""

    token: ProviderAccessToken
    call: Callable[[Request], Awaitable[Response | None]]

    def applies_to(self, dependant: Dependant) -> bool:
        """Whether ``dependant`` (the route as included, with any dependencies the app added) is the one
        this call was written for: its only dependency is ``token``; else FastAPI's path serves it."""
        return [d.call for d in dependant.dependencies] == [self.token]


def direct(
    token: ProviderAccessToken,
    *,
    token_arg: str = "token",  # noqa: S107 - an argument name
    params: tuple[str, type[BaseModel]] | None = None,
    request_arg: str | None = None,
) -> Callable[[E], E]:
    """Mark an ``async`` endpoint as callable directly: ``token_arg`` is read through ``token``,
    ``params`` is ``(argument, model)`` for a ``Query()`` model, ``request_arg`` receives the request.
    Put it under the router's decorator (it must be on the function before the route is built)."""
    if params is not None and params[1].model_config.get("extra") in ("allow", "forbid"):
        raise TypeError("a query model that allows or forbids extra parameters sees them all: not direct")
    fields = frozenset(params[1].model_fields) if params is not None else frozenset()

    def attach(endpoint: E) -> E:
        # query string -> its validated parameters (None: no parameters model; _INVALID), for query strings
        # seen lately. The models are frozen, so one serves every request with that string.
        seen: Recent[bytes, BaseModel | None] = Recent(_REMEMBERED_QUERIES)

        def validate(raw: bytes, query: QueryParams) -> BaseModel | None:
            found: BaseModel | None = None
            if params is not None:
                try:
                    found = params[1].model_validate({k: v for k, v in query.items() if k in fields})
                except ValidationError:
                    found = _INVALID
            if keepable_query(raw, query):
                seen.remember(raw, found)
            return found

        async def call(request: Request) -> Response | None:
            raw: bytes = request.scope.get("query_string", b"")
            model = seen.get(raw, _INVALID)
            if model is _INVALID:  # not seen lately (or invalid): parse it, and read a deprecated ?access_token=
                query = request.query_params
                kwargs: dict[str, Any] = {token_arg: token.resolve(request, query.get("access_token"))}
                model = validate(raw, query)
            else:  # a remembered string names no access token
                kwargs = {token_arg: token.resolve(request, None)}
            if model is _INVALID:
                return None  # FastAPI's path words the 422
            if request_arg is not None:
                kwargs[request_arg] = request
            if params is not None:
                kwargs[params[0]] = model
            return await endpoint(**kwargs)

        setattr(endpoint, DIRECT_ATTRIBUTE, DirectCall(token, call))
        return endpoint

    return attach


def direct_call(endpoint: Callable[..., Any]) -> DirectCall | None:
    """The direct call `direct` attached to ``endpoint``, if any."""
    return getattr(endpoint, DIRECT_ATTRIBUTE, None)
