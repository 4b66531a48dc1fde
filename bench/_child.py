"""Emulators in a child process, so their CPU is not counted as ours: the benchmark module runs itself with
``--serve``; the child prints ``READY <fields...>`` once serving and serves until its stdin closes.

    with served_by("bench.plaid_sync") as (child, fields):
        asyncio.run(measure(*fields))
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


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
