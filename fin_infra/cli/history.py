"""``fin-infra history migrate|prune``: manage the balance history table (SQLite or PostgreSQL)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

DESCRIPTION = """\
Manage the balance history table.

  fin-infra history migrate --url postgresql://app@db/app
  fin-infra history prune --older-than-days 730        # e.g. from a daily cron job

--url defaults to $FIN_INFRA_DATABASE_URL. The table is also created on first use by the store.
"""
URL_HELP = (
    "the history database: sqlite:///path/to/history.db or postgresql://user@host:5432/dbname "
    "(default: $FIN_INFRA_DATABASE_URL)"
)
MEMORY_MESSAGE = (
    "{url} keeps balance history inside one running process: it has no table to {command}. "
    "Give --url sqlite:///path/to/history.db or postgresql://user@host/dbname (or set FIN_INFRA_DATABASE_URL)"
)


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if days < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more days, got {days}")
    return days


def register(commands: Any) -> None:
    """Add ``history migrate`` and ``history prune`` to the top-level subcommands."""
    group = commands.add_parser(
        "history",
        help="manage the balance history table (migrate, prune)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=None, metavar="URL", help=URL_HELP)
    common.add_argument(
        "--table", default="balance_history", metavar="NAME", help="table name (default: %(default)s)"
    )
    sub = group.add_subparsers(dest="history_command", required=True)
    migrate = sub.add_parser(
        "migrate",
        parents=[common],
        help="create the table and its indexes if missing (idempotent)",
        description="Create the balance history table and its indexes if they are missing (safe to run again).",
    )
    migrate.set_defaults(handler=run)
    prune = sub.add_parser(
        "prune",
        parents=[common],
        help="delete snapshots older than N days",
        description="Delete balance snapshots dated more than N days before today; prints how many.",
    )
    prune.add_argument(
        "--older-than-days",
        type=_days,
        required=True,
        metavar="N",
        help="delete snapshots dated before today minus N days (N >= 0; 730 keeps two years)",
    )
    prune.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``migrate`` or ``prune``; errors are one line on stderr, never a password."""
    from fin_infra.banking.history import DATABASE_URL_ENV

    url = (args.url or os.environ.get(DATABASE_URL_ENV, "")).strip()
    if not url:
        print(f"error: give --url or set {DATABASE_URL_ENV} (e.g. sqlite:///history.db)", file=sys.stderr)
        return 2
    if url.split(":", 1)[0].lower() == "memory":
        print("error: " + MEMORY_MESSAGE.format(url=url, command=args.history_command), file=sys.stderr)
        return 2
    try:
        from sqlalchemy.exc import SQLAlchemyError

        from fin_infra.banking.history.stores.sql import SQLBalanceStore
    except ImportError:
        print(
            "error: the history commands need SQLAlchemy and a driver: "
            "pip install 'fin-infra[sqlite]' or 'fin-infra[postgres]'",
            file=sys.stderr,
        )
        return 1
    try:
        store = SQLBalanceStore(url, table_name=args.table, create_schema=False)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    shown = store.url.render_as_string(hide_password=True)
    try:
        print(asyncio.run(_run(store, args, shown)))
    except (ValueError, OSError, SQLAlchemyError) as exc:
        print(f"error: {shown}: {exc}", file=sys.stderr)
        return 1
    return 0


async def _run(store: Any, args: argparse.Namespace, shown: str) -> str:
    from fin_infra.banking.history import aprune_balance_history

    try:
        if args.history_command == "migrate":
            await store.create_schema()
            return f"balance history table {args.table!r} is ready in {shown}"
        if not await store.has_schema():
            return (
                f"nothing to prune: there is no table {args.table!r} in {shown} yet "
                "(it is created on first use, or by 'fin-infra history migrate')"
            )
        deleted = await aprune_balance_history(args.older_than_days, store=store)
        return f"deleted {deleted} snapshot(s) older than {args.older_than_days} days from {shown}"
    finally:
        await store.aclose()
