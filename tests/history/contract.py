"""The contract every balance store passes (memory, SQLite, PostgreSQL).

Subclass `BalanceStoreContract` and provide a ``store`` fixture: a `BalanceStore` on empty storage.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

from fin_infra.banking.history import (
    aget_balance_history,
    aprune_balance_history,
    atrack_balance,
    atrack_balances,
    get_balance_history,
    track_balance,
)
from fin_infra.banking.history.stores import BalanceStore
from fin_infra.models import BalanceSnapshot

D = dt.date
EXACT = ("5432.10", "0.01", "-1234.56", "0", "0.000001", "123456789012345678.99", "99999999999999999999999.123456")


def snap(account: str, day: dt.date, balance: str, currency: str = "USD") -> BalanceSnapshot:
    return BalanceSnapshot(account_id=account, date=day, balance=Decimal(balance), currency=currency)


class BalanceStoreContract:
    """Named cases; each runs against a fresh, empty store."""

    async def test_is_a_balance_store(self, store: BalanceStore) -> None:
        assert isinstance(store, BalanceStore)

    async def test_balances_round_trip_exactly(self, store: BalanceStore) -> None:
        start = D(2025, 1, 1)
        await store.upsert_many([snap("acc", start + dt.timedelta(days=i), v) for i, v in enumerate(EXACT)])
        got = await store.range("acc", start, start + dt.timedelta(days=len(EXACT)))
        assert [s.balance for s in got] == [Decimal(v) for v in EXACT]
        # not merely equal: the same digits (scale kept, no float on the way)
        assert [str(s.balance) for s in got] == list(EXACT)
        assert all(type(s.balance) is Decimal for s in got)

    async def test_same_day_again_overwrites(self, store: BalanceStore) -> None:
        day = D(2025, 3, 4)
        await store.upsert_many([snap("acc", day, "10.00")])
        await store.upsert_many([snap("acc", day, "12.50", "EUR")])
        assert await store.range("acc", day, day) == [snap("acc", day, "12.50", "EUR")]

    async def test_range_is_inclusive_ordered_and_per_account(self, store: BalanceStore) -> None:
        days = [D(2025, 1, d) for d in (9, 1, 5, 31, 15)]
        await store.upsert_many([snap("a", d, f"{d.day}.00") for d in days] + [snap("b", D(2025, 1, 5), "1")])
        got = await store.range("a", D(2025, 1, 5), D(2025, 1, 31))
        assert [s.date for s in got] == [D(2025, 1, 5), D(2025, 1, 9), D(2025, 1, 15), D(2025, 1, 31)]
        assert {s.account_id for s in got} == {"a"}
        assert await store.range("a", D(2025, 1, 2), D(2025, 1, 4)) == []

    async def test_unknown_account_is_empty(self, store: BalanceStore) -> None:
        await store.upsert_many([snap("a", D(2025, 1, 1), "1")])
        assert await store.range("nobody", D(2000, 1, 1), D(2100, 1, 1)) == []
        assert await aget_balance_history("nobody", store=store) == []

    async def test_ten_years_of_days(self, store: BalanceStore) -> None:
        start = D(2015, 1, 1)
        days = [start + dt.timedelta(days=i) for i in range(3653)]
        assert await store.upsert_many([snap("acc", d, f"{i}.25") for i, d in enumerate(days)]) == len(days)
        got = await aget_balance_history("acc", start, D(2024, 12, 31), store=store)
        assert days[-1] == D(2024, 12, 31)
        assert [s.date for s in got] == days
        assert got[0].balance == Decimal("0.25") and got[-1].balance == Decimal("3652.25")

    async def test_bulk_many_accounts_last_duplicate_wins(self, store: BalanceStore) -> None:
        day = D(2025, 6, 30)
        items = [{"account_id": f"acc_{i}", "balance": f"{i}.10"} for i in range(200)]
        items.append({"account_id": "acc_7", "balance": "777.77", "currency": "GBP"})
        recorded = await atrack_balances(items, date=day, store=store)
        assert len(recorded) == 201
        assert await store.range("acc_7", day, day) == [snap("acc_7", day, "777.77", "GBP")]
        assert await store.range("acc_199", day, day) == [snap("acc_199", day, "199.10")]

    async def test_delete_before_keeps_the_cutoff_day(self, store: BalanceStore) -> None:
        await store.upsert_many([snap(a, D(2025, 1, d), "1") for a in ("a", "b") for d in range(1, 11)])
        assert await store.delete_before(D(2025, 1, 4)) == 6
        assert [s.date.day for s in await store.range("a", D(2025, 1, 1), D(2025, 1, 31))] == list(range(4, 11))
        assert await aprune_balance_history(0, today=D(2025, 1, 10), store=store) == 12
        assert await store.range("b", D(2025, 1, 1), D(2025, 1, 31)) == [snap("b", D(2025, 1, 10), "1")]

    async def test_many_tasks_on_one_account_day_leave_one_row_with_a_last_value(self, store: BalanceStore) -> None:
        day, writes = D(2025, 2, 1), 8

        async def writer(task: int) -> None:
            for i in range(writes):  # each writer's values grow; its last one is i == writes - 1
                await atrack_balance("acc", Decimal(f"{i}.{task:02d}"), day, store=store)
                await asyncio.sleep(0)

        await asyncio.gather(*(writer(t) for t in range(20)))
        rows = await store.range("acc", D(2000, 1, 1), D(2100, 1, 1))
        assert len(rows) == 1
        assert rows[0].balance in {Decimal(f"{writes - 1}.{t:02d}") for t in range(20)}

    async def test_concurrent_days_are_all_kept(self, store: BalanceStore) -> None:
        start = D(2025, 1, 1)
        await asyncio.gather(*(atrack_balance("acc", i, start + dt.timedelta(days=i), store=store) for i in range(60)))
        got = await store.range("acc", start, start + dt.timedelta(days=59))
        assert [s.balance for s in got] == [Decimal(i) for i in range(60)]

    async def test_synchronous_functions_share_the_store(self, store: BalanceStore) -> None:
        # the sync face runs on fin-infra's background loop; the async twin on this one
        track_balance("acc", 5432.10, D(2025, 1, 1), "USD", store=store)
        track_balance(account_id="acc", balance="1.00", date=D(2025, 1, 2), currency="USD", store=store)
        got = await aget_balance_history("acc", D(2025, 1, 1), D(2025, 1, 31), store=store)
        assert [(s.date, s.balance) for s in got] == [
            (D(2025, 1, 1), Decimal("5432.1")),
            (D(2025, 1, 2), Decimal("1.00")),
        ]
        assert get_balance_history("acc", "2025-01-02", "2025-01-02", store=store) == got[1:]

    async def test_closing_then_using_again_reconnects(self, store: BalanceStore) -> None:
        await store.upsert_many([snap("acc", D(2025, 1, 1), "1.50")])
        await store.aclose()
        await store.aclose()
        assert await store.range("acc", D(2025, 1, 1), D(2025, 1, 1)) == [snap("acc", D(2025, 1, 1), "1.50")]

    async def test_create_schema_is_idempotent(self, store: BalanceStore) -> None:
        await store.create_schema()
        await store.upsert_many([snap("acc", D(2025, 1, 1), "2")])
        await store.create_schema()
        assert len(await store.range("acc", D(2025, 1, 1), D(2025, 1, 1))) == 1

    async def test_empty_write_is_a_no_op(self, store: BalanceStore) -> None:
        assert await store.upsert_many([]) == 0
        assert await aget_balance_history("acc", store=store) == []
