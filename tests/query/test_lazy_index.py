"""A prepared range builds only what its queries use: a date-ordered page never sorts by amount or merchant."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fin_infra.banking.query import TransactionIndex, TransactionQuery, filter_transactions, sort_transactions
from fin_infra.models import Transaction


def _txns() -> list[Transaction]:
    return [
        Transaction(id=f"t{i % 7}-{i}", account_id="a", amount=Decimal(i % 11) - 5, date=dt.date(2025, 1, 1 + i % 28),
                    description=f"Shop {i % 5}", category=["Food", "Groceries", "Travel"][i % 3], pending=i % 4 == 0)
        for i in range(300)
    ]  # fmt: skip


def test_a_date_query_prepares_only_the_date_order() -> None:
    txns = _txns()
    index = TransactionIndex(txns, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31))
    q = TransactionQuery.build("2025-01-01", "2025-01-31", page_size=20)
    positions, total = index.page(q)
    assert total == 300
    assert [index.transactions[i] for i in positions] == sort_transactions(txns, "date", "desc")[:20]
    assert set(index._orders) == {"date"}
    assert index._by_category is None and index._by_merchant is None and index._settled is None
    assert index._sizes is None and index._merchants is None


def test_each_index_is_built_when_a_query_first_needs_it() -> None:
    txns = _txns()
    index = TransactionIndex(txns, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31))
    q = TransactionQuery.build("2025-01-01", "2025-01-31", category="Food", min_amount=2, exclude_pending=True,
                               merchant_name="shop 1", sort_by="merchant", sort_order="asc", page_size=200)  # fmt: skip
    positions, total = index.page(q)
    expected = sort_transactions(filter_transactions(q, txns), "merchant", "asc")
    assert [index.transactions[i] for i in positions] == expected and total == len(expected)
    assert set(index._orders) == {"merchant", "amount"}  # the amount bound is a slice of the amount order
    assert index._by_category is not None and index._by_merchant is not None and index._settled is not None


def test_transactions_outside_the_range_or_account_are_dropped() -> None:
    txns = _txns()
    index = TransactionIndex(txns, start=dt.date(2025, 1, 5), end=dt.date(2025, 1, 6))
    assert {t.date for t in index.transactions} == {dt.date(2025, 1, 5), dt.date(2025, 1, 6)}
    assert len(TransactionIndex(txns, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31), account_id="b")) == 0
