"""Money as `Decimal`: parsing that never goes through binary floats' noise."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema


def to_decimal(value: Any) -> Any:
    """Turn provider and user input into a `Decimal` without float noise.

    Floats go through `repr`, so ``5432.10`` becomes ``Decimal("5432.1")``, not
    ``Decimal("5432.1000000000003637978807091712951660156250")``.
    Anything else is left for pydantic to validate (and reject with a clear error).
    """
    if isinstance(value, Decimal) or value is None:
        return value
    if isinstance(value, bool):
        return value  # let pydantic refuse booleans
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return value
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(to_decimal),
    Field(allow_inf_nan=False),
    WithJsonSchema({"type": "number", "description": "exact decimal amount"}),
]
"""A monetary amount: always a finite `Decimal`."""
