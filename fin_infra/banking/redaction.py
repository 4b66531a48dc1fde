"""Keep access tokens out of log records, uvicorn's access log included.

A client may send the token as ``?access_token=`` (deprecated, but accepted); uvicorn logs the
full path with its query string. The filter rewrites such values, and Bearer / Basic credentials,
before any handler formats the record.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[REDACTED]"

_PATTERNS = (
    re.compile(r"(?i)((?:access_token|public_token|token|secret|client_secret)=)[^&\s\"']+"),
    re.compile(r"(?i)(bearer\s+)[^\s\"',]+"),
    re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]+"),
    re.compile(r"()\b(?:access|public)-(?:sandbox|development|production)-[A-Za-z0-9_\-]+"),
)

LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "fastapi", "httpx", "httpcore", "fin_infra")


def redact(text: str) -> str:
    """``text`` with token-looking values replaced by ``[REDACTED]``."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def _clean(value: Any) -> Any:
    if value is None or isinstance(value, (int, float)):
        return value
    # URLs and headers objects (httpx logs an httpx.URL) are checked through their text form.
    text = value if isinstance(value, str) else str(value)
    cleaned = redact(text)
    return cleaned if cleaned != text else value


class TokenRedactingFilter(logging.Filter):
    """A logging filter that removes access tokens from a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        return True


_FILTER = TokenRedactingFilter()


def install_log_redaction(names: tuple[str, ...] = LOGGERS) -> None:
    """Attach the filter to the loggers that may see a request's URL or headers (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
