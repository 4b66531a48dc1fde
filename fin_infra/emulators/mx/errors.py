"""Errors in the shape the emulator answers with: ``{"error": {"message": "..."}}``.

MX documents the Platform API's status codes but not its error body (UNCONFIRMED): this is the shape the
notes suggest; the client also reads the older SSO API's ``{"error": "message"}``.
"""

from __future__ import annotations

from typing import Any

STATUS_MESSAGES: dict[int, str] = {
    400: "The request is missing a required parameter or is malformed.",
    401: "Unauthorized: use HTTP Basic auth with your client_id and api_key.",
    403: "Forbidden: this feature is not enabled for your client, or your IP is not allowlisted.",
    404: "The requested resource was not found.",
    405: "Method not allowed.",
    406: "Not acceptable: send Accept: application/vnd.mx.api.v1+json.",
    409: "Conflict: the object already exists, or a conflicting job is running.",
    422: "The request could not be processed.",
    429: "Too many requests: slow down.",
    500: "An internal error occurred.",
    502: "Bad gateway.",
    503: "The API is down for maintenance.",
    504: "Gateway timeout.",
}


class MXAPIError(Exception):
    """An error response of the emulated API."""

    def __init__(self, status: int, message: str | None = None) -> None:
        self.status = status
        self.message = message or STATUS_MESSAGES.get(status, "Error.")
        super().__init__(f"{status}: {self.message}")

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message}}


class ConnectError(ValueError):
    """The emulated Connect widget can't do what was asked (expired or used widget URL, unknown institution)."""


def emitted_statuses() -> set[int]:
    """Every HTTP error status the emulator can answer with (the client must map each one)."""
    return set(STATUS_MESSAGES)


__all__ = ["STATUS_MESSAGES", "ConnectError", "MXAPIError", "emitted_statuses"]
