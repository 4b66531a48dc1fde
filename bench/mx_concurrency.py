"""MX calls for every account cost about one round trip: ``python -m bench.mx_concurrency``.

The MX emulator runs in a child process (so its work doesn't share our interpreter lock) over HTTP on
127.0.0.1, adding 50 ms to every request; one member has 10 accounts. Printed, measured in one run (medians
of several rounds, connections warm):

- balances and transactions (30 days) of all 10 accounts through `MXClient`, each next to one round trip for
  the same data: a bare ``httpx`` GET of the member's accounts, of the member's transactions (one page of up to
  1000), judged against 2x. MX lists a member's accounts and transactions in one call each; the member's status
  is read alongside, concurrently (then trusted for ``status_cache_ttl`` seconds), so both are about one round
  trip. A year of transactions (several pages: the first, then the rest concurrently) and fresh balances
  (``check_balance``, a status poll, the read: three round trips in sequence) are printed for information;
- the median time our client adds to one request (``get_balances(token)``: token check, retry wrapper,
  JSON -> Decimal, models) over the bare GET of the same URL, judged against 10% of the request; printed also
  with no added latency.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench._child import median as median_of
from bench._child import serve_tuned, tuned_child
from fin_infra.providers.banking.mx import MXClient

LATENCY = 0.05
ACCOUNTS = 10
ROUNDS = 15


def serve() -> None:
    """The emulator side (child process): prints its environment and a token, serves until stdin closes."""
    from fin_infra.testing.mx import serve_mx_emulator

    with serve_mx_emulator() as mx:
        token = mx.create_access_token("bench-user", accounts=ACCOUNTS, seed="bench")
        member = mx.backend.members[mx.member_of(token)]
        path = f"/users/{member.user_guid}/members/{member.guid}/accounts"
        serve_tuned({"env": mx.env(), "token": token, "accounts_path": path}, mx.faults)


async def median(fn: Callable[[], Awaitable[Any]], rounds: int = ROUNDS) -> float:
    return await median_of(fn, rounds)


async def measure(ready: dict[str, Any], set_latency: Callable[[float], None]) -> bool:
    env, token = ready["env"], ready["token"]
    today = dt.date.today()
    month, year = today - dt.timedelta(days=30), today - dt.timedelta(days=365)
    ok = True
    async with MXClient.from_env(env, poll_interval=0.01) as client, httpx.AsyncClient(
        base_url=env["MX_BASE_URL"], auth=(env["MX_CLIENT_ID"], env["MX_API_KEY"]),
        headers={"Accept": "application/vnd.mx.api.v1+json"},
    ) as bare:  # fmt: skip

        def bare_get(path: str, params: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
            async def call() -> Any:
                response = await bare.get(path, params={**params, "records_per_page": 1000, "page": 1})
                response.raise_for_status()
                return response.json()

            return call

        one_round_trip = bare_get(ready["accounts_path"], {})
        txn_path = ready["accounts_path"].replace("/accounts", "/transactions")
        txn_round_trip = bare_get(txn_path, {"from_date": month.isoformat(), "to_date": today.isoformat()})

        assert len(await client.get_accounts(token)) == ACCOUNTS  # warms connections and the emulator's data
        await client.get_transactions(token, year, today)
        await one_round_trip()

        rt = await median(one_round_trip)
        figures = {
            "balances, 10 accounts": (await median(lambda: client.get_balances(token)), rt),
            "transactions, 30 days, 10 accounts": (
                await median(lambda: client.get_transactions(token, month, today)), await median(txn_round_trip)
            ),
        }
        extra = {
            "transactions, 365 days (pages)": await median(lambda: client.get_transactions(token, year, today), 5),
            "fresh balances (check_balance)": await median(lambda: client.get_balances(token, fresh=True), 5),
        }
        print(f"emulator latency {LATENCY * 1000:.0f} ms per request, {ACCOUNTS} accounts, median of {ROUNDS} rounds")
        for label, (seconds, base) in figures.items():
            ratio = seconds / base
            verdict = "PASS" if ratio < 2 else "FAIL"
            ok = ok and ratio < 2
            print(f"  {label:36} {seconds * 1000:6.1f} ms | one round trip for the same data {base * 1000:6.1f} ms "
                  f"-> {ratio:.2f}x (target < 2x: {verdict})")
        for label, seconds in extra.items():
            print(f"  {label:36} {seconds * 1000:6.1f} ms -> {seconds / rt:.2f}x one accounts round trip "
                  "(informational)")

        for latency in (LATENCY, 0.0):
            set_latency(latency)
            await one_round_trip()
            ours_t, bare_t = [], []
            for _ in range(40):  # interleaved, so drifts in the machine's load hit both alike
                bare_t.append(await median(one_round_trip, 1))
                ours_t.append(await median(lambda: client.get_balances(token), 1))
            ours, base = statistics.median(ours_t), statistics.median(bare_t)
            share = (ours - base) / base
            verdict = "PASS" if share < 0.10 else "FAIL"
            if latency:
                ok = ok and share < 0.10
            print(
                f"client overhead at {latency * 1000:.0f} ms latency: bare httpx {base * 1000:.2f} ms, "
                f"MXClient {ours * 1000:.2f} ms -> {(ours - base) * 1000:+.2f} ms per request ({share:+.1%}"
                + (f"; target < 10%: {verdict})" if latency else "; informational)")
            )
    return ok


def main() -> None:
    with tuned_child("bench.mx_concurrency") as (ready, set_latency):
        set_latency(LATENCY)
        ok = asyncio.run(measure(ready, set_latency))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
