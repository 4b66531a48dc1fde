"""JSON with money written exactly: a `Decimal` becomes a JSON number with the same digits.

pydantic writes `Decimal` as a string and the standard library refuses it; going through `float`
would change amounts such as ``0.1 + 0.2``. This writer puts ``Decimal("5432.10")`` down as ``5432.10``.

    >>> from decimal import Decimal
    >>> dumps({"amount": Decimal("-45.67"), "n": [1, None, True]})
    '{"amount":-45.67,"n":[1,null,true]}'

orjson does the writing; a Decimal goes in as an `orjson.Fragment` of its plain (never exponent) digits,
a pydantic model as a dict of its fields (``model_dump(by_alias=True)``'s keys and values; built
straight from the fields when the model has no custom serialisation, with its Decimals already turned
into fragments, and its times and datetimes as ``isoformat()`` text). Dates are ISO strings, enums their
values, other keys ``str(key)``. The output is byte for byte what the previous pure-Python writer produced
(tests/json compares them), except for values fin-infra never writes outside a model: floats (money is
Decimal; orjson writes the shortest repr, ``0.00001`` where ``repr`` says ``1e-05``, and NaN or an
infinity as ``null``, not an error), a dict with two keys written as one name (``True`` and ``"True"``:
a `ValueError`, where the previous writer wrote the name twice) and bare times and datetimes (orjson's:
it refuses a time with a UTC offset, drops the seconds of an offset, and writes ``time(0, 0, 0, 10000)``
as ``"00:00:00.10000"``).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from typing import Any, get_args

import orjson
from pydantic import BaseModel

# Dates are orjson's (the same ISO text, and far cheaper than a call back into Python for each). Times
# and datetimes in models are written by ``isoformat()`` here: orjson's text differs for UTC offsets with
# seconds, it refuses a time with an offset, and writes time(0, 0, 0, 10000) as "00:00:00.10000".
_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS  # not OPT_NON_STR_KEYS: it slows every dict; see _normalised
_Fragment = orjson.Fragment


def decimal_fragment(value: Decimal) -> orjson.Fragment:
    """``value``'s digits as a JSON number (``format(value, "f")``); a non-finite Decimal is a `ValueError`."""
    text = str(value)  # several times faster than format(); the same text unless it has an exponent
    if "E" in text or not text[-1].isdigit():
        if not value.is_finite():
            raise ValueError("a non-finite Decimal can't be written as JSON")
        text = format(value, "f")
    return _Fragment(text)


_CONVERT: dict[type, Any] = {Decimal: decimal_fragment, dt.datetime: dt.datetime.isoformat, dt.time: dt.time.isoformat}


def _convert(value: Any) -> Any:
    convert = _CONVERT.get(value.__class__)
    if convert is not None:
        return convert(value)
    if isinstance(value, (list, tuple)):
        return [_convert(v) for v in value]
    if isinstance(value, dict):
        return {k: _convert(v) for k, v in value.items()}
    return value


def _converted_field(annotation: Any) -> bool:
    return annotation in _CONVERT or any(_converted_field(a) for a in get_args(annotation))


# (the fields' values in order, from the model's __dict__; their keys), then the keys whose values may
# hold Decimals, datetimes or times
_Plan = tuple[Callable[[dict[str, Any]], tuple[Any, ...]], tuple[str, ...], tuple[str, ...]]
_PLANS: dict[type[BaseModel], _Plan | None] = {}


def _plan(cls: type[BaseModel]) -> _Plan | None:
    """How to read ``cls``'s dump straight from its fields; None when it customises serialisation."""
    decorators = cls.__pydantic_decorators__
    if (
        decorators.field_serializers
        or decorators.model_serializers
        or cls.__pydantic_computed_fields__
        or cls.model_config.get("extra") == "allow"
        or cls.__pydantic_root_model__
    ):
        return None
    fields, converted = [], []
    for name, info in cls.model_fields.items():
        if any("Serializer" in type(m).__name__ for m in info.metadata) or getattr(info, "exclude_if", None):
            return None
        if info.exclude:
            continue
        key = info.serialization_alias or info.alias or name
        fields.append((name, key))
        if _converted_field(info.annotation):
            converted.append(key)
    names = [name for name, _ in fields]
    if len(names) == 1:
        only = names[0]
        values: Callable[[dict[str, Any]], tuple[Any, ...]] = lambda d: (d[only],)  # noqa: E731
    else:
        values = operator.itemgetter(*names)  # a tuple, in C: cheaper than a comprehension per field
    return values, tuple(key for _, key in fields), tuple(converted)


def _model(obj: BaseModel) -> dict[str, Any]:
    cls = type(obj)
    try:
        plan = _PLANS[cls]
    except KeyError:
        plan = _PLANS[cls] = _plan(cls)
    if plan is None:
        return obj.model_dump(mode="python", by_alias=True)
    values, keys, converted = plan
    out = dict(zip(keys, values(obj.__dict__), strict=True))
    for key in converted:  # here rather than in _default: a call from orjson back into Python costs more
        value = out[key]
        if value.__class__ is Decimal:
            out[key] = decimal_fragment(value)
        elif value is not None:
            out[key] = _convert(value)
    return out


def _default(obj: Any) -> Any:
    if obj.__class__ is Decimal:  # the common case first, inlined: orjson calls this once per Decimal
        text = str(obj)
        if "E" not in text and text[-1].isdigit():
            return _Fragment(text)
        return decimal_fragment(obj)
    if isinstance(obj, BaseModel):
        return _model(obj)
    if isinstance(obj, Decimal):
        return decimal_fragment(obj)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, (dt.date, dt.time)):  # subclasses, which orjson leaves to us
        return obj.isoformat()
    raise TypeError(f"can't write {type(obj).__name__} as JSON")


def _normalised(obj: Any) -> Any:
    """``obj`` with what orjson refuses made writable: integers beyond 64 bits as fragments, keys that
    are not strings as ``str(key)``."""
    if isinstance(obj, int) and not isinstance(obj, (bool, Enum)):
        return obj if -(2**63) <= obj < 2**64 else _Fragment(int.__repr__(obj))
    if isinstance(obj, dict):
        out = {(k if isinstance(k, str) else str(k)): _normalised(v) for k, v in obj.items()}
        if len(out) < len(obj):  # e.g. True and "True": one JSON object can't hold both, and dropping one loses data
            names = [k if isinstance(k, str) else str(k) for k in obj]
            twice = next(n for n in names if names.count(n) > 1)
            raise ValueError(f"two keys of one dict are both written as the JSON name {twice[:40]!r}")
        return out
    if isinstance(obj, (list, tuple)):
        return [_normalised(v) for v in obj]
    if isinstance(obj, BaseModel):
        return _normalised(_model(obj))
    return obj


def dumpb(obj: Any) -> bytes:
    """Compact JSON (UTF-8 bytes) of ``obj``; Decimals as exact numbers, dates as ISO strings, models dumped."""
    try:
        try:
            return orjson.dumps(obj, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError as exc:
            if exc.__cause__ is not None or not any(m in str(exc) for m in ("64-bit", "key must be str")):
                raise
            return orjson.dumps(_normalised(obj), default=_default, option=_OPTIONS)  # rare: a walk, then again
    except orjson.JSONEncodeError as exc:
        cause = exc.__cause__
        if isinstance(cause, (TypeError, ValueError)):  # ours, from _default: keep its type and message
            raise cause from None
        raise TypeError(str(exc)) from None


def dumps(obj: Any) -> str:
    """Compact JSON text of ``obj``; Decimals as exact numbers, dates as ISO strings, models dumped."""
    return dumpb(obj).decode()
