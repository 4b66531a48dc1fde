"""The exact-decimal JSON writer, per 1,000 transactions: ``python -m bench.json_writer``.

``fin_infra._json.dumpb`` (orjson; Decimals as `orjson.Fragment` of their digits, dates by
``isoformat``) next to plain ``orjson.dumps`` of the same dicts with float amounts (the floor: what the
fastest JSON library costs when money may be rounded). Printed, measured in one run (best of rounds,
interleaved so the shared machine's drift hits all alike; the collector paused while timing, as timeit does):

- the writer over 1,000 transaction dicts (``Transaction.model_dump()``: Decimal amounts, dates) vs
  plain orjson over the same dicts with floats: judged, under 1.5x;
- the writer over the 1,000 `Transaction` models themselves (what the routes hand it), same comparison;
- the previous pure-Python writer (tests/json/reference.py) over the dicts, for the speed-up;
- where the time goes: orjson over the dicts with the amounts already fragments (writing alone), making
  1,000 fragments (``str`` of each Decimal: the digits alone), and orjson with the least possible ``default``
  (one line: the floor of any writer that gets exact digits through orjson's call back).

Every output is checked byte for byte against the previous writer's.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

from fin_infra._json import dumpb
from fin_infra.models import Transaction

N = 1000
ROUNDS = 30
TARGET = 1.5


def transactions(n: int = N, seed: int = 18) -> list[Transaction]:
    rng = random.Random(seed)
    merchants = ["Starbucks", "Whole Foods Market", "Shell", None, "Café Müller", "Amazon"]
    out = []
    for i in range(n):
        merchant = rng.choice(merchants)
        out.append(
            Transaction(
                id=f"txn_{i:06d}_{rng.getrandbits(32):08x}",
                account_id=rng.choice(["acc_checking", "acc_card"]),
                amount=Decimal(rng.randint(-250_000, 400_000)) / 100,
                date=dt.date(2026, 1, 31) - dt.timedelta(days=rng.randrange(730)),
                description=(merchant or "ONLINE TRANSFER").upper() + f" #{rng.randint(100, 9999)}",
                merchant_name=merchant,
                category="Food & Drink",
                category_path=["Food & Drink", "Coffee"],
                pending=rng.random() < 0.05,
                currency="USD",
            )
        )
    return out


def best(fn: Callable[[], Any], number: int = 5) -> float:
    gc.collect()
    gc.disable()  # as timeit does: a collection started by someone else's garbage is not this writer's cost
    try:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        return (time.perf_counter() - start) / number
    finally:
        gc.enable()


def main() -> int:
    from tests.json.reference import dumps as reference

    models = transactions()
    dicts = [t.model_dump(mode="python", by_alias=True) for t in models]
    floats = [{**d, "amount": float(d["amount"])} for d in dicts]
    expected = reference(dicts).encode()
    if dumpb(dicts) != expected or dumpb(models) != expected:
        raise SystemExit("MISMATCH: the writer and the previous writer disagree")

    fragment = orjson.Fragment
    amounts = [d["amount"] for d in dicts]
    fragments = [{**d, "amount": fragment(str(d["amount"]))} for d in dicts]
    cases: dict[str, Callable[[], Any]] = {
        "writer, dicts": lambda: dumpb(dicts),
        "writer, models": lambda: dumpb(models),
        "orjson, dicts with floats": lambda: orjson.dumps(floats),
        "previous writer, dicts": lambda: reference(dicts),
        "orjson, amounts as fragments": lambda: orjson.dumps(fragments),
        "str + Fragment per amount": lambda: [fragment(str(a)) for a in amounts],
        "orjson + one-line default": lambda: orjson.dumps(dicts, default=lambda d: fragment(str(d))),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, fn in cases.items():
            times[name].append(best(fn, 1 if name.startswith("previous") else 5))
    ms = {name: min(ts) * 1000 for name, ts in times.items()}

    floor = ms["orjson, dicts with floats"]
    print(f"{N:,} transactions, best of {ROUNDS} interleaved rounds; output byte-identical to the previous writer")
    ok = True
    for name in ("writer, dicts", "writer, models"):
        ratio = ms[name] / floor
        verdict = "PASS" if ratio < TARGET else "FAIL"
        ok &= ratio < TARGET if name == "writer, dicts" else True
        judged = f"target < {TARGET}x: {verdict}" if name == "writer, dicts" else "informational"
        print(f"  {name:<28} {ms[name]:7.3f} ms -> {ratio:.2f}x plain orjson with floats ({judged})")
    print(f"  {'orjson, dicts with floats':<28} {floor:7.3f} ms (the floor; amounts rounded through float)")
    print("  where the writer's time goes (the exact digits of a Decimal come only from Python: orjson calls back):")
    for name, note in (
        ("orjson, amounts as fragments", "writing alone, the digits made beforehand"),
        ("str + Fragment per amount", "making the digits alone"),
        ("orjson + one-line default", "the least a call back per Decimal costs: the floor of this design"),
    ):
        print(f"    {name:<30} {ms[name]:7.3f} ms -> {ms[name] / floor:.2f}x ({note})")
    previous = ms["previous writer, dicts"]
    speedup = previous / ms["writer, dicts"]
    print(f"  {'previous writer, dicts':<28} {previous:7.3f} ms -> the writer is {speedup:.1f}x faster")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
