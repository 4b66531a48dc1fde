"""``db`` commands: apply fin-infra's migrations and show where a database stands.

    python -m fin_infra db upgrade [--url URL]     # to the newest schema (idempotent)
    python -m fin_infra db current [--url URL]     # the applied migration and the newest one

``--url`` defaults to ``FIN_INFRA_DATABASE_URL``; ``?schema=name`` in a PostgreSQL URL picks a schema.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from fin_infra.storage.urls import DATABASE_URL_ENV


async def _upgrade(url: str) -> str:
    from fin_infra.storage import Database
    from fin_infra.storage.migrate import current_revision

    db = Database(url)
    try:
        await db.upgrade()
        return f"{db!r} is at migration {await current_revision(db)} (newest)"
    finally:
        await db.aclose()


async def _current(url: str) -> str:
    from fin_infra.storage import Database
    from fin_infra.storage.migrate import current_revision, head_revision

    db = Database(url)
    try:
        now = await current_revision(db)
        return f"{db!r}: applied {now or 'none'}, newest {head_revision()}"
    finally:
        await db.aclose()


def db_upgrade(url: str) -> str:
    """Upgrade the database at ``url`` to the newest schema; returns what to print."""
    return asyncio.run(_upgrade(url))


def db_current(url: str) -> str:
    """The applied and the newest migration of the database at ``url``."""
    return asyncio.run(_current(url))


def run(args: argparse.Namespace) -> int:
    """Run a parsed ``db`` command; prints the outcome, returns the exit code."""
    url = args.url or os.environ.get(DATABASE_URL_ENV, "").strip()
    if not url:
        print(f"error: give --url or set {DATABASE_URL_ENV}", file=sys.stderr)
        return 2
    if url.startswith("memory:"):
        print(
            "error: memory:// lives only inside one process; migrate a sqlite:/// or postgresql:// URL", file=sys.stderr
        )
        return 2
    try:
        print(db_upgrade(url) if args.db_command == "upgrade" else db_current(url))
    except Exception as exc:  # a CLI: one clear line, first line only (drivers append parameters)
        first = (str(exc).splitlines() or [""])[0][:300]
        print(f"error: {type(exc).__name__}: {first}", file=sys.stderr)
        return 1
    return 0


def register(subparsers: Any) -> None:
    """Add the ``db`` command group to an argparse sub-parser set."""
    db = subparsers.add_parser(
        "db",
        help="fin-infra's database: migrations",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = db.add_subparsers(dest="db_command", required=True)
    for name, text in (("upgrade", "apply every migration not yet applied"), ("current", "show the applied migration")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--url", help=f"database URL (default ${DATABASE_URL_ENV})")
    db.set_defaults(handler=run)


def main(argv: list[str] | None = None) -> int:
    """``db`` and ``keys`` commands (until the package-wide ``python -m fin_infra`` takes them over)."""
    from fin_infra.crypto import cli as keys_cli

    parser = argparse.ArgumentParser(prog="python -m fin_infra.storage")
    commands = parser.add_subparsers(dest="command", required=True)
    register(commands)
    keys_cli.register(commands)
    args = parser.parse_args(argv)
    return int(args.handler(args))
