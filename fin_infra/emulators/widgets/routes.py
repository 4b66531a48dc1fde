"""What every widget stand-in's routes share: its files (the script, the frame and its assets), reading the form's
JSON body, the session the form opens with, and the form's error answer. The providers' modules keep only what
differs: their paths, their sessions' banks and their logins."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fin_infra.emulators.widgets import NAMES, asset

MAX_FIELD = 256


def file_route(path: str, name: str) -> Route:
    """``GET path`` answers with the widget file ``name`` (the stand-in's script, or its frame)."""

    async def serve(request: Request) -> Response:
        return asset(name)

    return Route(path, serve, methods=["GET"])


def files_route(prefix: str, fallback: str | None = None) -> Route:
    """``GET {prefix}{name}`` answers with the widget file ``name``; another name is 404, or ``fallback``'s file."""

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        return asset(name if fallback is None or name in NAMES else fallback)

    return Route(prefix + "{name}", serve, methods=["GET"])


async def json_object(request: Request) -> dict[str, Any] | None:
    """The request's body as a JSON object, or None when it is anything else."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def field(body: dict[str, Any], name: str, limit: int = MAX_FIELD) -> str:
    """A text field of the form's body, cut to ``limit`` characters ("" when missing or not text)."""
    value = body.get(name)
    return value[:limit] if isinstance(value, str) else ""


def error(status: int, code: str, message: str, details: dict[str, Any] | None = None, **extra: Any) -> JSONResponse:
    """The form's error answer ``{"error": {code, message, **details}, **extra}`` (extras that are None left out)."""
    body: dict[str, Any] = {"error": {"code": code, "message": message, **(details or {})}}
    body.update((k, v) for k, v in extra.items() if v is not None)
    return JSONResponse(body, status)


def session(
    provider: str,
    hint: str,
    banks: list[dict[str, str]],
    *,
    fixed: dict[str, str] | None = None,
    chosen: dict[str, str] | None = None,
    mode: str = "update",
    **extra: Any,
) -> JSONResponse:
    """The session the form opens with: ``banks`` to pick from; or ``fixed``, the bank of a login to repair
    (``mode`` names that mode as the provider does); or ``chosen``, the one bank the page asked for."""
    one = fixed or chosen
    return JSONResponse({
        "title": f"Log in again to {fixed['name']}" if fixed else f"Connect a bank with {provider}",
        "institutions": [one] if one else banks,
        "institution": one,
        "hint": hint,
        "mode": mode if fixed else "create",
        **extra,
    })


__all__ = ["MAX_FIELD", "error", "field", "file_route", "files_route", "json_object", "session"]
