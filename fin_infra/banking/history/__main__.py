"""Manage the balance history tables from the command line.

    python -m fin_infra.banking.history migrate --url sqlite:///history.db
    python -m fin_infra.banking.history prune --older-than-days 730 --url postgresql://app@db/app

``--url`` defaults to ``FIN_INFRA_DATABASE_URL``. ``migrate`` creates the table and its indexes if
missing (the store also does this on first use); ``prune`` deletes snapshots older than N days.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from sqlalchemy.exc import SQLAlchemyError

from fin_infra.banking.history import DATABASE_URL_ENV, aprune_balance_history
from fin_infra.banking.history.stores.sql import DEFAULT_TABLE, SQLBalanceStore


async def _run(args: argparse.Namespace) -> str:
    store = SQLBalanceStore(args.url, table_name=args.table, create_schema=args.command == "migrate")
    shown = store.url.render_as_string(hide_password=True)
    try:
        if args.command == "migrate":
            await store.create_schema()
            return f"balance history table {args.table!r} is ready in {shown}"
        deleted = await aprune_balance_history(args.older_than_days, store=store)
        return f"deleted {deleted} snapshot(s) older than {args.older_than_days} days from {shown}"
    finally:
        await store.aclose()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m fin_infra.banking.history",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url", default=os.environ.get(DATABASE_URL_ENV), help=f"database URL (default ${DATABASE_URL_ENV})"
    )
    common.add_argument("--table", default=DEFAULT_TABLE, help="table name (default %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", parents=[common], help="create the table and indexes if missing")
    prune = commands.add_parser("prune", parents=[common], help="delete snapshots older than N days")
    prune.add_argument("--older-than-days", type=int, required=True, metavar="N")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error(f"give --url or set {DATABASE_URL_ENV}")
    try:
        print(asyncio.run(_run(args)))
    except (ValueError, OSError, SQLAlchemyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
