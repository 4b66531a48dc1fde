"""Emulators for the ledger tests: Plaid and Teller over real HTTP(S), on a clock the test moves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fin_infra.emulators.plaid import PlaidBackend
from fin_infra.testing.plaid import PlaidEmulator, serve_plaid_emulator
from fin_infra.testing.teller import TellerEmulator, serve_teller_emulator
from tests.storage.databases import drop_schema, unique_schema

START = dt.date(2026, 3, 2)


@dataclass
class Clock:
    today: dt.date = START

    def __call__(self) -> dt.date:
        return self.today

    def advance(self, days: int = 1) -> None:
        self.today += dt.timedelta(days=days)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def plaid(clock: Clock) -> Iterator[PlaidEmulator]:
    with serve_plaid_emulator(PlaidBackend(today=clock)) as emulator:
        yield emulator


@pytest.fixture
def teller(clock: Clock) -> Iterator[TellerEmulator]:
    with serve_teller_emulator(today=clock) as emulator:
        yield emulator


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database per backend: a SQLite file in tmp_path, or a PostgreSQL schema of its own (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    base = str(request.getfixturevalue("postgres_url"))
    schema = unique_schema()
    yield f"{base}?schema={schema}"
    drop_schema(base, schema)
