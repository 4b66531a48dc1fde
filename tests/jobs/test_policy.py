"""The retry policy, the nightly spread, schedules read in a time zone, and the settings' checks."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from fin_infra.banking.background.settings import JobSettings
from fin_infra.banking.background.work import spread_offset
from fin_infra.banking.exceptions import (
    BankingProviderError,
    InvalidCredentialsError,
    ItemLoginRequiredError,
    ProductNotReadyError,
    ProviderUnavailableError,
    RateLimitError,
)
from fin_infra.jobs.retry import JITTER, retry_delay
from fin_infra.jobs.tasks import due

SETTINGS = JobSettings(backoff=30, max_backoff=600, outage_retries=3, rate_limit_retries=4)


def test_rate_limits_wait_for_retry_after_doubled_with_jitter() -> None:
    rng = random.Random(1)
    for attempt, base in ((0, 10), (1, 20), (2, 40), (3, 80)):
        delay = retry_delay(RateLimitError("slow down", retry_after=10), attempt, SETTINGS, rand=rng)
        assert delay is not None and base <= delay <= base * (1 + JITTER)
    assert retry_delay(RateLimitError("slow down", retry_after=10), 4, SETTINGS) is None  # bounded
    no_header = retry_delay(RateLimitError("slow down"), 0, SETTINGS, rand=rng)
    assert no_header is not None and 30 <= no_header <= 30 * (1 + JITTER)
    huge = retry_delay(RateLimitError("slow down", retry_after=900), 2, SETTINGS, rand=rng)
    assert huge is not None and 900 <= huge <= 900 * (1 + JITTER)  # never sooner than the provider asked


def test_outages_retry_a_bounded_number_of_times() -> None:
    rng = random.Random(2)
    delays = [retry_delay(ProviderUnavailableError("down"), a, SETTINGS, rand=rng) for a in range(5)]
    assert [d is not None for d in delays] == [True, True, True, False, False]
    assert 30 <= delays[0] <= 30 * (1 + JITTER) and 120 <= delays[2] <= 120 * (1 + JITTER)  # type: ignore[operator]
    assert retry_delay(ProductNotReadyError("not yet"), 0, SETTINGS) is not None
    capped = retry_delay(ProviderUnavailableError("down"), 2, JobSettings(backoff=500, max_backoff=600), rand=rng)
    assert capped is not None and capped <= 600 * (1 + JITTER)


@pytest.mark.parametrize("exc", [
    ItemLoginRequiredError("log in again", code="ITEM_LOGIN_REQUIRED"),
    ItemLoginRequiredError("revoked", code="USER_PERMISSION_REVOKED"),
    InvalidCredentialsError("unknown token"),
    BankingProviderError("unreadable", code="invalid_response"),
    ValueError("a bug"),
])
def test_never_retried(exc: Exception) -> None:
    assert retry_delay(exc, 0, SETTINGS) is None


def test_spread_is_stable_and_fills_the_window() -> None:
    offsets = [spread_offset(f"conn_{i}", 3600) for i in range(2000)]
    assert offsets == [spread_offset(f"conn_{i}", 3600) for i in range(2000)]
    assert all(0 <= o < 3600 for o in offsets)
    per_quarter = [sum(q * 900 <= o < (q + 1) * 900 for o in offsets) for q in range(4)]
    assert min(per_quarter) > 400  # about 500 each: not bunched at the start
    assert spread_offset("conn_1", 0) == 0


def test_schedules_follow_the_time_zone_across_daylight_saving() -> None:
    paris = JobSettings(timezone="Europe/Paris")
    winter = dt.datetime(2026, 1, 15, 1, 0, tzinfo=dt.UTC).timestamp()  # 02:00 in Paris (UTC+1)
    summer = dt.datetime(2026, 7, 15, 0, 0, tzinfo=dt.UTC).timestamp()  # 02:00 in Paris (UTC+2)
    assert due("0 2 * * *", winter, paris) and due("0 2 * * *", summer, paris)
    assert not due("0 2 * * *", winter + 3600, paris) and not due("0 2 * * *", summer - 60, paris)
    assert due("0 2 * * *", dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC).timestamp(), JobSettings())


def test_settings_from_the_environment() -> None:
    s = JobSettings.from_env({"FIN_INFRA_JOBS_TIMEZONE": "Europe/Paris", "FIN_INFRA_JOBS_SYNC_WINDOW": "60",
                              "FIN_INFRA_RETENTION_AUDIT_DAYS": "30", "FIN_INFRA_JOBS_BACKOFF": "0.5"})
    assert (s.timezone, s.sync_window, s.audit_days, s.backoff, s.sync_cron) == ("Europe/Paris", 60, 30, 0.5,
                                                                                 "0 2 * * *")
    with pytest.raises(ValueError, match="FIN_INFRA_JOBS_TIMEZONE"):
        JobSettings.from_env({"FIN_INFRA_JOBS_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(ValueError, match="FIN_INFRA_JOBS_SYNC_CRON"):
        JobSettings.from_env({"FIN_INFRA_JOBS_SYNC_CRON": "at two"})
    with pytest.raises(ValueError, match="FIN_INFRA_RETENTION_BALANCE_DAYS"):
        JobSettings.from_env({"FIN_INFRA_RETENTION_BALANCE_DAYS": "a year"})
    with pytest.raises(ValueError, match="STALLED_AFTER"):
        JobSettings(heartbeat=10, stalled_after=5)


def test_queue_urls_keep_libpq_options_and_never_show_the_password() -> None:
    from fin_infra.banking.background.queue import connector_options

    options, where = connector_options("postgresql://app:s3cret@db:5432/app?schema=tenant_1&sslmode=require")
    assert options == {"conninfo": "postgresql://app:s3cret@db:5432/app?sslmode=require",
                       "kwargs": {"options": "-c search_path=tenant_1"}}
    assert "s3cret" not in where and "tenant_1" in where
    with pytest.raises(ValueError, match="PostgreSQL"):
        connector_options("sqlite:///app.db")
