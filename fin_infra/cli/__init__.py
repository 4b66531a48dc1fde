"""``fin-infra`` / ``python -m fin_infra``: the one command-line entry point.

    fin-infra db upgrade --url sqlite:///history.db
    fin-infra keys new
    fin-infra history prune --older-than-days 730
    fin-infra emulators teller --port 8443
    fin-infra worker --concurrency 8
    fin-infra jobs status

Each command group is a small module in this package with a ``register(subcommands)`` hook that adds
its parser and sets ``handler`` (a function ``(args) -> exit code``) as the parser default. To add a
group, write its module and list it in `COMMAND_MODULES`. Handlers import their heavy dependencies
(SQLAlchemy, uvicorn, ...) when they run, so ``--help`` works without the extras installed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from fin_infra import __version__

# one line per command group, in the order ``--help`` lists them
COMMAND_MODULES: tuple[str, ...] = (
    "fin_infra.storage.cli",
    "fin_infra.crypto.cli",
    "fin_infra.cli.history",
    "fin_infra.cli.emulators",
    "fin_infra.jobs.cli",
)


def build_parser(prog: str = "fin-infra") -> argparse.ArgumentParser:
    """The full parser: every group in `COMMAND_MODULES` registered under ``prog``."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="fin-infra: bank-account aggregation for FastAPI apps. Commands:",
        epilog="Run '%(prog)s COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"fin-infra {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = "fin-infra") -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the chosen command, return its exit code."""
    parser = build_parser(prog)
    args = parser.parse_args(None if argv is None else list(argv))
    handler = getattr(args, "handler", None)
    if handler is None:  # a group given without its subcommand
        parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "--help"])
        return 2
    return int(handler(args))


__all__ = ["COMMAND_MODULES", "build_parser", "main"]
