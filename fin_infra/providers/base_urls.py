"""A provider's base URL from settings: https, or plain http only to this machine (a local emulator).

    >>> checked_base_url(" https://api.example.com/ ", "X_BASE_URL")
    'https://api.example.com'
    >>> checked_base_url("http://127.0.0.1:8444", "X_BASE_URL")
    'http://127.0.0.1:8444'
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fin_infra.banking.exceptions import ProviderConfigurationError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def checked_base_url(url: str, variable: str) -> str:
    """``url`` without trailing slashes; a `ProviderConfigurationError` naming ``variable`` unless it is https, or
    http to this machine (credentials travel with every request: only a local emulator may go unencrypted)."""
    base = url.strip().rstrip("/")
    parts = urlsplit(base)
    local = parts.hostname in LOOPBACK
    if (parts.scheme != "https" and not (parts.scheme == "http" and local)) or not parts.hostname:
        raise ProviderConfigurationError(
            f"{variable} must be an https:// URL (plain http only to a local emulator), got {base[:60]!r}"
        )
    return base


__all__ = ["LOOPBACK", "checked_base_url"]
