"""`jobs_status`: what the queue holds (``python -m fin_infra jobs status``): jobs waiting, running and failed
per task, the last run of each periodic task, and the syncs running now with their progress.

    >>> print(asyncio.run(jobs_status("postgresql://app@db/app")))   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fin_infra.banking.background.queue import PERIODIC_TASKS, STALLED_TASK, TICK_TASK, check_schema, make_app
from fin_infra.storage.database import Database
from fin_infra.storage.ledger_tables import sync_runs

_COUNTS = """
SELECT task_name, status::text AS status, count(*) AS n FROM procrastinate_jobs
WHERE status IN ('todo', 'doing', 'failed') GROUP BY task_name, status ORDER BY task_name, status
"""
_LAST = """
SELECT j.task_name, j.status::text AS status, max(e.at) AS at FROM procrastinate_jobs j
JOIN procrastinate_events e ON e.job_id = j.id
WHERE j.task_name = ANY(%(names)s) AND e.type IN ('succeeded', 'failed')
GROUP BY j.id, j.task_name, j.status ORDER BY max(e.at) DESC
"""


async def status_data(url: str, database_url: str | None = None) -> dict[str, Any]:
    """The queue's state as data: ``queued`` / ``running`` / ``failed`` per task, ``periodic`` (task -> last
    run's status and time), ``syncs`` (running sync runs: connection, pages and rows so far)."""
    app, where = make_app(url, pool_size=1)
    counts: dict[str, dict[str, int]] = {"todo": {}, "doing": {}, "failed": {}}
    periodic: dict[str, dict[str, Any]] = {}
    async with app.open_async():
        await check_schema(app, where)
        for row in await app.connector.execute_query_all_async(_COUNTS):
            counts[row["status"]][row["task_name"]] = row["n"]
        names = [*PERIODIC_TASKS, TICK_TASK, STALLED_TASK]
        for row in await app.connector.execute_query_all_async(_LAST, names=names):
            periodic.setdefault(row["task_name"], {"status": row["status"], "at": row["at"]})
    database = Database(database_url or url)
    try:
        r = sync_runs
        async with database.engine().connect() as conn:
            rows = await conn.execute(
                select(r.c.connection_id, r.c.trigger, r.c.started_at, r.c.pages, r.c.rows)
                .where(r.c.outcome == "running").order_by(r.c.started_at)
            )
            syncs = [dict(row._mapping) for row in rows]
    finally:
        await database.aclose()
    return {"where": where, "queued": counts["todo"], "running": counts["doing"], "failed": counts["failed"],
            "periodic": periodic, "syncs": syncs}


def render(data: dict[str, Any]) -> str:
    """The status as lines of text."""
    lines = [f"queue: {data['where']}"]
    for key in ("queued", "running", "failed"):
        each = data[key]
        detail = ", ".join(f"{task} {n}" for task, n in sorted(each.items()))
        lines.append(f"{key}: {sum(each.values())}" + (f" ({detail})" if detail else ""))
    lines.append("periodic tasks (last run):")
    for task in [*PERIODIC_TASKS, TICK_TASK, STALLED_TASK]:
        last = data["periodic"].get(task)
        lines.append(f"  {task}: " + (f"{last['status']} at {last['at'].isoformat(timespec='seconds')}"
                                      if last else "never"))
    lines.append(f"syncs running: {len(data['syncs'])}")
    for s in data["syncs"]:
        lines.append(f"  {s['connection_id']} ({s['trigger']}) since {s['started_at'].isoformat(timespec='seconds')}:"
                     f" {s['pages']} pages, {s['rows']} rows")
    return "\n".join(lines)


async def jobs_status(url: str, database_url: str | None = None) -> str:
    """`status_data`, rendered."""
    return render(await status_data(url, database_url))
