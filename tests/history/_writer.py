"""Run by test_processes: one process writing the same account and day many times, from several tasks.

    python -m tests.history._writer URL TABLE PROCESS_TAG START_AT_EPOCH

Task ``t`` of process ``p`` writes the values ``i.pt`` for i = 0..WRITES-1, in order, so the last
value any writer leaves is ``{WRITES-1}.{p}{t}``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from decimal import Decimal

from fin_infra.banking.history import atrack_balance
from fin_infra.banking.history.stores.sql import SQLBalanceStore

DAY = dt.date(2025, 5, 5)
TASKS = 4
WRITES = 25


async def main(url: str, table: str, tag: int, start_at: float) -> None:
    store = SQLBalanceStore(url, table_name=table)
    await asyncio.sleep(max(0.0, start_at - time.time()))  # both processes start writing together

    async def writer(task: int) -> None:
        for i in range(WRITES):
            await atrack_balance("acc_shared", Decimal(f"{i}.{tag}{task}"), DAY, store=store)

    try:
        await asyncio.gather(*(writer(t) for t in range(TASKS)))
    finally:
        await store.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
