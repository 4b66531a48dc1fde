"""The demo app: the banking API on the offline sandbox provider, no credentials, no network.

    make demo                        # then open http://localhost:8000/banking/docs
    curl -H 'Authorization: Bearer access-sandbox-demo' http://localhost:8000/banking/accounts

Click "Authorize" in the docs and paste ``access-sandbox-demo`` (or exchange a sandbox public token
for a token of your own: POST /banking/link, then POST /banking/exchange).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from fin_infra.banking import add_banking
from fin_infra.banking.history import DATABASE_URL_ENV, atrack_balances
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN, SandboxProvider

sandbox = SandboxProvider()
# Balance history is kept in SQLite, in a folder of this run's own (removed at shutdown), so two demos or a
# demo and the tests never share a file; FIN_INFRA_DATABASE_URL chooses another database that persists.
_RUN_DIR = None if os.environ.get(DATABASE_URL_ENV) else tempfile.mkdtemp(prefix="fin-infra-demo-")
DATABASE_URL = os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{_RUN_DIR}/history.db"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Give the balance-history route something to show: 90 days of the demo user's balances.
    # Tracking a day again overwrites it, so restarting the demo never duplicates a day.
    today = dt.date.today()
    snapshots = []
    for account in await sandbox.get_accounts(DEMO_ACCESS_TOKEN):
        series = await sandbox.get_balance_series(DEMO_ACCESS_TOKEN, account.id, today - dt.timedelta(days=90), today)
        snapshots += [
            {"account_id": account.id, "balance": balance, "date": day, "currency": account.currency}
            for day, balance in series
        ]
    await atrack_balances(snapshots, store=app.state.balance_store)
    try:
        yield
    finally:
        if _RUN_DIR is not None:
            shutil.rmtree(_RUN_DIR, ignore_errors=True)


app = FastAPI(title="fin-infra demo", lifespan=lifespan)
# track_balances: every GET /banking/balances (or /accounts) also records today's snapshot
add_banking(app, provider=sandbox, database_url=DATABASE_URL, track_balances=True)


@app.get("/", include_in_schema=False)
async def index() -> RedirectResponse:
    return RedirectResponse("/banking/docs")
