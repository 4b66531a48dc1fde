"""`run_worker`: a Procrastinate worker with fin-infra's tasks (``python -m fin_infra worker``).

It checks first that the queue's tables and fin-infra's own are there (else a clear error naming
``python -m fin_infra db upgrade``), then runs ``concurrency`` jobs at a time until SIGTERM / SIGINT: it
stops taking jobs, lets the running ones finish (at most ``graceful_timeout`` seconds when given; past it
the running syncs are cancelled and queued again), and leaves.

    >>> asyncio.run(run_worker("postgresql://app@db/app", concurrency=4))   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from typing import Any

from fin_infra.banking.background.queue import check_schema, make_app
from fin_infra.banking.background.settings import JobSettings
from fin_infra.jobs.resources import Resources
from fin_infra.jobs.tasks import register_tasks

log = logging.getLogger("fin_infra.jobs")


async def run_worker(
    url: str, *, database_url: str | None = None, concurrency: int = 4, graceful_timeout: float | None = None,
    settings: JobSettings | None = None, name: str | None = None,
) -> None:
    """Run a worker on the queue at ``url`` for fin-infra's database at ``database_url`` (default: the same)."""
    settings = settings or JobSettings.from_env()
    app, where = make_app(url, pool_size=concurrency + 4)
    async with app.open_async():
        await check_schema(app, where)
        resources = Resources(database_url or url, concurrency=concurrency)
        try:
            await resources.check()
            register_tasks(app, lambda: resources, settings)
            log.info("worker %s started on %s (concurrency %d)", name or os.getpid(), where, concurrency)
            options: dict[str, Any] = {}
            if graceful_timeout is not None:  # else: wait for running jobs however long they take
                options["shutdown_graceful_timeout"] = graceful_timeout
            await app.run_worker_async(
                concurrency=concurrency, name=name or f"fin-infra-{os.getpid()}",
                update_heartbeat_interval=settings.heartbeat, stalled_worker_timeout=settings.stalled_after,
                install_signal_handlers=True, **options,
            )
        finally:
            await resources.aclose()
