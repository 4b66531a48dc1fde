"""Property tests: the indexed query layer and the plain functions agree with the reference on random data.

Data is drawn to collide: few dates, ids, amounts and merchants, so ties (in every sort key, in ids, in
absolute amounts of opposite signs) and empty results are common; merchants include case and Unicode
folding cases (ß/SS, İ, Café).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fin_infra.banking.query import (
    TransactionIndex,
    TransactionQuery,
    filter_transactions,
    paginate,
    sort_transactions,
)
from fin_infra.models import Transaction
from tests.query.reference import reference_page, reference_result

DAY0 = dt.date(2025, 1, 1)
NAMES = ["Starbucks", "STARBUCKS", "starbucks coffee", "Straße", "STRASSE", "Café", "CAFÉ", "İstanbul", "istanbul", ""]
CATEGORIES = ["Food & Drink", "food & drink", "Groceries", "Coffee", "Transfer"]

amounts = st.one_of(
    st.sampled_from(["0", "10", "-10", "10.00", "-10.00", "0.01", "-99.99", "250", "-250.5"]).map(Decimal),
    st.decimals(min_value=-500, max_value=500, places=2, allow_nan=False, allow_infinity=False),
)

transactions = st.builds(
    Transaction,
    id=st.sampled_from(["t1", "t2", "t3", "t4", "t5", "t6"]) | st.text(min_size=1, max_size=4),
    account_id=st.sampled_from(["acc_a", "acc_b"]),
    amount=amounts,
    date=st.integers(0, 9).map(lambda d: DAY0 + dt.timedelta(days=d)),
    description=st.sampled_from([*NAMES[:-1], "POS 123", "pos 123"]) | st.text(max_size=6),
    merchant_name=st.none() | st.sampled_from(NAMES),
    category=st.none() | st.sampled_from(CATEGORIES),
    category_path=st.lists(st.sampled_from(CATEGORIES), max_size=2),
    pending=st.booleans(),
)

bounds = st.sampled_from(["0", "10", "10.00", "0.01", "99.99", "250", "1000"]).map(Decimal)


def sometimes(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``strategy`` one time in five, else None: most drawn queries keep most transactions."""
    return st.integers(0, 4).flatmap(lambda k: strategy if k == 0 else st.none())


@st.composite
def queries(draw: st.DrawFn) -> TransactionQuery:
    start = DAY0 + dt.timedelta(days=draw(st.integers(-1, 4)))
    end = start + dt.timedelta(days=draw(st.integers(0, 12)))
    low, high = draw(sometimes(bounds)), draw(sometimes(bounds))
    if low is not None and high is not None and low > high:
        low, high = high, low
    paged = draw(st.booleans())
    return TransactionQuery.build(
        start,
        end,
        account_id=draw(sometimes(st.sampled_from(["acc_a", "acc_b"]))),
        min_amount=low,
        max_amount=high,
        merchant_name=draw(sometimes(st.sampled_from(["star", "STAR", "ss", "ß", "café", "i̇", "bucks c", "zz"]))),
        category=draw(sometimes(st.sampled_from([*CATEGORIES, "Nope"]))),
        exclude_pending=draw(st.integers(0, 4)) == 0,
        sort_by=draw(st.sampled_from(["date", "amount", "merchant"])),
        sort_order=draw(st.sampled_from(["asc", "desc"])),
        page=draw(st.integers(1, 6)) if paged else None,
        page_size=draw(st.integers(1, 7)) if paged else None,
    )


def ids(txns: list[Transaction]) -> list[int]:
    return [id(t) for t in txns]  # identity: duplicated ids and equal rows must still land in the right place


