"""A model built from values its caller has already checked, without pydantic's validation.

For hot paths that build many models (a 10,000-transaction sync): validation costs several times the
rest, and copies every list and dict it is given. The caller checks each value's type itself; the
result is equal to validating the same values (tests/plaid/test_trusted_models.py compares).
Only for frozen models, which share one fields-set.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_FIELDS: dict[type[BaseModel], set[str]] = {}


def trusted(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of frozen ``cls`` holding ``values`` (one for every field, each of its field's type) as given."""
    fields = _FIELDS.get(cls)
    if fields is None:
        if not cls.model_config.get("frozen"):
            raise TypeError(f"{cls.__name__} is not frozen: build it with validation")
        fields = _FIELDS[cls] = set(cls.model_fields)
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", fields)
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj
