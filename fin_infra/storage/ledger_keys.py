"""The query keys the ledger stores with each transaction, so SQL filters and sorts exactly as the in-memory
query layer (`fin_infra.banking.query`): no collation, no float, no ``lower()`` in between.

    >>> size_key(Decimal("-12.5")) < size_key(Decimal("100"))
    True
    >>> merchant_key("STRASSE", None) == merchant_key("Straße", None)
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

SEP = "\x1f"
FRACTION_DIGITS = 12


def merchant_key(description: str, merchant_name: str | None) -> str:
    """What ``merchant_name=`` searches and ``sort_by=merchant`` orders by: casefolded merchant, else description."""
    return (merchant_name or description).casefold()


def size_key(amount: Decimal) -> str:
    """``|amount|`` as fixed-width digits (20 whole, 12 fractional): comparing the text compares the sizes.
    Amounts with more than 12 decimal places compare by their first 12 (no provider sends such amounts)."""
    size = abs(amount)
    whole = int(size)
    fraction = int((size - whole) * (10**FRACTION_DIGITS))
    return f"{whole:020d}.{fraction:0{FRACTION_DIGITS}d}"


def category_keys(category: str | None, path: Iterable[str]) -> str:
    """Every category level, each between separators: ``category=X`` is an exact match of ``SEP + X + SEP``."""
    levels = {*path, *([category] if category is not None else [])}
    return SEP + SEP.join(sorted(levels)) + SEP if levels else ""
