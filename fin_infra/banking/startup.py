"""Configuration checked when the app starts: a bad setting stops it with one line that names the setting, its
value (any password masked) and what to do, instead of a driver's traceback or a 502 on every request.

    >>> mask_url("postgresql://app:s3cret@db:5432/app")
    'postgresql://app:***@db:5432/app'
"""

from __future__ import annotations

import math
import os
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.banking.query.cache import CACHE_TTL_ENV, CACHE_URL_ENV

CACHE_SCHEMES = ("memory", "redis", "rediss", "unix")


class ConfigurationError(ProviderConfigurationError):
    """A setting fin-infra can't work with, found at startup (a `ValueError`); the message is one line."""


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    except ValueError:  # not a URL we can take apart: show no part of it that could hold a secret
        return url.split("://", 1)[0] + "://***" if "://" in url else "***"


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def check_cache_settings(env: Mapping[str, str] | None = None) -> None:
    """``FIN_INFRA_CACHE_URL`` and ``FIN_INFRA_CACHE_TTL`` as the app will use them, or a `ConfigurationError`."""
    env = os.environ if env is None else env
    raw_ttl = env.get(CACHE_TTL_ENV, "").strip()
    if raw_ttl:
        try:
            ttl = float(raw_ttl)
        except ValueError:
            ttl = math.nan
        if not math.isfinite(ttl) or ttl < 0:
            raise ConfigurationError(
                f"{CACHE_TTL_ENV}={raw_ttl[:40]!r} is not a number of seconds: set it to 0 (caching off) or more, "
                f"e.g. {CACHE_TTL_ENV}=120, or unset it"
            )
    url = env.get(CACHE_URL_ENV, "").strip()
    if not url:
        return
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in CACHE_SCHEMES:
        raise ConfigurationError(
            f"{CACHE_URL_ENV}={mask_url(url)[:80]!r} is not a cache URL: use memory:// or redis://host:6379/0 "
            "(rediss:// for TLS, unix:///path for a socket), or unset it"
        )
    if scheme != "memory":
        try:
            import redis  # noqa: F401
        except ImportError:
            raise ConfigurationError(
                f"{CACHE_URL_ENV}={mask_url(url)[:80]!r} needs the redis package: pip install 'fin-infra[redis]'"
            ) from None


def checked_history_schema(create_schema: Callable[[], Awaitable[None]], setting: str, value: str) -> Callable[
    [], Awaitable[None]
]:
    """``create_schema`` (run at startup) that turns "can't reach the history database" into one clear line."""

    async def check() -> None:
        try:
            await create_schema()
        except Exception as exc:
            detail = (str(exc).splitlines() or [""])[0][:160]
            password = _password(value)
            if password:
                detail = detail.replace(password, "***")
            raise ConfigurationError(
                f"{setting}={mask_url(value)!r}: the balance history database can't be used "
                f"({type(exc).__name__}: {detail}); start it or fix {setting} "
                "(sqlite:///path/to/file.db, postgresql://user@host:5432/db, or memory://)"
            ) from None

    return check


__all__ = ["ConfigurationError", "check_cache_settings", "checked_history_schema", "mask_url"]
