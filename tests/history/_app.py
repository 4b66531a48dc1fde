"""Run by test_processes under uvicorn: an app keeping balance history in HISTORY_TEST_URL / HISTORY_TEST_TABLE."""

from __future__ import annotations

import os

from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.history.stores.sql import SQLBalanceStore

app = FastAPI()
add_banking(
    app,
    provider="sandbox",
    store=SQLBalanceStore(os.environ["HISTORY_TEST_URL"], table_name=os.environ["HISTORY_TEST_TABLE"]),
    track_balances=True,
)
