"""What connections mode costs per request: ``python -m bench.connections``.

Judged by: resolving a connection (load its row + decrypt the token) must cost under 1 ms per request
and under 5% of a request to a provider's sandbox. Printed, on SQLite (a temp file) and PostgreSQL
(127.0.0.1, a throwaway schema) when reachable:

- resolution alone: load the row (from the database; and as data routes do, from the service's 2-second
  copy of it), check the owner, decrypt (AES-256-GCM), median of many;
- the same plus the audit entry each decryption writes (what a data route really adds);
- ``GET /banking/accounts`` on the sandbox provider (in process, no network: the worst case for the ratio)
  in pass-through mode (Bearer token) and with ``connection_id``, medians and their difference; the same
  with the app's ``current_user`` an ``async def`` (a plain ``def`` costs a thread-pool hop per request);
- the same route on the Plaid emulator over HTTP (a "sandbox request"); the overhead / that request.

Pass-through and connections requests are measured alternately, so load from other processes hits both
alike; the load average is printed with the figures (wall times on a busy machine are inflated).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Header

from fin_infra.banking import add_banking
from fin_infra.crypto import ENCRYPTION_KEYS_ENV, new_key
from fin_infra.providers.banking.sandbox import SandboxProvider
from fin_infra.testing import serve_plaid_emulator

N_RESOLVE = 2000
N_ROUTE = 400
TARGET_MS = 1.0
TARGET_SHARE = 0.05
POSTGRES_URL = os.environ.get("FIN_INFRA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def user(x_user: str = Header("bench")) -> str:
    return x_user


async def async_user(x_user: str = Header("bench")) -> str:
    return x_user


async def _median(fn: Callable[[], Awaitable[Any]], n: int) -> float:
    for _ in range(min(50, n)):  # warm up pools and caches
        await fn()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def _cpu(fn: Callable[[], Awaitable[Any]], n: int) -> float:
    """Our own CPU per call (this process, every thread): what the machine's load can't inflate much."""
    start = time.process_time()
    for _ in range(n):
        await fn()
    return (time.process_time() - start) / n


async def _paired(a: Callable[[], Awaitable[Any]], b: Callable[[], Awaitable[Any]], n: int) -> tuple[float, float]:
    """Medians of ``a`` and ``b`` measured alternately (so load drifting over the run hits both alike)."""
    for _ in range(min(20, n)):
        await a()
        await b()
    ta, tb = [], []
    for _ in range(n):
        start = time.perf_counter()
        await a()
        ta.append(time.perf_counter() - start)
        start = time.perf_counter()
        await b()
        tb.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


async def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")


async def bench_backend(label: str, url: str, plaid: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    sandbox = SandboxProvider()
    app = FastAPI()
    add_banking(app, providers=[sandbox, plaid.client()], connections=url, current_user=user)
    passthrough = FastAPI()
    add_banking(passthrough, provider=sandbox)
    plain_plaid = FastAPI()
    add_banking(plain_plaid, provider=plaid.client())
    async_app = FastAPI()  # the same database, the app's current_user an ``async def`` (no thread-pool hop)
    add_banking(async_app, providers=[sandbox, plaid.client()], connections=url, current_user=async_user)
    async with (
        app.router.lifespan_context(app),
        passthrough.router.lifespan_context(passthrough),
        plain_plaid.router.lifespan_context(plain_plaid),
        async_app.router.lifespan_context(async_app),
    ):
        if True:
            c, p, pp = await _client(app), await _client(passthrough), await _client(plain_plaid)
            ac = await _client(async_app)
            public = await sandbox.create_sandbox_public_token()
            token = (await sandbox.exchange_public_token(await sandbox.create_sandbox_public_token())).access_token
            cid = (await c.post("/banking/exchange", json={"public_token": public})).json()["connection"]["id"]
            plaid_public = plaid.create_public_token("ins_109508")
            pcid = (await c.post("/banking/exchange", json={"provider": "plaid", "public_token": plaid_public})).json()[
                "connection"
            ]["id"]
            plaid_token = plaid.create_access_token("ins_109510")
            service = app.state.banking_connections

            from fin_infra.storage.rotation import open_token

            async def resolve_cold() -> None:  # the row read from the database every time
                open_token(await service.get("bench", cid, fresh=True), service.keys)

            async def resolve() -> None:  # what a data route does: the row's recent copy (2 s), then decrypt
                open_token(await service.get("bench", cid), service.keys)

            async def resolve_audited() -> None:
                await service.token(await service.get("bench", cid), "bench")

            out["resolve_cold"] = await _median(resolve_cold, N_RESOLVE)
            out["resolve_cold_cpu"] = await _cpu(resolve_cold, N_RESOLVE)
            out["resolve"] = await _median(resolve, N_RESOLVE)
            out["resolve_audited"] = await _median(resolve_audited, N_RESOLVE)
            auth = {"Authorization": f"Bearer {token}"}
            out["pass"], out["conn"] = await _paired(
                lambda: p.get("/banking/accounts", headers=auth),
                lambda: c.get("/banking/accounts", params={"connection_id": cid}),
                N_ROUTE,
            )
            out["pass_again"], out["conn_async"] = await _paired(
                lambda: p.get("/banking/accounts", headers=auth),
                lambda: ac.get("/banking/accounts", params={"connection_id": cid}),
                N_ROUTE,
            )
            pauth = {"Authorization": f"Bearer {plaid_token}"}
            out["plaid_pass"], out["plaid_conn"] = await _paired(
                lambda: pp.get("/banking/accounts", headers=pauth),
                lambda: c.get("/banking/accounts", params={"connection_id": pcid}),
                N_ROUTE // 4,
            )
            for client in (c, p, pp, ac):
                await client.aclose()
    ms = {k: v * 1e3 for k, v in out.items()}
    load = os.getloadavg()[0]
    print(f"[{label}]  (load average {load:.1f} on {os.cpu_count()} CPUs while measuring)")
    print(f"  resolve, row read from the database + decrypt:   {ms['resolve_cold']:7.3f} ms")
    print(f"    of which our own CPU:                          {ms['resolve_cold_cpu']:7.3f} ms")
    print(f"  resolve as a data route does (recent row copy):  {ms['resolve']:7.3f} ms  (target < {TARGET_MS} ms)")
    print(f"  resolve + audit entry (what a data route adds):  {ms['resolve_audited']:7.3f} ms")
    extra = ms["conn"] - ms["pass"]
    print(f"  GET /accounts sandbox, pass-through:             {ms['pass']:7.3f} ms")
    print(f"  GET /accounts sandbox, connection_id:            {ms['conn']:7.3f} ms  (+{extra:.3f} ms)")
    print(
        f"    the same, the app's current_user async:        {ms['conn_async']:7.3f} ms  "
        f"(+{ms['conn_async'] - ms['pass_again']:.3f} ms; the rest of the above is the app's plain-def "
        "dependency's thread-pool hop)"
    )
    pextra = ms["plaid_conn"] - ms["plaid_pass"]
    print(f"  GET /accounts Plaid emulator, pass-through:      {ms['plaid_pass']:7.3f} ms")
    print(f"  GET /accounts Plaid emulator, connection_id:     {ms['plaid_conn']:7.3f} ms  (+{pextra:.3f} ms)")
    print(
        f"  resolve / Plaid sandbox request = {ms['resolve'] / ms['plaid_pass']:.3%}; "
        f"resolve + audit / it = {ms['resolve_audited'] / ms['plaid_pass']:.3%} (target < {TARGET_SHARE:.0%})"
    )
    return ms


async def _postgres_schema() -> str | None:
    try:
        import asyncpg

        conn = await asyncpg.connect(POSTGRES_URL, timeout=3)
        await conn.close()
    except Exception as exc:
        print(f"[postgresql] skipped: {type(exc).__name__}")
        return None
    return f"bench_conn_{os.getpid()}_{uuid.uuid4().hex[:8]}"


async def _drop(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_URL, timeout=3)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def run() -> bool:
    os.environ.setdefault(ENCRYPTION_KEYS_ENV, new_key("bench"))
    results = []
    with tempfile.TemporaryDirectory() as tmp, serve_plaid_emulator() as plaid:
        results.append(await bench_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", plaid))
        schema = await _postgres_schema()
        if schema:
            try:
                plaid.reset()
                results.append(await bench_backend("postgresql", f"{POSTGRES_URL}?schema={schema}", plaid))
            finally:
                await _drop(schema)
    return all(r["resolve"] < TARGET_MS and r["resolve"] / r["plaid_pass"] < TARGET_SHARE for r in results)


if __name__ == "__main__":
    ok = asyncio.run(run())
    if not ok:
        print("missed: resolution over 1 ms or over 5% of a sandbox request")
        sys.exit(1)
