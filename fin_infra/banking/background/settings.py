"""`JobSettings`: the schedules, retention and retry policy of the background work, from ``FIN_INFRA_JOBS_*``.

    FIN_INFRA_JOBS_URL                  the queue's PostgreSQL database (add_banking(jobs=...) overrides)
    FIN_INFRA_JOBS_TIMEZONE             zone the crons are read in (default UTC), e.g. Europe/Paris
    FIN_INFRA_JOBS_SYNC_CRON            sync every connection (default "0 2 * * *": 02:00 daily)
    FIN_INFRA_JOBS_SYNC_WINDOW          seconds the nightly syncs are spread over (default 3600)
    FIN_INFRA_JOBS_BALANCES_CRON        record every connection's balances (default "0 4 * * *")
    FIN_INFRA_JOBS_RETENTION_CRON       prune by retention (default "30 4 * * *")
    FIN_INFRA_RETENTION_BALANCE_DAYS    balance history kept (default 730 days)
    FIN_INFRA_RETENTION_AUDIT_DAYS      audit trail kept (default 365)
    FIN_INFRA_RETENTION_REMOVED_DAYS    removed transactions kept (default 90; keep it above the sync overlap window)
    FIN_INFRA_RETENTION_JOBS_DAYS       finished jobs kept in the queue's tables (default 14)
    FIN_INFRA_JOBS_OUTAGE_RETRIES       retries of a sync after a provider outage (default 5)
    FIN_INFRA_JOBS_RATE_LIMIT_RETRIES   retries after a rate limit (default 8)
    FIN_INFRA_JOBS_BACKOFF              first retry delay in seconds, doubled each time (default 30)
    FIN_INFRA_JOBS_MAX_BACKOFF          longest retry delay (default 3600)
    FIN_INFRA_JOBS_HEARTBEAT            seconds between a worker's heartbeats (default 10)
    FIN_INFRA_JOBS_STALLED_AFTER        a worker silent this long is dead; its jobs are retried (default 60)
    FIN_INFRA_JOBS_STALLED_CRON         how often workers look for such jobs (default every minute)

    >>> JobSettings.from_env({"FIN_INFRA_JOBS_TIMEZONE": "Europe/Paris"}).sync_cron
    '0 2 * * *'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

JOBS_URL_ENV = "FIN_INFRA_JOBS_URL"

_ENV = {
    "timezone": "FIN_INFRA_JOBS_TIMEZONE",
    "sync_cron": "FIN_INFRA_JOBS_SYNC_CRON",
    "sync_window": "FIN_INFRA_JOBS_SYNC_WINDOW",
    "balances_cron": "FIN_INFRA_JOBS_BALANCES_CRON",
    "retention_cron": "FIN_INFRA_JOBS_RETENTION_CRON",
    "balance_days": "FIN_INFRA_RETENTION_BALANCE_DAYS",
    "audit_days": "FIN_INFRA_RETENTION_AUDIT_DAYS",
    "removed_days": "FIN_INFRA_RETENTION_REMOVED_DAYS",
    "jobs_days": "FIN_INFRA_RETENTION_JOBS_DAYS",
    "outage_retries": "FIN_INFRA_JOBS_OUTAGE_RETRIES",
    "rate_limit_retries": "FIN_INFRA_JOBS_RATE_LIMIT_RETRIES",
    "backoff": "FIN_INFRA_JOBS_BACKOFF",
    "max_backoff": "FIN_INFRA_JOBS_MAX_BACKOFF",
    "heartbeat": "FIN_INFRA_JOBS_HEARTBEAT",
    "stalled_after": "FIN_INFRA_JOBS_STALLED_AFTER",
    "stalled_cron": "FIN_INFRA_JOBS_STALLED_CRON",
}


@dataclass(frozen=True)
class JobSettings:
    """Schedules (cron, read in ``timezone``), retention (days per kind) and retries of the background work."""

    timezone: str = "UTC"
    sync_cron: str = "0 2 * * *"
    sync_window: int = 3600
    balances_cron: str = "0 4 * * *"
    retention_cron: str = "30 4 * * *"
    balance_days: int = 730
    audit_days: int = 365
    removed_days: int = 90
    jobs_days: int = 14
    outage_retries: int = 5
    rate_limit_retries: int = 8
    backoff: float = 30.0
    max_backoff: float = 3600.0
    heartbeat: float = 10.0
    stalled_after: float = 60.0
    stalled_cron: str = "* * * * *"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"FIN_INFRA_JOBS_TIMEZONE: unknown time zone {self.timezone!r}") from None
        try:
            from croniter import croniter  # the jobs extra's; the in-process default reads no cron
        except ImportError:
            croniter = None
        for name in ("sync_cron", "balances_cron", "retention_cron", "stalled_cron"):
            if croniter is not None and not croniter.is_valid(getattr(self, name)):
                raise ValueError(f"{_ENV[name]}: not a cron expression: {getattr(self, name)!r}")
        for name in ("sync_window", "balance_days", "audit_days", "removed_days", "jobs_days", "outage_retries",
                     "rate_limit_retries", "backoff", "max_backoff", "heartbeat", "stalled_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{_ENV[name]}: must be 0 or more")
        if self.stalled_after <= self.heartbeat:
            raise ValueError("FIN_INFRA_JOBS_STALLED_AFTER must be longer than FIN_INFRA_JOBS_HEARTBEAT")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> JobSettings:
        """Settings from ``overrides``, else the ``FIN_INFRA_JOBS_*`` / ``FIN_INFRA_RETENTION_*`` variables."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(_ENV[f.name], "").strip()
            if not raw:
                continue
            kind = type(getattr(cls, f.name))
            try:
                values[f.name] = kind(raw)
            except ValueError:
                raise ValueError(f"{_ENV[f.name]}: expected a {kind.__name__}, got {raw!r}") from None
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
