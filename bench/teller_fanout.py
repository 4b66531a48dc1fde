"""50 users' ``GET /banking/accounts`` at once through the Teller emulator: ``python -m bench.teller_fanout``.

The Teller emulator runs in a child process over HTTPS + mTLS on 127.0.0.1 and answers every request
after 0.3 s. 50 enrollments (one per user) each list their accounts and then read every account's
balance, so one ``/accounts`` is two round trips (0.6 s) at best. The app (``add_banking`` on a
`TellerClient`) is called in-process through ASGI, all 50 requests at once; a first round opens the
pooled connections (kept alive after), the figure is the median wall time of the next rounds.
Printed, measured in one run:

- bounded per host (``max_connections``, 256, the default) and per token (``max_concurrency``, 16): judged, under 1.0 s;
- the previous default of 100 per host (the 150 balance reads then go out in two waves: 0.9 s at best), and
  the same client with every request behind one cap of 16 (``max_connections=16``), for comparison.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

from fastapi import FastAPI

from bench._child import serve_tuned, tuned_child
from bench.request_cost import call
from fin_infra.banking import add_banking
from fin_infra.providers.banking.teller import TellerClient

USERS = 50
LATENCY = 0.3
ROUNDS = 3
TARGET = 1.0


def serve() -> None:
    """The emulator side (child process): prints its environment and the users' tokens, serves until stdin closes."""
    from fin_infra.testing.teller import serve_teller_emulator

    with serve_teller_emulator(latency=LATENCY) as teller:
        tokens = [teller.enroll(f"user{i}", seed=f"fanout-{i}") for i in range(USERS)]
        serve_tuned({"env": teller.env(), "tokens": tokens}, teller.faults)


async def rounds(env: dict[str, str], tokens: list[str], **options: int) -> tuple[float, int]:
    provider = TellerClient.from_env(env, **options)
    app = FastAPI()
    add_banking(app, provider=provider)
    times, accounts = [], 0
    try:
        for _ in range(ROUNDS + 1):  # the first round opens the connections
            start = time.perf_counter()
            answers = await asyncio.gather(*(call(app, "/banking/accounts", "", token=t) for t in tokens))
            times.append(time.perf_counter() - start)
            bad = [(status, body[:200]) for status, body in answers if status != 200]
            if bad:
                raise SystemExit(f"{len(bad)} requests failed, e.g. {bad[0]!r}")
            accounts = sum(json.loads(body)["count"] for _, body in answers)
    finally:
        await provider.aclose()
    return statistics.median(times[1:]), accounts


def main() -> int:
    with tuned_child("bench.teller_fanout") as (ready, _):
        ours, accounts = asyncio.run(rounds(ready["env"], ready["tokens"]))
        hundred, _ = asyncio.run(rounds(ready["env"], ready["tokens"], max_connections=100))
        capped, _ = asyncio.run(rounds(ready["env"], ready["tokens"], max_connections=16))
    passed = ours < TARGET
    print(
        f"{USERS} users' GET /banking/accounts at once ({accounts} accounts in all, each a balance read), Teller "
        f"emulator answering after {LATENCY:.1f} s (two round trips: {2 * LATENCY:.1f} s); "
        f"median of {ROUNDS} warm rounds"
    )
    print(
        f"  per host 256, per token 16, pooled    {ours:6.2f} s -> {ours / (2 * LATENCY):.2f}x two round trips "
        f"(target < {TARGET:.1f} s: {'PASS' if passed else 'FAIL'})"
    )
    print(f"  per host 100 (the previous default)   {hundred:6.2f} s -> {hundred / ours:.1f}x slower")
    print(f"  one cap of 16 for every request       {capped:6.2f} s -> {capped / ours:.1f}x slower")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
