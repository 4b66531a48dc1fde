"""``python -m bench`` (or ``make bench``): run every benchmark in this folder, one after another.

Each benchmark is a module here, run as ``__main__``, that prints its figures next to the comparison it
is judged by; run one alone with ``python -m bench.<name>`` or ``python -m bench <name>``.
"""

from __future__ import annotations

import argparse
import pkgutil
import runpy
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    modules = available()
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all): {', '.join(modules)}",
    )
    names = parser.parse_args(argv).names
    unknown = sorted(set(names) - set(modules))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(modules)}")
    failed = []
    for name in names or modules:
        print(f"\n=== bench.{name} ===", flush=True)
        try:
            runpy.run_module(f"bench.{name}", run_name="__main__", alter_sys=True)
        except SystemExit as exit_:  # a benchmark reports a missed target through its exit status
            if exit_.code not in (None, 0):
                failed.append(name)
    if failed:
        print(f"\nmissed targets: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
