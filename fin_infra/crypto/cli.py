"""``keys`` commands: make a key, re-encrypt every stored token under the newest one.

    python -m fin_infra keys new                    # prints <key id>:<key>; put it FIRST in FIN_INFRA_ENCRYPTION_KEYS
    python -m fin_infra keys rotate [--url URL]     # re-encrypt every connection's token under the first key

Keep the old keys after the new one until ``rotate`` reports every row done; then drop them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from fin_infra.crypto.keys import new_key


async def _rotate(url: str) -> tuple[int, list[str]]:
    from fin_infra.crypto.keys import Keyring
    from fin_infra.storage.rotation import rotate_keys
    from fin_infra.storage.sql_connection_store import SQLConnectionStore

    keys = Keyring.from_env()
    store = SQLConnectionStore(url)
    try:
        result = await rotate_keys(store, keys)
        return result.reencrypted, result.failed
    finally:
        await store.aclose()


def keys_rotate(url: str) -> tuple[int, list[str]]:
    """Re-encrypt the tokens in the database at ``url``; returns (rows re-encrypted, ids that failed)."""
    return asyncio.run(_rotate(url))


def run(args: argparse.Namespace) -> int:
    if args.keys_command == "new":
        print(new_key(args.key_id))
        return 0
    from fin_infra.storage.urls import DATABASE_URL_ENV

    url = args.url or os.environ.get(DATABASE_URL_ENV, "").strip()
    if not url or url.startswith("memory:"):
        print(f"error: give --url or set {DATABASE_URL_ENV} (a sqlite:/// or postgresql:// database)", file=sys.stderr)
        return 2
    try:
        done, failed = keys_rotate(url)
    except Exception as exc:  # one clear line; never a key (messages don't carry them)
        print(f"error: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:300]}", file=sys.stderr)
        return 1
    print(f"re-encrypted {done} token(s) under the first key")
    if failed:
        print(f"error: {len(failed)} token(s) decrypt with none of the keys: {', '.join(failed[:20])}", file=sys.stderr)
        return 1
    return 0


def register(subparsers: Any) -> None:
    """Add the ``keys`` command group to an argparse sub-parser set."""
    keys = subparsers.add_parser(
        "keys", help="encryption keys", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = keys.add_subparsers(dest="keys_command", required=True)
    new = commands.add_parser("new", help="print a fresh AES-256 key line")
    new.add_argument("--key-id", help="the key's id (default: k<date><random>)")
    rotate = commands.add_parser("rotate", help="re-encrypt every stored token under the first key")
    rotate.add_argument("--url", help="database URL (default $FIN_INFRA_DATABASE_URL)")
    keys.set_defaults(handler=run)
