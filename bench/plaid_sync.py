"""A full Plaid history through ``/transactions/sync``: ``python -m bench.plaid_sync``.

10,000 transactions in pages of 500 from the Plaid emulator, served by a separate process (so its
work doesn't share our interpreter lock) over real HTTP on 127.0.0.1. Printed, measured in one run:

- wall time of ``PlaidProvider.sync_transactions`` and how it splits between waiting on the emulator
  (the HTTP round trips, timed around plaid-python's call on the worker thread) and our own code
  (JSON -> Decimal, normalising into models, folding pages), next to plaid-python's typed-model path;
- the event-loop stall while Plaid calls are in flight: another coroutine on the same loop wakes every
  millisecond, and the longest gap between its wake-ups is compared with the 5 ms target and with
  what calling plaid-python directly on the loop costs. CPython's cyclic garbage collector stops every
  thread while it runs; its pauses are timed separately, and the run is repeated after ``gc.freeze()``
  (what a server does once at startup so the collector stops rescanning imported modules).
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from bench._child import served_by

TRANSACTIONS = 10_000
PAGE = 500
RUNS = 3
STALL_TARGET = 0.005


def serve() -> None:
    """The emulator side (run in a child process): one Item with TRANSACTIONS transactions."""
    from fin_infra.emulators.plaid import PlaidBackend, create_app
    from fin_infra.emulators.server import EmulatorServer

    backend = PlaidBackend()
    public = backend.create_public_token(
        "ins_109508", ["transactions"], {"transactions": {"days_requested": 730}}, transaction_count=TRANSACTIONS
    )
    token, _ = backend.exchange_public_token(public)
    with EmulatorServer(create_app(backend)) as server:
        print(f"READY {server.base_url} {token} {backend.client_id} {backend.secret}", flush=True)
        sys.stdin.read()  # until the parent closes our stdin


class Ticker:
    """A coroutine that wakes every millisecond and records how late each wake-up was."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.ticks: list[tuple[float, float]] = []  # (start, end) of each wait for a wake-up
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            end = time.perf_counter()
            self.gaps.append(end - start - 0.001)
            self.ticks.append((start, end))

    def __enter__(self) -> Ticker:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


@dataclass
class GCPauses:
    """Durations of the garbage collector's runs (every thread waits while it runs)."""

    spans: list[tuple[float, float]] = field(default_factory=list)
    _start: float = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.spans.append((self._start, time.perf_counter()))

    @property
    def longest(self) -> float:
        return max((end - start for start, end in self.spans), default=0.0)

    def overlaps(self, start: float, end: float) -> bool:
        return any(s < end and e > start for s, e in self.spans)


@dataclass
class Run:
    wall: float
    wait: float
    cpu: float
    stall: float
    p99: float
    over: int
    over_in_gc: int
    stall_outside_gc: float
    gc_max: float
    pages: int
    count: int


def _timed(fn: Any, spent: list[float]) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    return wrapper


async def _runs(provider: Any, token: str) -> list[Run]:
    api = provider._caller.api
    original = api.transactions_sync
    out = []
    for _ in range(RUNS):
        spent: list[float] = []
        collector = GCPauses()
        api.transactions_sync = _timed(original, spent)
        gc.callbacks.append(collector)
        try:
            with Ticker() as ticker:
                start, cpu = time.perf_counter(), time.process_time()
                result = await provider.sync_transactions(token)
                wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        finally:
            gc.callbacks.remove(collector)
            api.transactions_sync = original
        gaps = sorted(ticker.gaps)
        late = [(s, e) for s, e in ticker.ticks if e - s - 0.001 > STALL_TARGET]
        outside = [e - s - 0.001 for s, e in ticker.ticks if not collector.overlaps(s, e)]
        out.append(
            Run(
                wall=wall,
                wait=sum(spent),
                cpu=cpu,
                stall=gaps[-1],
                p99=gaps[int(len(gaps) * 0.99)],
                over=len(late),
                over_in_gc=sum(collector.overlaps(s, e) for s, e in late),
                stall_outside_gc=max(outside, default=0.0),
                gc_max=collector.longest,
                pages=len(spent),
                count=len(result.added),
            )
        )
        del result
    return out


def _stall_line(label: str, runs: list[Run]) -> str:
    stall = max(r.stall for r in runs)
    outside = max(r.stall_outside_gc for r in runs)
    return (
        f"    {label:<29} max {stall * 1000:6.2f} ms, p99 {max(r.p99 for r in runs) * 1000:5.2f} ms; "
        f"wake-ups over 5 ms: {sum(r.over for r in runs)}, {sum(r.over_in_gc for r in runs)} of them during a GC "
        f"pause (longest GC pause {max(r.gc_max for r in runs) * 1000:.2f} ms); max outside GC pauses "
        f"{outside * 1000:.2f} ms ({'within' if outside < STALL_TARGET else 'OVER'} the "
        f"{STALL_TARGET * 1000:.0f} ms target)"
    )


