"""The ledger's sync: ``python -m bench.ledger_sync``.

Emulators run in a child process (their work doesn't share our interpreter lock), over real HTTP(S) on
127.0.0.1; the ledger is a SQLite file. Printed, each next to what it is judged by:

- initial sync of a 50,000-transaction Plaid Item (``/transactions/sync``, pages of 500): wall time, our
  process's CPU time and the emulator's CPU time over the same run;
- initial sync of a two-year Teller enrollment (three accounts, mTLS): the same figures;
- an incremental sync of one day's changes (Plaid ``churn``, then the sync a webhook would start): our CPU
  time, against the 50 ms target, and its wall time.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from bench._child import served_by

PLAID_TRANSACTIONS = 50_000
INCREMENTAL_TARGET = 0.050


def serve() -> None:
    """The emulators (child process). Commands on stdin: ``churn`` (a day of Plaid changes), ``quit``."""
    import datetime as dt
    import random

    from fin_infra.emulators.plaid import PlaidBackend, create_app
    from fin_infra.emulators.server import EmulatorServer
    from fin_infra.testing.teller import serve_teller_emulator

    backend = PlaidBackend()
    public = backend.create_public_token(
        "ins_109508", ["transactions"], {"transactions": {"days_requested": 730}}, transaction_count=PLAID_TRANSACTIONS
    )
    token, _ = backend.exchange_public_token(public)
    rng = random.Random(18)
    with EmulatorServer(create_app(backend)) as server, serve_teller_emulator(today=dt.date.today) as teller:
        teller_token = teller.enroll(seed="bench")
        env = " ".join(f"{k}={v}" for k, v in teller.env().items())
        print(f"READY {server.base_url} {token} {teller_token} {env}", flush=True)
        for line in sys.stdin:
            if line.strip() == "churn":
                backend.churn(token, rng)
                print("OK", flush=True)
            else:
                break


def child_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(label: str, pid: int, work: object) -> tuple[float, float, float]:
    wall0, cpu0, emu0 = time.perf_counter(), time.process_time(), child_cpu(pid)
    await work  # type: ignore[misc]
    wall, cpu, emu = time.perf_counter() - wall0, time.process_time() - cpu0, child_cpu(pid) - emu0
    print(
        f"{label}: wall {wall:.2f} s, our CPU {cpu:.2f} s ({cpu / wall:.0%} of wall), emulator CPU {emu:.2f} s "
        f"(ours / emulator's = {cpu / emu if emu else float('inf'):.2f})"
    )
    return wall, cpu, emu


async def run(child: object, pid: int, parts: list[str], directory: str) -> int:
    from fin_infra.banking.sync import PlaidCursorSource, ProviderWindowSource, run_sync
    from fin_infra.banking.sync.sql import SQLLedgerStore
    from fin_infra.providers.banking.plaid import PlaidProvider
    from fin_infra.providers.banking.teller import TellerClient

    base, token, teller_token, *env_parts = parts
    env = dict(p.split("=", 1) for p in env_parts)
    store = SQLLedgerStore(f"sqlite:///{directory}/ledger.db")
    await store.database.ensure_schema()
    plaid = PlaidProvider(
        client_id="fin-infra-emulator-client", secret="fin-infra-emulator-secret", base_url=base, environment="sandbox"
    )
    teller = TellerClient.from_env(env, account_cache_ttl=0)
    try:
        outcome: list[object] = []

        async def plaid_sync() -> None:
            outcome.append(await run_sync(store, "plaid", PlaidCursorSource(plaid), token))

        await measure(f"initial Plaid sync, {PLAID_TRANSACTIONS:,} transactions", pid, plaid_sync())
        print(f"  -> {outcome[-1]}")

        async def teller_sync() -> None:
            outcome.append(await run_sync(store, "teller", ProviderWindowSource(teller), teller_token))

        await measure("initial Teller sync, two-year enrollment (3 accounts)", pid, teller_sync())
        print(f"  -> {outcome[-1]}")
        cpus = []
        for _ in range(5):
            child.stdin.write("churn\n")  # type: ignore[attr-defined]
            child.stdin.flush()  # type: ignore[attr-defined]
            assert child.stdout.readline().strip() == "OK"  # type: ignore[attr-defined]
            _, cpu, _ = await measure("incremental Plaid sync of one day's changes", pid, plaid_sync())
            cpus.append(cpu)
        best = sorted(cpus)[len(cpus) // 2]
        verdict = "met" if best < INCREMENTAL_TARGET else "MISSED"
        print(
            f"incremental sync, median of 5: our CPU {best * 1000:.1f} ms vs target {INCREMENTAL_TARGET * 1000:.0f} ms "
            f"({best / INCREMENTAL_TARGET:.2f} of it): {verdict}"
        )
        return 0 if best < INCREMENTAL_TARGET else 1
    finally:
        await plaid.aclose()
        await teller.aclose()
        await store.aclose()


def main() -> int:
    with served_by("bench.ledger_sync") as (child, fields), tempfile.TemporaryDirectory() as directory:
        return asyncio.run(run(child, child.pid, fields, directory))


if __name__ == "__main__":
    if "--serve" in sys.argv:
        serve()
    else:
        sys.exit(main())
