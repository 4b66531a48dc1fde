"""The demo app: connect sandbox banks in a browser and see accounts, transactions and balance charts, offline,
with no credentials and no database server.

    make demo                        # then open http://localhost:8000 (the connect page)

- ``/my/connect`` and ``/my/overview``: the connect page and the overview (``add_banking(..., connect_page=True)``)
  in connections mode, on the **Plaid, Teller, MX and Finicity emulators** run inside this process (the stand-ins
  of Plaid Link, Teller Connect, MX Connect and Finicity Connect; sandbox logins: Plaid ``user_good`` /
  ``pass_good``, Teller ``username`` / ``password``, MX ``mxuser`` / any password, Finicity ``demo`` / ``go``).
  Everyone is signed in as one demo user (``current_user`` below: your app's own auth goes there). Tokens are
  encrypted with a key made for this run (``FIN_INFRA_ENCRYPTION_KEYS`` to keep your own). When a bank is
  connected, the demo fills its last 90 days of balance history from its transactions, so the charts have a line.
- ``/banking/...``: the pass-through API on the offline sandbox provider, as before:
  ``curl -H 'Authorization: Bearer access-sandbox-demo' http://localhost:8000/banking/accounts``; its Swagger UI is
  ``/banking/docs`` (the connections API's is ``/my/docs``).

Everything is kept in SQLite files in a folder of this run's own, removed at shutdown (``FIN_INFRA_DATABASE_URL``
chooses another database for the sandbox's balance history).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from fin_infra.banking import add_banking
from fin_infra.banking.history import DATABASE_URL_ENV, atrack_balances
from fin_infra.banking.pages import ConnectPage
from fin_infra.crypto import ENCRYPTION_KEYS_ENV, new_key
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN, SandboxProvider
from fin_infra.testing.finicity import serve_finicity_emulator
from fin_infra.testing.mx import serve_mx_emulator
from fin_infra.testing.plaid import serve_plaid_emulator
from fin_infra.testing.teller import serve_teller_emulator

log = logging.getLogger("examples.demo_app")
DEMO_USER = "demo-user"
HISTORY_DAYS = 90
PREFIX = "/my"

sandbox = SandboxProvider()
# Everything is kept in SQLite, in a folder of this run's own (removed at shutdown), so two demos or a demo and
# the tests never share a file; FIN_INFRA_DATABASE_URL chooses another database for the sandbox's history.
_RUN_DIR = tempfile.mkdtemp(prefix="fin-infra-demo-")
DATABASE_URL = os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{_RUN_DIR}/history.db"

# The providers' emulators, served on free ports of 127.0.0.1 for as long as the demo runs (stopped at shutdown).
# (Each emulator server sets uvicorn's loggers up for itself as it starts, access log off: the demo's own
# loggers are put back as they were.)
_emulators = ExitStack()
_loggers = {n: logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")}
_saved = {n: (lg.level, list(lg.handlers), lg.propagate) for n, lg in _loggers.items()}
plaid = _emulators.enter_context(serve_plaid_emulator())
teller = _emulators.enter_context(serve_teller_emulator(connect_widget=True))
mx = _emulators.enter_context(serve_mx_emulator())
finicity = _emulators.enter_context(serve_finicity_emulator())
for _name, (_level, _handlers, _propagate) in _saved.items():
    _loggers[_name].setLevel(_level)
    _loggers[_name].handlers[:] = _handlers
    _loggers[_name].propagate = _propagate


def current_user() -> str:
    """The demo signs everyone in as one user; a real app returns its signed-in user's id here."""
    return DEMO_USER


async def backfill_history(app: FastAPI, connection_id: str) -> None:
    """Demo only: the connection's last HISTORY_DAYS days of balances, walked back from today's balance through
    its transactions (money in raises a balance; on credit accounts, what is owed goes the other way)."""
    service = app.state.banking_connections
    record = await service.get(DEMO_USER, connection_id, fresh=True)
    today = dt.date.today()
    start = today - dt.timedelta(days=HISTORY_DAYS)
    accounts = {a.id: a for a in await service.call(record, "demo: history", lambda p, t: p.get_accounts(t))}
    balances = await service.call(record, "demo: history", lambda p, t: p.get_balances(t))
    txns = await service.call(record, "demo: history", lambda p, t: p.get_transactions(t, start, today))
    moved: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    for t in txns:
        moved[(t.account_id, t.date)] += t.amount
    snapshots: list[dict[str, Any]] = []
    for b in balances:
        if b.current is None:
            continue
        owed = accounts[b.account_id].type in ("credit", "loan") if b.account_id in accounts else False
        balance = b.current
        for n in range(HISTORY_DAYS + 1):
            day = today - dt.timedelta(days=n)
            snapshots.append({"account_id": b.account_id, "balance": balance, "date": day, "currency": b.currency})
            balance = balance + moved[(b.account_id, day)] if owed else balance - moved[(b.account_id, day)]
    await atrack_balances(snapshots, store=app.state.balance_store, connection_id=record.id)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Give the sandbox's balance-history route something to show: 90 days of the demo user's balances.
    today = dt.date.today()
    snapshots = []
    for account in await sandbox.get_accounts(DEMO_ACCESS_TOKEN):
        series = await sandbox.get_balance_series(DEMO_ACCESS_TOKEN, account.id, today - dt.timedelta(days=90), today)
        snapshots += [
            {"account_id": account.id, "balance": balance, "date": day, "currency": account.currency}
            for day, balance in series
        ]
    await atrack_balances(snapshots, store=sandbox_history)  # the sandbox mount's store (see below)
    try:
        yield
    finally:
        _emulators.close()
        shutil.rmtree(_RUN_DIR, ignore_errors=True)


app = FastAPI(title="fin-infra demo", lifespan=lifespan)
# the pass-through API on the sandbox provider; track_balances: GET /banking/balances records today's snapshot
add_banking(app, provider=sandbox, database_url=DATABASE_URL, track_balances=True)
sandbox_history = app.state.balance_store  # (the next add_banking sets app.state.balance_store to its own)
# connections mode with the connect page, on the Plaid, Teller, MX and Finicity emulators
add_banking(
    app,
    providers=[plaid.client(), teller.client(), mx.client(), finicity.client()],
    prefix=PREFIX,
    connections=f"sqlite:///{_RUN_DIR}/connections.db",
    current_user=current_user,
    encryption_keys=os.environ.get(ENCRYPTION_KEYS_ENV) or new_key("demo"),
    track_balances=True,
    connect_page=ConnectPage(widget_scripts={"teller": str(teller.connect_script_url)}, title="Demo bank"),
)


@app.middleware("http")
async def history_for_new_connections(request: Any, call_next: Any) -> Any:
    """Demo only: after a bank is connected (POST /my/exchange), fill its balance history (see backfill_history)."""
    response = await call_next(request)
    if request.method == "POST" and request.url.path == f"{PREFIX}/exchange" and response.status_code in (200, 201):
        body = b"".join([chunk async for chunk in response.body_iterator])
        try:
            await backfill_history(app, json.loads(body)["connection"]["id"])
        except Exception as exc:  # the connection is made; only the demo's charts stay short
            log.warning("demo: could not fill the balance history: %s", type(exc).__name__)
        from starlette.responses import Response

        return Response(body, status_code=response.status_code, media_type=response.media_type,
                        headers={k: v for k, v in response.headers.items() if k.lower() != "content-length"})
    return response


@app.get("/", include_in_schema=False)
async def index() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/connect")