async def measure(base_url: str, token: str, client_id: str, secret: str) -> None:
    from plaid.model.transactions_sync_request import TransactionsSyncRequest

    from fin_infra.providers.banking.plaid import PlaidProvider

    provider = PlaidProvider(client_id=client_id, secret=secret, base_url=base_url, sync_page_size=PAGE)
    await provider.get_accounts(token)  # warm up: thread, connection
    api = provider._caller.api

    # the noise floor: the same ticker on an idle loop for a second (other processes share the CPUs)
    with Ticker() as idle:
        await asyncio.sleep(1.0)
    idle_gaps = sorted(idle.gaps)

    # small calls: 100 balance pulls, 4 at a time, with another coroutine ticking on the loop
    collector = GCPauses()
    gc.callbacks.append(collector)
    with Ticker() as ticker:
        for _ in range(25):
            await asyncio.gather(*(provider.get_balances(token) for _ in range(4)))
    gc.callbacks.remove(collector)
    small_gaps = sorted(ticker.gaps)
    small_outside = max((e - s - 0.001 for s, e in ticker.ticks if not collector.overlaps(s, e)), default=0.0)

    default_gc = await _runs(provider, token)
    gc.collect()
    gc.freeze()
    frozen_gc = await _runs(provider, token)
    gc.unfreeze()

    # plaid-python's own path: typed models, floats (what the provider avoids), for comparison
    start = time.perf_counter()
    cursor, typed = "", 0
    while True:
        kwargs = {"cursor": cursor} if cursor else {}
        page = api.transactions_sync(TransactionsSyncRequest(access_token=token, count=PAGE, **kwargs))
        typed += len(page.added)
        cursor = page.next_cursor
        if not page.has_more:
            break
    sdk_models = time.perf_counter() - start
    # and what one plaid-python call made directly on the loop (blocking it) costs
    start = time.perf_counter()
    api.transactions_sync(TransactionsSyncRequest(access_token=token, count=PAGE))
    blocking = time.perf_counter() - start
    await provider.aclose()

    runs = default_gc + frozen_gc
    wall = statistics.median(r.wall for r in runs)
    wait = statistics.median(r.wait for r in runs)
    ours = statistics.median(r.cpu for r in runs)
    count, pages = runs[0].count, runs[0].pages
    assert all(r.count == TRANSACTIONS for r in runs) and typed == TRANSACTIONS
    print(f"{count:,} transactions in {pages} pages of {PAGE} via /transactions/sync, median of {len(runs)} runs")
    print(f"  wall time                             {wall * 1000:8.1f} ms  ({count / wall:,.0f} transactions/s)")
    print(
        f"  our code: this process's CPU time     {ours * 1000:8.1f} ms  {ours / wall:6.1%} of wall "
        "(plaid-python request, JSON -> Decimal, models, fold, GC)"
    )
    print(
        f"  waiting on the emulator: the rest     {(wall - ours) * 1000:8.1f} ms  {(wall - ours) / wall:6.1%} of wall "
        f"(HTTP round trips sum to {wait * 1000:.1f} ms; the next page is fetched while one is normalised)"
    )
    print(
        f"  plaid-python typed models, same pages {sdk_models * 1000:8.1f} ms  "
        f"(the provider is {sdk_models / wall:.1f}x faster, and keeps amounts exact)"
    )
    print("event-loop stall while Plaid calls are in flight (a coroutine waking every 1 ms):")
    verdict = "within" if small_gaps[-1] < STALL_TARGET else "OVER"
    print(
        f"  100 balance calls, 4 at a time  max {small_gaps[-1] * 1000:6.2f} ms ({verdict} the "
        f"{STALL_TARGET * 1000:.0f} ms target), median {statistics.median(small_gaps) * 1000:.2f} ms, "
        f"max outside GC pauses {small_outside * 1000:.2f} ms"
    )
    print(
        f"  idle loop, same machine, 1 s   max {idle_gaps[-1] * 1000:6.2f} ms, "
        f"median {statistics.median(idle_gaps) * 1000:.2f} ms (the scheduling noise floor)"
    )
    print("  the full 10,000-transaction sync (every page held in memory: the garbage collector runs):")
    print(_stall_line("default garbage collector", default_gc))
    print(_stall_line("after gc.freeze() at startup", frozen_gc))
    print(f"  one plaid-python page called directly on the loop would block it {blocking * 1000:.1f} ms")


def main() -> None:
    with served_by("bench.plaid_sync") as (_, fields):
        asyncio.run(measure(*fields[:4]))


if __name__ == "__main__":
    if "--serve" in sys.argv:
        serve()
    else:
        main()