settings.register_profile("query", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(settings.get_profile("query"))
@given(txns=st.lists(transactions, min_size=5, max_size=40), q=queries())
def test_index_page_matches_the_reference(txns: list[Transaction], q: TransactionQuery) -> None:
    index = TransactionIndex(txns, start=q.start_date, end=q.end_date, account_id=q.account_id)
    positions, total = index.page(q)
    expected, expected_total = reference_page(txns, q)
    assert total == expected_total
    assert ids([index.transactions[i] for i in positions]) == ids(expected)


NEEDLES = ["star", "STAR", "ss", "SS", "ß", "straße", "café", "CAFÉ", "i̇", "İ", "bucks c", "pos", "zz"]


@settings(settings.get_profile("query"))
@given(
    txns=st.lists(transactions, min_size=5, max_size=40),
    needle=st.sampled_from(NEEDLES) | st.text(min_size=1, max_size=3),
    sort_by=st.sampled_from(["date", "amount", "merchant"]),
)
def test_merchant_matching_matches_the_reference(txns: list[Transaction], needle: str, sort_by: str) -> None:
    # the Unicode folding cases get their own test: in random combinations they are rare
    q = TransactionQuery.build(DAY0, DAY0 + dt.timedelta(days=9), merchant_name=needle, sort_by=sort_by)
    index = TransactionIndex(txns, start=q.start_date, end=q.end_date)
    assert ids([index.transactions[i] for i in index.select(q)]) == ids(reference_result(txns, q))


@settings(settings.get_profile("query"))
@given(txns=st.lists(transactions, min_size=5, max_size=40), q=queries())
def test_plain_functions_match_the_reference(txns: list[Transaction], q: TransactionQuery) -> None:
    everything = sort_transactions(filter_transactions(q, txns), q.sort_by, q.sort_order)
    assert ids(everything) == ids(reference_result(txns, q))
    assert ids(paginate(everything, q.page, q.page_size)) == ids(reference_page(txns, q)[0])


@settings(settings.get_profile("query"))
@given(txns=st.lists(transactions, min_size=5, max_size=60), q=queries(), size=st.integers(1, 9))
def test_paging_yields_each_match_exactly_once(txns: list[Transaction], q: TransactionQuery, size: int) -> None:
    index = TransactionIndex(txns, start=q.start_date, end=q.end_date, account_id=q.account_id)
    seen: list[int] = []
    page = 1
    while True:
        positions, total = index.page(TransactionQuery(**{**_fields(q), "page": page, "page_size": size}))
        if not positions:
            break
        assert len(positions) <= size
        seen.extend(positions)
        page += 1
    assert len(seen) == len(set(seen)) == total
    assert page - 1 == -(-total // size)  # as many non-empty pages as total_pages says
    assert [index.transactions[i] for i in seen] == reference_result(txns, q)


@settings(settings.get_profile("query"))
@given(txns=st.lists(transactions, min_size=5, max_size=40), q=queries())
def test_desc_is_exactly_asc_reversed(txns: list[Transaction], q: TransactionQuery) -> None:
    index = TransactionIndex(txns, start=q.start_date, end=q.end_date, account_id=q.account_id)
    asc = index.select(TransactionQuery(**{**_fields(q), "sort_order": "asc"}))
    desc = index.select(TransactionQuery(**{**_fields(q), "sort_order": "desc"}))
    assert desc == asc[::-1]


@settings(settings.get_profile("query"), max_examples=100)
@given(txns=st.lists(transactions, min_size=5, max_size=40), qs=st.lists(queries(), min_size=2, max_size=6))
def test_remembered_selections_never_leak_between_queries(txns: list[Transaction], qs: list[TransactionQuery]) -> None:
    # One index answers several different queries in a row (as the cache makes it): each still matches.
    first = qs[0]
    index = TransactionIndex(txns, start=first.start_date, end=first.end_date, account_id=first.account_id)
    for q in qs:
        same_range = TransactionQuery(**{**_fields(q), "start_date": first.start_date, "end_date": first.end_date,
                                         "account_id": first.account_id})
        positions, total = index.page(same_range)
        expected, expected_total = reference_page(txns, same_range)
        assert (ids([index.transactions[i] for i in positions]), total) == (ids(expected), expected_total)


def _fields(q: TransactionQuery) -> dict[str, object]:
    return {name: getattr(q, name) for name in q.__dataclass_fields__}
