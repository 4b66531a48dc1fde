"""The orjson writer (`fin_infra._json`) against the previous pure-Python one (tests/json/reference.py).

Byte-identical output over varied data: exact decimals of every shape, dates and times, unicode and
control characters, nesting, enums, and every model fin-infra serialises, including responses the routes
build. Errors keep their types: a non-finite Decimal is a ValueError, an unknown type a TypeError.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from fin_infra._json import dumpb, dumps
from fin_infra.banking.query.index import TransactionIndex
from fin_infra.banking.query.response import page_body
from fin_infra.banking.query.service import QueryResult
from fin_infra.banking.query.value import TransactionQuery
from fin_infra.models import (
    Address,
    Balance,
    BalanceSnapshot,
    BankAccount,
    Identity,
    LinkToken,
    Owner,
    TokenExchange,
    Transaction,
)
from fin_infra.providers.banking.plaid.sync import SyncResult
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN, SandboxProvider
from tests.json.reference import dumps as reference


class Color(enum.Enum):
    RED = "red"
    AMOUNT = 3


class Level(enum.IntEnum):
    LOW = 1


class Kind(enum.StrEnum):
    DEBIT = "debit"


decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**15), max_value=10**15),
    st.sampled_from([Decimal("0"), Decimal("-0"), Decimal("0.00"), Decimal("-0.00"), Decimal("1E+2"),
                     Decimal("1E-7"), Decimal("0E-7"), Decimal("123456789012345678901234567890.123456789"),
                     Decimal("-5432.10"), Decimal("1.10E+3")]),
)
texts = st.text(st.characters(exclude_categories=["Cs"]))  # lone surrogates can't be UTF-8 in either writer
offsets = st.integers(min_value=-23 * 60 + 1, max_value=23 * 60 - 1).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)
# bare datetimes and times are left to orjson (see fin_infra._json): fin-infra writes them only in models
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), texts, decimals, st.dates(),
    st.sampled_from([Color.RED, Color.AMOUNT, Level.LOW, Kind.DEBIT]),
)  # fmt: skip
keys = st.one_of(texts, st.integers(), st.booleans(), st.none(), st.dates(), decimals)  # old writer: str(key)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=5).map(tuple),
        st.dictionaries(keys, inner, max_size=5).filter(lambda d: len({str(k) for k in d}) == len(d)),
    ),
    max_leaves=30,
)


def same(obj: Any) -> None:
    expected = reference(obj)
    assert dumps(obj) == expected
    assert dumpb(obj) == expected.encode()


@settings(max_examples=400, deadline=None)
@given(documents)
def test_documents_are_byte_identical(doc: Any) -> None:
    same(doc)


money = decimals.filter(lambda d: abs(d) < 10**20)
optional_text = st.none() | texts


class Stamped(BaseModel):
    """A model with the kinds of field orjson would write differently: they go through isoformat()."""

    at: dt.datetime
    when: dt.time | None
    seen: list[dt.datetime]
    amount: Decimal | None


stamped = st.builds(
    Stamped, at=st.datetimes() | st.datetimes(timezones=offsets),
    when=st.none() | st.times() | st.times(timezones=offsets),
    seen=st.lists(st.datetimes(timezones=offsets), max_size=2), amount=st.none() | decimals,
)  # fmt: skip


@st.composite
def transactions(draw: st.DrawFn) -> Transaction:
    path = draw(st.lists(texts, max_size=3))
    return Transaction(
        id=draw(texts), account_id=draw(texts), amount=draw(money), date=draw(st.dates()),
        description=draw(texts), merchant_name=draw(optional_text), category=path[0] if path else None,
        category_path=path, pending=draw(st.booleans()), pending_transaction_id=draw(optional_text),
        currency=draw(st.sampled_from(["USD", "EUR", "CAD"])), raw=draw(st.none() | st.just({"secret": "x"})),
    )  # fmt: skip


@st.composite
def accounts(draw: st.DrawFn) -> BankAccount:
    return BankAccount(
        id=draw(texts), name=draw(texts), official_name=draw(optional_text), type=draw(texts),
        subtype=draw(optional_text), mask=draw(optional_text), balance=draw(st.none() | money),
        available_balance=draw(st.none() | money), currency="USD", institution_id=draw(optional_text),
        institution_name=draw(optional_text), raw={"token": "never written"},
    )  # fmt: skip


addresses = st.builds(Address, street=optional_text, city=optional_text, country=optional_text)
owners = st.builds(
    Owner, name=optional_text, address=st.none() | addresses, names=st.lists(texts, max_size=2),
    addresses=st.lists(addresses, max_size=2),
)  # fmt: skip
models = st.one_of(
    stamped,
    transactions(),
    accounts(),
    st.builds(Balance, account_id=texts, current=st.none() | money, available=st.none() | money,
              limit=st.none() | money),
    st.builds(BalanceSnapshot, account_id=texts, balance=money, date=st.dates()),
    st.builds(Identity, owners=st.lists(owners, max_size=2), account_ids=st.lists(texts, max_size=2)),
    st.builds(SyncResult, added=st.lists(transactions(), max_size=3), modified=st.lists(transactions(), max_size=2),
              removed=st.lists(texts, max_size=2), next_cursor=texts),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(models, max_size=4), st.integers())
def test_models_are_byte_identical(items: list[BaseModel], count: int) -> None:
    same(items)
    same({"items": items, "count": count})


async def test_what_the_routes_write_is_byte_identical() -> None:
    sandbox = SandboxProvider()
    same({"accounts": await sandbox.get_accounts(DEMO_ACCESS_TOKEN), "count": 3})
    same({"balances": await sandbox.get_balances(DEMO_ACCESS_TOKEN), "count": 3})
    same(await sandbox.get_identity(DEMO_ACCESS_TOKEN))
    same(await sandbox.create_link_token("user_1"))
    public = await sandbox.create_sandbox_public_token("ins_sandbox_chase")
    exchange = await sandbox.exchange_public_token(public)
    assert isinstance(exchange, TokenExchange)
    same(exchange)
    assert isinstance(await sandbox.create_link_token("u"), LinkToken)

    txns = await sandbox.get_transactions(DEMO_ACCESS_TOKEN, "2025-01-01", "2025-03-31")
    same(txns)
    q = TransactionQuery.build("2025-01-01", "2025-03-31", page=2, page_size=25)
    index = TransactionIndex(txns, start=q.start_date, end=q.end_date)
    positions, total = index.page(q)
    body = page_body(QueryResult(q, index, positions, total), "/banking/transactions")
    page = [txns[i] for i in positions]
    assert body.startswith(b'{"transactions":' + reference(page).encode() + b",")


def test_a_model_with_its_own_serialiser_is_dumped_by_pydantic() -> None:
    from pydantic import field_serializer

    class Custom(BaseModel):
        amount: Decimal

        @field_serializer("amount")
        def _as_cents(self, value: Decimal) -> int:
            return int(value * 100)

    same(Custom(amount=Decimal("1.25")))
    assert dumps(Custom(amount=Decimal("1.25"))) == '{"amount":125}'


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("-Infinity"), Decimal("sNaN"), [Decimal("Infinity")]])
def test_non_finite_decimal_is_a_value_error(bad: Any) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        reference(bad)
    with pytest.raises(ValueError, match="non-finite"):
        dumps(bad)


@pytest.mark.parametrize("bad", [{1, 2}, object(), b"bytes", {"nested": [frozenset()]}])
def test_unknown_types_are_a_type_error(bad: Any) -> None:
    with pytest.raises(TypeError):
        reference(bad)
    with pytest.raises(TypeError, match="can't write"):
        dumps(bad)


@pytest.mark.parametrize("doc", [{True: 1, "True": 2}, [{"a": {1: None, "1": None}}], {None: 0, "None": 0}])
def test_two_keys_written_as_one_name_are_refused_not_dropped(doc: Any) -> None:
    with pytest.raises(ValueError, match="both written as the JSON name"):
        dumpb(doc)
