"""``fin-infra emulators teller|plaid|mx|finicity``: serve a provider emulator by hand until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from types import FrameType
from typing import Any

# name -> (module with ``main(host: str, port: int) -> None`` serving until interrupted, default port, what)
EMULATORS: dict[str, tuple[str, int, str]] = {
    "teller": ("fin_infra.emulators.teller.cli", 8443, "Teller's API over HTTPS with client certificates (mTLS)"),
    "plaid": ("fin_infra.emulators.plaid.cli", 8444, "Plaid's API over HTTP"),
    "mx": ("fin_infra.emulators.mx.cli", 8445, "MX Platform API over HTTP"),
    "finicity": ("fin_infra.emulators.finicity.cli", 8446, "Finicity (Mastercard Open Finance US) API over HTTP"),
}


def register(commands: Any) -> None:
    """Add ``emulators teller`` and ``emulators plaid``."""
    group = commands.add_parser(
        "emulators",
        help="serve a provider emulator (teller, plaid, mx, finicity) for manual testing",
        description="Serve a local emulator of a provider's API and print the settings that point fin-infra at it.",
    )
    sub = group.add_subparsers(dest="emulator", required=True)
    for name, (_module, port, what) in EMULATORS.items():
        one = sub.add_parser(name, help=what, description=f"Serve the {name} emulator: {what}.")
        one.add_argument(
            "--host", default="127.0.0.1", help="address to listen on (default: %(default)s, this machine only)"
        )
        one.add_argument(
            "--port", type=int, default=port, help="port to listen on, 0 for any free one (default: %(default)s)"
        )
        one.set_defaults(handler=run)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C, so temporary certificates are removed


def run(args: argparse.Namespace) -> int:
    """Serve the chosen emulator until interrupted; SIGTERM and SIGINT stop it as cleanly as Ctrl-C."""
    module_name = EMULATORS[args.emulator][0]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        print(
            f"error: the emulators need the 'emulators' extra ({exc}): pip install 'fin-infra[emulators]'",
            file=sys.stderr,
        )
        return 1
    # SIGINT too: a process started from a background job inherits SIGINT ignored, and "until Ctrl-C" (or a
    # supervisor's kill -INT) must still stop it cleanly.
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        module.main(host=args.host, port=args.port)
    except KeyboardInterrupt:  # a stop that came before the emulator began waiting for it
        pass
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
