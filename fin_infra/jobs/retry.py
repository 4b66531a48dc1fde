"""When a failed sync is tried again: the provider's errors mapped to a delay, or to never.

    rate limited (429)            after its Retry-After (else the backoff), doubled per attempt, plus jitter;
                                  at most ``rate_limit_retries`` times
    provider / institution down   backoff doubled per attempt, plus jitter, at most ``outage_retries`` times
    (timeouts, 5xx, not ready)
    needs_reauth, revoked         never: only the user can fix it (the connection's status says so)
    anything else                 never (a bug or an unreadable answer would fail the same way again)

    >>> from fin_infra.banking.exceptions import ItemLoginRequiredError
    >>> retry_delay(ItemLoginRequiredError("log in again"), 0, JobSettings()) is None
    True
"""

from __future__ import annotations

import random

from fin_infra.banking.background.settings import JobSettings
from fin_infra.banking.exceptions import (
    InvalidCredentialsError,
    ItemLoginRequiredError,
    ProviderUnavailableError,
    RateLimitError,
)

JITTER = 0.25  # up to a quarter more: workers retrying together don't all hit the provider in the same second


def retry_delay(
    exc: BaseException, attempt: int, settings: JobSettings, *, rand: random.Random | None = None
) -> float | None:
    """Seconds before retry number ``attempt + 1`` of a sync that failed with ``exc``, or None: don't retry."""
    if isinstance(exc, ItemLoginRequiredError | InvalidCredentialsError):
        return None
    jitter = 1.0 + JITTER * (rand.random() if rand is not None else random.random())  # noqa: S311 - jitter, not secrets
    if isinstance(exc, RateLimitError):
        if attempt >= settings.rate_limit_retries:
            return None
        first = exc.retry_after if exc.retry_after is not None and exc.retry_after > 0 else settings.backoff
        return min(first * 2.0**attempt, max(settings.max_backoff, first)) * jitter
    if isinstance(exc, ProviderUnavailableError):
        if attempt >= settings.outage_retries:
            return None
        return min(settings.backoff * 2.0**attempt, settings.max_backoff) * jitter
    return None
