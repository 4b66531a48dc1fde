"""A syncing process for the crash test: syncs one stored Plaid connection, printing ``ready`` first.

    python -m tests.sync.crash_worker <database url> <plaid base url> <connection id>
"""

from __future__ import annotations

import asyncio
import sys

from fin_infra.emulators.plaid.models import DEFAULT_CLIENT_ID, DEFAULT_SECRET
from fin_infra.providers.banking.plaid import PlaidProvider
from tests.sync.ledger_setup import Ledger


async def main(url: str, base_url: str, connection_id: str) -> None:
    provider = PlaidProvider(client_id=DEFAULT_CLIENT_ID, secret=DEFAULT_SECRET, base_url=base_url,
                             environment="sandbox", sync_page_size=50, max_retries=0)
    env = Ledger(url, {"plaid": provider})
    await env.database.ensure_schema()
    print("ready", flush=True)
    try:
        await env.ledger.sync(connection_id, trigger="crash-test")
        print("done", flush=True)
    finally:
        await env.aclose()
        await provider.aclose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
