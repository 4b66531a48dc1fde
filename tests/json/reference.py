"""The JSON writer fin-infra used before orjson (pure Python), kept as the reference the new one must match."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

_encode_str = json.encoder.encode_basestring


def _walk(obj: Any, out: list[str]) -> None:
    if isinstance(obj, str):
        out.append(_encode_str(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, Decimal):
        if not obj.is_finite():
            raise ValueError("a non-finite Decimal can't be written as JSON")
        out.append(format(obj, "f"))
    elif isinstance(obj, int):
        out.append(int.__repr__(obj))
    elif isinstance(obj, float):
        out.append(json.dumps(obj, allow_nan=False))
    elif isinstance(obj, dict):
        out.append("{")
        first = True
        for key, value in obj.items():
            if not first:
                out.append(",")
            first = False
            out.append(_encode_str(key if isinstance(key, str) else str(key)))
            out.append(":")
            _walk(value, out)
        out.append("}")
    elif isinstance(obj, (list, tuple)):
        out.append("[")
        for i, value in enumerate(obj):
            if i:
                out.append(",")
            _walk(value, out)
        out.append("]")
    elif isinstance(obj, BaseModel):
        _walk(obj.model_dump(mode="python", by_alias=True), out)
    elif isinstance(obj, (dt.date, dt.datetime, dt.time)):
        out.append(_encode_str(obj.isoformat()))
    elif isinstance(obj, Enum):
        _walk(obj.value, out)
    else:
        raise TypeError(f"can't write {type(obj).__name__} as JSON")


def dumps(obj: Any) -> str:
    """Compact JSON text of ``obj``; Decimals as exact numbers, dates as ISO strings, models dumped."""
    out: list[str] = []
    _walk(obj, out)
    return "".join(out)
