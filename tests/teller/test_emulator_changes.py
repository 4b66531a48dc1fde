"""Teller emulator: transactions that change over time (added, modified, removed, posted under a new id),
seen through the real API over HTTPS."""

from __future__ import annotations

import datetime as dt
import random

from fin_infra.emulators.teller.changes import POSTED_SUFFIX, posted_id
from fin_infra.providers.banking.teller import TellerClient
from fin_infra.testing.teller import TellerEmulator, serve_teller_emulator


class Clock:
    def __init__(self) -> None:
        self.today = dt.date(2026, 3, 2)

    def __call__(self) -> dt.date:
        return self.today


async def _ids(client: TellerClient, token: str, account_id: str, start: dt.date, end: dt.date) -> dict[str, str]:
    txns = await client.get_transactions(token, start, end, account_id=account_id)
    return {t.id: f"{t.amount}|{t.description}|{'pending' if t.pending else 'posted'}" for t in txns}


async def test_added_modified_removed_and_posted_under_a_new_id() -> None:
    clock = Clock()
    with serve_teller_emulator(today=clock) as teller:
        payload = teller.connect(seed="changes")
        token, enrollment_id = str(payload["accessToken"]), payload["enrollment"]["id"]
        teller.backend.post_under_new_id(enrollment_id)
        checking = teller.backend.accounts(token)[0]
        async with teller.client(account_cache_ttl=0) as client:
            assert isinstance(client, TellerClient)
            added = teller.backend.add_transaction(checking.id, "-4.50", "CORNER CAFE")
            other = teller.backend.add_transaction(checking.id, "-9.00", "PARKING 77")
            teller.backend.modify_transaction(checking.id, added, amount="-5.25")
            teller.backend.remove_transaction(checking.id, other)
            day = await _ids(client, token, checking.id, clock.today, clock.today)
            assert day[added] == "-5.25|CORNER CAFE|pending" and other not in day
            balance_before = (await client.get_balances(token, account_id=checking.id))[0]

            clock.today += dt.timedelta(days=2)  # it posts: the pending id vanishes, a new id appears
            posted = await _ids(client, token, checking.id, clock.today - dt.timedelta(days=2), clock.today)
            assert added not in posted
            assert posted[posted_id(added)] == f"-5.25|CORNER CAFE{POSTED_SUFFIX}|posted"
            balance_after = (await client.get_balances(token, account_id=checking.id))[0]
            assert balance_before.current is not None and balance_after.current is not None


def test_churn_is_reproducible_and_changes_the_data(teller: TellerEmulator) -> None:
    def run() -> tuple[dict[str, int], list[str]]:
        teller.reset()
        payload = teller.connect(seed="churn")
        token = str(payload["accessToken"])
        done = teller.backend.churn(payload["enrollment"]["id"], random.Random(4))
        rows = [
            f"{r.id}{r.amount}"
            for a in teller.backend.accounts(token)
            for r in teller.backend.transactions(token, a.id)[1]
        ]
        return done, rows

    first, second = run(), run()
    assert first == second and sum(first[0].values()) > 0
