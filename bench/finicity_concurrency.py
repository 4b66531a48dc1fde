"""Per-account Finicity calls run concurrently: ``python -m bench.finicity_concurrency``.

The Finicity emulator runs in a child process (so its work doesn't share our interpreter lock) over HTTP on
127.0.0.1, adding 50 ms to every request; one customer has connected one bank login with 10 accounts.
Printed, measured in one run (medians of several rounds, connections and the partner token warm), each
next to one round trip (a bare ``httpx`` GET of one account's live balance, the same 50 ms), target < 2x:

- balances of all 10 accounts as Finicity last aggregated them (one call), and live
  (``…/availableBalance/live`` for each account, concurrently: warm, the account list is kept for
  ``account_cache_ttl`` seconds; cold, list + fan-out, is printed too);
- transactions of all 10 accounts over 30 days (the account list and the first page concurrently; the
  remaining pages, if any, concurrently once ``found`` is known);
- the median time our client adds to one request (``get_balances(token, account_id=..., live=True)``: token
  checks, partner-token headers, retry wrapper, JSON -> Decimal, model) over the bare GET with the same headers,
  judged against 10% of the request; printed also with no added latency.
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
from fin_infra.providers.banking.finicity import FinicityClient, read_access_token

LATENCY = 0.05
ACCOUNTS = 10
ROUNDS = 15


def serve() -> None:
    """The emulator side (child process): prints its environment and a token, serves until stdin closes."""
    from fin_infra.testing.finicity import serve_finicity_emulator

    with serve_finicity_emulator() as finicity:
        token = finicity.create_access_token(accounts=ACCOUNTS)
        serve_tuned({"env": finicity.env(), "token": token}, finicity.faults)


async def median(fn: Callable[[], Awaitable[Any]], rounds: int = ROUNDS) -> float:
    return await median_of(fn, rounds)


async def measure(env: dict[str, str], token: str, set_latency: Callable[[float], None]) -> bool:
    today = dt.date.today()
    start = today - dt.timedelta(days=30)
    ok = True
    async with FinicityClient.from_env(env) as client, FinicityClient.from_env(env, account_cache_ttl=0) as cold:
        accounts = await client.get_accounts(token)
        await cold.get_accounts(token)
        assert len(accounts) == ACCOUNTS
        one = accounts[0].id
        customer, _ = read_access_token(client._key, token)
        txns = await client.get_transactions(token, start, today)
        await client.get_balances(token, live=True)
        await cold.get_balances(token, live=True)

        async with httpx.AsyncClient(base_url=env["FINICITY_BASE_URL"]) as bare:
            auth = await bare.post("/aggregation/v2/partners/authentication", json={
                "partnerId": env["FINICITY_PARTNER_ID"], "partnerSecret": env["FINICITY_SECRET"]},
                headers={"Finicity-App-Key": env["FINICITY_APP_KEY"]})  # fmt: skip
            headers = {"Finicity-App-Key": env["FINICITY_APP_KEY"], "Finicity-App-Token": auth.json()["token"],
                       "Accept": "application/json"}  # fmt: skip
            url = f"/aggregation/v1/customers/{customer}/accounts/{one}/availableBalance/live"

            async def bare_call() -> Any:
                response = await bare.get(url, headers=headers)
                response.raise_for_status()
                return response.json()

            round_trip = await median(bare_call)
            figures = [
                ("balances (Finicity's, one call)", await median(lambda: client.get_balances(token))),
                ("live balances, warm", await median(lambda: client.get_balances(token, live=True))),
                ("transactions (30 days)", await median(lambda: client.get_transactions(token, start, today))),
            ]
            cold_live = await median(lambda: cold.get_balances(token, live=True))
            print(f"emulator latency {LATENCY * 1000:.0f} ms per request, {ACCOUNTS} accounts "
                  f"({len(txns)} transactions in 30 days), median of {ROUNDS} rounds; "
                  f"one round trip (bare httpx) {round_trip * 1000:.1f} ms")  # fmt: skip
            for label, seconds in figures:
                ratio = seconds / round_trip
                verdict = "PASS" if ratio < 2 else "FAIL"
                ok = ok and ratio < 2
                print(f"  {label:34} all {ACCOUNTS}: {seconds * 1000:6.1f} ms -> {ratio:.2f}x one round trip "
                      f"(target < 2x: {verdict}; sequential would be ~{ACCOUNTS}x)")  # fmt: skip
            print(f"  {'live balances, cold (list + fan-out)':34} all {ACCOUNTS}: {cold_live * 1000:6.1f} ms -> "
                  f"{cold_live / round_trip:.2f}x (informational)")  # fmt: skip

            for latency in (LATENCY, 0.0):
                set_latency(latency)
                await bare_call()
                ours_t, bare_t = [], []
                for _ in range(40):  # interleaved, so drifts in the machine's load hit both alike
                    bare_t.append(await median(bare_call, 1))
                    ours_t.append(await median(lambda: client.get_balances(token, account_id=one, live=True), 1))
                ours, base = statistics.median(ours_t), statistics.median(bare_t)
                share = (ours - base) / base
                if latency:
                    ok = ok and share < 0.10
                verdict = "PASS" if share < 0.10 else "FAIL"
                print(f"client overhead at {latency * 1000:.0f} ms latency: bare httpx {base * 1000:.2f} ms, "
                      f"FinicityClient {ours * 1000:.2f} ms -> +{(ours - base) * 1000:.2f} ms per request "
                      f"({share:+.1%}" + (f"; target < 10%: {verdict})" if latency else "; informational)"))
    return ok


def main() -> None:
    with tuned_child("bench.finicity_concurrency") as (ready, set_latency):
        set_latency(LATENCY)
        ok = asyncio.run(measure(ready["env"], ready["token"], set_latency))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
