"""``worker`` and ``jobs`` commands: run a Procrastinate worker with fin-infra's tasks, show the queue.

    python -m fin_infra worker [--url URL] [--database-url URL] [--concurrency N] [--graceful-timeout S]
    python -m fin_infra jobs status [--url URL] [--database-url URL]

``--url`` (the queue) defaults to ``FIN_INFRA_JOBS_URL``, else ``FIN_INFRA_DATABASE_URL``; ``--database-url``
(fin-infra's tables) to ``FIN_INFRA_DATABASE_URL``, else the queue's URL. Schedules, retention and retries:
``FIN_INFRA_JOBS_*`` / ``FIN_INFRA_RETENTION_*`` (see `fin_infra.banking.background.settings`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import Any

from fin_infra.banking.background.settings import JOBS_URL_ENV
from fin_infra.storage.urls import DATABASE_URL_ENV


def _urls(args: argparse.Namespace) -> tuple[str, str] | None:
    url = (args.url or os.environ.get(JOBS_URL_ENV, "") or os.environ.get(DATABASE_URL_ENV, "")).strip()
    if not url:
        print(f"error: give --url or set {JOBS_URL_ENV} (a postgresql:// URL)", file=sys.stderr)
        return None
    return url, (args.database_url or os.environ.get(DATABASE_URL_ENV, "") or url).strip()


def _fail(exc: BaseException) -> int:
    first = (str(exc).splitlines() or [""])[0][:300]
    print(f"error: {first}" if isinstance(exc, RuntimeError | ValueError) else f"error: {type(exc).__name__}: {first}",
          file=sys.stderr)
    return 2 if isinstance(exc, RuntimeError | ValueError) else 1


def run_worker_command(args: argparse.Namespace) -> int:
    urls = _urls(args)
    if urls is None:
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        from fin_infra.jobs.worker import run_worker

        asyncio.run(run_worker(urls[0], database_url=urls[1], concurrency=args.concurrency,
                               graceful_timeout=args.graceful_timeout, name=args.name))
    except ImportError as exc:
        print(f"error: the worker needs the jobs extra: pip install 'fin-infra[jobs]' ({exc.name} missing)",
              file=sys.stderr)
        return 2
    except Exception as exc:
        return _fail(exc)
    return 0


def run_status_command(args: argparse.Namespace) -> int:
    urls = _urls(args)
    if urls is None:
        return 2
    try:
        from fin_infra.jobs.status import jobs_status

        print(asyncio.run(jobs_status(urls[0], urls[1])))
    except Exception as exc:
        return _fail(exc)
    return 0


def register(subparsers: Any) -> None:
    """Add the ``worker`` and ``jobs`` commands."""
    worker = subparsers.add_parser("worker", help="run background jobs (Procrastinate; the jobs extra)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    worker.add_argument("--url", help=f"the queue's PostgreSQL URL (default ${JOBS_URL_ENV}, else ${DATABASE_URL_ENV})")
    worker.add_argument("--database-url", help=f"fin-infra's database (default ${DATABASE_URL_ENV}, else --url)")
    worker.add_argument("--concurrency", type=int, default=4, help="jobs run at once (default 4)")
    worker.add_argument("--graceful-timeout", type=float, default=None,
                        help="on SIGTERM, seconds to let running jobs finish before handing them back (default: wait)")
    worker.add_argument("--name", help="the worker's name in logs")
    worker.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                        help="what the worker logs (default info: every job started and ended)")
    worker.set_defaults(handler=run_worker_command)

    jobs = subparsers.add_parser("jobs", help="the background job queue", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = jobs.add_subparsers(dest="jobs_command", required=True)
    status = commands.add_parser("status", help="queued, running and failed jobs; periodic tasks' last runs")
    status.add_argument("--url", help=f"the queue's PostgreSQL URL (default ${JOBS_URL_ENV})")
    status.add_argument("--database-url", help=f"fin-infra's database (default ${DATABASE_URL_ENV}, else --url)")
    status.set_defaults(handler=run_status_command)
