"""``python -m fin_infra.emulators <teller|plaid|mx> [--host H] [--port N]``: run an emulator by hand."""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> module with ``main(host: str, port: int) -> None`` (serves until interrupted)
COMMANDS = {"teller": "fin_infra.emulators.teller.cli", "plaid": "fin_infra.emulators.plaid.cli",
            "mx": "fin_infra.emulators.mx.cli"}
DEFAULT_PORTS = {"teller": 8443, "plaid": 8444, "mx": 8445}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fin_infra.emulators", description=__doc__)
    parser.add_argument("provider", choices=sorted(COMMANDS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    module = importlib.import_module(COMMANDS[args.provider])
    module.main(host=args.host, port=args.port if args.port is not None else DEFAULT_PORTS[args.provider])
    return 0


if __name__ == "__main__":
    sys.exit(main())
