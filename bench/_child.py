"""Emulators in a child process, so their CPU is not counted as ours.

`served_by`: the benchmark module runs itself with ``--serve``; the child prints ``READY <fields...>`` once
serving and serves until its stdin closes:

    with served_by("bench.plaid_sync") as (child, fields):
        asyncio.run(measure(*fields))

`tuned_child`: the module's ``serve()`` prints a JSON object, then takes latencies from its stdin
(`serve_tuned`), so one run measures at several.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def served_by(module: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Start ``python -m <module> --serve``; yield the child and the fields of its READY line; stop it after."""
    child = subprocess.Popen(
        [sys.executable, "-m", module, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().split()
        if not line or line[0] != "READY":
            raise SystemExit(f"{module}: the emulator process did not start")
        yield child, line[1:]
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)


@contextmanager
def tuned_child(module: str) -> Iterator[tuple[dict[str, Any], Callable[[float], None]]]:
    """Start ``serve()`` of ``module`` in a child; yield the JSON object it prints first and a function that sets
    its emulator's latency (seconds, see `serve_tuned`); stop it after."""
    child = subprocess.Popen(
        [sys.executable, "-c", f"from {module} import serve; serve()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None and child.stdin is not None
    stdin, stdout = child.stdin, child.stdout

    def set_latency(seconds: float) -> None:
        stdin.write(f"{seconds}\n")
        stdin.flush()
        stdout.readline()

    try:
        yield json.loads(stdout.readline()), set_latency
    finally:
        stdin.close()
        child.wait(timeout=30)
        stdout.close()


def serve_tuned(ready: dict[str, Any], faults: Any) -> None:
    """The child's side of `tuned_child`: print ``ready``, then take latencies from stdin until it closes."""
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        faults.latency = float(line)
        print("ok", flush=True)


async def median(fn: Callable[[], Awaitable[Any]], rounds: int) -> float:
    """The median wall time of ``rounds`` sequential awaits of ``fn()``."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
