"""`include_routes`: a router's routes added to the app itself, as ``include_router`` did before FastAPI 0.16x.

Newer FastAPI keeps an included router as one entry of the app's routes and matches a request against
its routes twice (once to find the router, once inside it): on our hot routes that alone cost about as
much as a whole bare FastAPI request (bench/request_cost.py). Each route is re-created on the app
with every setting it was declared with (FastAPI's own ``add_api_route``, the route's class kept), so
the app's dependency overrides, OpenAPI schema and behaviour are those of the included router
(tests/test_direct_routes.py compares the schemas). A router holding anything but API routes (a mount,
a websocket) is included the usual way.
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

_SKIPPED = {"self", "path", "endpoint", "route_class_override", "include_in_schema"}


def _settings() -> tuple[str, ...]:
    names = inspect.signature(APIRouter.add_api_route).parameters
    return tuple(name for name in names if name not in _SKIPPED)


_SETTINGS = _settings()


def include_routes(app: FastAPI, router: APIRouter, *, include_in_schema: bool = True) -> None:
    """Add ``router``'s routes (declared with their full paths: a router built with its ``prefix``) to ``app``."""
    if router.on_startup or router.on_shutdown or not all(isinstance(r, APIRoute) for r in router.routes):
        app.include_router(router, include_in_schema=include_in_schema)
        return
    for route in router.routes:
        assert isinstance(route, APIRoute)
        settings: dict[str, Any] = {name: getattr(route, name) for name in _SETTINGS if hasattr(route, name)}
        app.router.add_api_route(
            route.path,
            route.endpoint,
            include_in_schema=route.include_in_schema and include_in_schema,
            route_class_override=type(route),
            **settings,
        )
