"""Per-account Teller calls run concurrently: ``python -m bench.teller_concurrency``.

The Teller emulator runs in a child process (so its work doesn't share our interpreter lock) over
HTTPS + mTLS on 127.0.0.1, adding 50 ms to every request; one enrollment has 10 accounts. Printed,
measured in one run (medians of several rounds, connections warm):

- balances and transactions of all 10 accounts vs one request for one account: the ratio is
  judged against 2x (10 sequential calls would be about 10x). "All accounts" needs the account list
  first; `TellerClient` keeps it for ``account_cache_ttl`` seconds, so the warm figure is one
  concurrent round; the cold figure (list + round, two round trips) is printed too;
- the median time our client adds to one request (``get_balances(token, account_id=...)``: auth,
  retry wrapper, JSON -> Decimal, model) over a bare ``httpx`` GET of the same URL with the same TLS
  context, judged against 10% of the request; printed also with no added latency.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench._child import median as median_of
from bench._child import serve_tuned, tuned_child
from fin_infra.providers.banking.teller import TellerClient

LATENCY = 0.05
ACCOUNTS = 10
ROUNDS = 15


def serve() -> None:
    """The emulator side (child process): prints its environment and a token, serves until stdin closes."""
    from fin_infra.testing.teller import serve_teller_emulator

    with serve_teller_emulator() as teller:
        token = teller.enroll("username", "password", accounts=ACCOUNTS, seed="bench")
        serve_tuned({"env": teller.env(), "token": token}, teller.faults)


async def median(fn: Callable[[], Awaitable[Any]], rounds: int = ROUNDS) -> float:
    return await median_of(fn, rounds)


async def measure(env: dict[str, str], token: str, set_latency: Callable[[float], None]) -> None:
    today = dt.date.today()
    start = today - dt.timedelta(days=30)
    async with TellerClient.from_env(env) as client, TellerClient.from_env(env, account_cache_ttl=0) as cold:
        accounts = await client.get_accounts(token)  # warms connections, the account list, the emulator's data
        await cold.get_accounts(token)
        one = accounts[0].id
        assert len(accounts) == ACCOUNTS
        await client.get_transactions(token, start, today)

        single_bal = await median(lambda: client.get_balances(token, account_id=one))
        all_bal = await median(lambda: client.get_balances(token))
        cold_bal = await median(lambda: cold.get_balances(token))
        single_txn = await median(lambda: client.get_transactions(token, start, today, account_id=one))
        all_txn = await median(lambda: client.get_transactions(token, start, today))
        cold_txn = await median(lambda: cold.get_transactions(token, start, today))

        print(f"emulator latency {LATENCY * 1000:.0f} ms per request, {ACCOUNTS} accounts, median of {ROUNDS} rounds")
        for label, single, warm, cold_time in (
            ("balances", single_bal, all_bal, cold_bal),
            ("transactions (30 days)", single_txn, all_txn, cold_txn),
        ):
            ratio = warm / single
            verdict = "PASS" if ratio < 2 else "FAIL"
            print(
                f"  {label:24} one account {single * 1000:6.1f} ms | all {ACCOUNTS} {warm * 1000:6.1f} ms -> "
                f"{ratio:.2f}x one request (target < 2x: {verdict}; sequential would be ~{ACCOUNTS}x)"
            )
            print(
                f"  {'':24} cold (account list + fan-out): {cold_time * 1000:6.1f} ms -> {cold_time / single:.2f}x"
            )

        context = ssl.create_default_context(cafile=env["TELLER_CA_BUNDLE"])
        context.load_cert_chain(env["TELLER_CERTIFICATE_PATH"], env["TELLER_PRIVATE_KEY_PATH"])
        async with httpx.AsyncClient(base_url=env["TELLER_BASE_URL"], verify=context) as bare:
            url, auth = f"/accounts/{one}/balances", httpx.BasicAuth(token, "")

            async def bare_call() -> Any:
                response = await bare.get(url, auth=auth)
                response.raise_for_status()
                return response.json()

            for latency in (LATENCY, 0.0):
                set_latency(latency)
                await bare_call()
                # interleave the two so drifts in the machine's load hit both alike
                ours_t, bare_t = [], []
                for _ in range(40):
                    bare_t.append(await median(bare_call, 1))
                    ours_t.append(await median(lambda: client.get_balances(token, account_id=one), 1))
                ours, base = statistics.median(ours_t), statistics.median(bare_t)
                overhead = ours - base
                share = overhead / base
                verdict = "PASS" if share < 0.10 else "FAIL"
                print(
                    f"client overhead at {latency * 1000:.0f} ms latency: bare httpx {base * 1000:.2f} ms, "
                    f"TellerClient {ours * 1000:.2f} ms -> +{overhead * 1000:.2f} ms per request ({share:+.1%}"
                    + (f"; target < 10%: {verdict})" if latency else "; informational)")
                )


def main() -> None:
    with tuned_child("bench.teller_concurrency") as (ready, set_latency):
        set_latency(LATENCY)
        asyncio.run(measure(ready["env"], ready["token"], set_latency))


if __name__ == "__main__":
    main()
