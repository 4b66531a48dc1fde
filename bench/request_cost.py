"""What a banking request costs in-process, next to a bare FastAPI route: ``python -m bench.request_cost``.

Both apps are called directly through ASGI (no client, no socket: only what the app itself costs), on
the sandbox provider with a warm transactions cache. The bare route is a FastAPI ``async def`` that
returns the very bytes our route answered, so the difference is our work: the access-token
dependencies, the provider call, the query and the JSON. Rounds alternate ours and bare so the shared
machine's drift hits both alike; the figure is the median per-request time over the rounds.

Judged: each route under 1.3x the bare route (the floor of what FastAPI costs). Printed under each: our
handler alone (the route's direct call, `fin_infra.banking.direct`, given a ready request: no routing),
the part of the difference that is our own work.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from fin_infra.banking import add_banking
from fin_infra.banking.direct import direct_call
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN

TARGET = 1.3
BATCH = 200
ROUNDS = 15
CASES = (("/banking/accounts", ""), ("/banking/transactions", "page_size=50"))

ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


def scope(
    path: str, query: str, token: str = DEMO_ACCESS_TOKEN, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode()),
                    *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())],
        "client": ("127.0.0.1", 1234),
        "server": ("bench", 80),
    }


async def call(
    app: ASGIApp, path: str, query: str, *, token: str = DEMO_ACCESS_TOKEN, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One GET straight into the ASGI app (no client, no socket), ``headers`` added: (status, body)."""
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app(scope(path, query, token, headers), receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def bare_app(routes: dict[str, bytes]) -> FastAPI:
    """Plain FastAPI: one ``async def`` per path, returning fixed bytes."""
    app = FastAPI()
    for path, body in routes.items():

        def endpoint(body: bytes = body) -> Callable[[], Awaitable[Response]]:
            async def bare() -> Response:
                return Response(body, media_type="application/json")

            return bare

        app.add_api_route(path, endpoint(), methods=["GET"])
    return app


def endpoint_direct_call(app: FastAPI, path: str) -> Any:
    """The direct call (`fin_infra.banking.direct`) of the banking route at ``path``."""
    stack: list[Any] = list(app.router.routes)
    while stack:
        route = stack.pop()
        if hasattr(route, "original_router"):  # an included router (FastAPI >= 0.16x)
            stack.extend(route.original_router.routes)
        elif getattr(route, "path", None) == path:
            found = direct_call(route.endpoint)
            if found is not None:
                return found
    raise SystemExit(f"no direct call for {path}")


async def handler_only(app: FastAPI, path: str, query: str) -> float:
    """Our handler alone, called with a ready request: token, query, provider/cache, JSON (no routing)."""
    direct = endpoint_direct_call(app, path).call
    request_scope = scope(path, query)
    start = time.perf_counter()
    for _ in range(BATCH):
        await direct(Request(dict(request_scope)))
    return (time.perf_counter() - start) / BATCH


async def per_request(app: ASGIApp, path: str, query: str) -> float:
    start = time.perf_counter()
    for _ in range(BATCH):
        await call(app, path, query)
    return (time.perf_counter() - start) / BATCH


async def measure() -> list[tuple[str, float, float]]:
    ours = FastAPI()
    add_banking(ours, provider="sandbox", cache_url="memory://", cache_ttl=600)
    bodies = {}
    for path, query in CASES:
        status, body = await call(ours, path, query)
        if status != 200:
            raise SystemExit(f"{path}?{query} answered {status}: {body[:200]!r}")
        bodies[path] = body
    bare = bare_app(bodies)
    for path, query in CASES:  # same bytes, or the comparison means nothing
        assert (await call(bare, path, query))[1] == bodies[path]
        await per_request(ours, path, query)  # warm-up
        await per_request(bare, path, query)
    out = []
    for path, query in CASES:
        mine, theirs, handler = [], [], []
        for _ in range(ROUNDS):
            mine.append(await per_request(ours, path, query))
            theirs.append(await per_request(bare, path, query))
            handler.append(await handler_only(ours, path, query))
        label = f"{path}{'?' + query if query else ''}"
        out.append((label, statistics.median(mine), statistics.median(theirs), statistics.median(handler)))
    return out


def main() -> int:
    results = asyncio.run(measure())
    print(f"in-process ASGI request cost, sandbox provider, median of {ROUNDS} rounds of {BATCH} requests")
    ok = True
    for label, mine, bare, handler in results:
        ratio = mine / bare
        passed = ratio < TARGET
        ok &= passed
        print(
            f"  {label:<40} ours {mine * 1e6:7.1f} us | bare FastAPI, same bytes {bare * 1e6:7.1f} us -> "
            f"{ratio:.2f}x (target < {TARGET}x: {'PASS' if passed else 'FAIL'})"
        )
        print(
            f"  {'':<40} our handler alone, given a ready request (token, query, provider and cache, JSON): "
            f"{handler * 1e6:5.1f} us; it takes the place of FastAPI's own handler, so the two don't add up"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
