"""``python -m bench`` (or ``make bench``): run every benchmark in this folder, one after another.

Each benchmark is a module here, run as ``__main__``, that prints its figures next to the comparison it
is judged by; run one alone with ``python -m bench.<name>``.
"""

from __future__ import annotations

import pkgutil
import runpy
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    here = Path(__file__).parent
    modules = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    for name in names or modules:
        print(f"\n=== bench.{name} ===", flush=True)
        runpy.run_module(f"bench.{name}", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
