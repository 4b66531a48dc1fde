"""Errors in Finicity's shapes: ``{"code": "...", "message": "..."}`` (``ErrorMessage``), or the plain-text 401
Finicity answers for a bad app key.

Codes and messages are the ones the notes list; where Finicity documents only a status (429, 5xx) the
emulator uses the codes in `STATUS_CODES` (our choice, UNCONFIRMED).
"""

from __future__ import annotations

from typing import Any

STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("14020", "Bad request."),
    401: ("10022", "Invalid (Finicity-App-Token)"),
    404: ("14001", "Resource not found."),
    409: ("110002", "Username is not available."),
    429: ("10029", "Too many requests: rate limit exceeded."),
    500: ("10025", "Internal server error."),
    502: ("10027", "Something went wrong. There was a system error."),
    503: ("10030", "Service unavailable."),
    504: ("10031", "The institution did not answer in time."),
}

# Connect refusals: (aggregation status code, message) per sandbox username
CONNECT_FAILURES: dict[str, tuple[int, str]] = {
    "invalid_user": (103, "Invalid credentials."),
}


class FinicityAPIError(Exception):
    """An error response of the emulated API (``plain``: Finicity's text/plain 401 for the app key)."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None, *, plain: bool = False):
        default_code, default_message = STATUS_CODES.get(status, (str(status), "Error."))
        self.status = status
        self.code = code or default_code
        self.message = message or default_message
        self.plain = plain
        super().__init__(f"{self.status} {self.code}: {self.message}")

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class ConnectError(ValueError):
    """Data Connect refused the login (``code`` is the aggregation status code Connect shows)."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(f"{code}: {message}")


def emitted_codes() -> set[str]:
    """Every error code the API can answer with (the client must map each one)."""
    return {code for code, _ in STATUS_CODES.values()} | {"10001", "10005", "10023", "10026"}
