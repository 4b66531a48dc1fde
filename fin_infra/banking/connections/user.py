"""The current user in connections mode: whatever the app's own dependency says, checked."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends

from fin_infra.banking.connections.errors import NotAuthenticatedError

log = logging.getLogger("fin_infra.banking.connections")
MAX_USER_ID = 256


def user_dependency(current_user: Callable[..., Any]) -> Callable[..., Awaitable[str]]:
    """A dependency giving the user id ``current_user`` (any FastAPI dependency) returns, as a string.

    None or an empty id is a 401 problem; the app's own dependency may also raise its HTTPException.
    """
    if not callable(current_user):
        raise TypeError("current_user must be a FastAPI dependency (a function returning the user id)")

    async def current_user_id(value: Any = Depends(current_user)) -> str:  # noqa: B008 - FastAPI's idiom
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise NotAuthenticatedError("sign in first: this route needs the app's current user")
        if not isinstance(value, str):
            raise TypeError(f"current_user must return the user id as a str, not {type(value).__name__}")
        if len(value) > MAX_USER_ID:
            raise TypeError(f"current_user returned a user id longer than {MAX_USER_ID} characters")
        return value

    return current_user_id
