"""What the banking routes check before FastAPI parses a request: body size, encoding, depth; query names.

- A JSON body is read with a size cap (`MAX_BODY_BYTES`; a bigger ``Content-Length`` is refused
  unread, a longer stream as soon as it passes the cap): 413 ``payload_too_large``.
- It must be UTF-8 JSON nested at most `MAX_JSON_DEPTH` deep: else 422 ``validation_error`` naming
  ``body`` (never a 500, never a traceback in the logs).
- Every query parameter must be one the route declares: an unknown one (``?merchant=`` for
  ``merchant_name``) would otherwise be ignored and silently widen the answer. 422 naming it and the
  closest known parameter.

    >>> closest("merchant", ["merchant_name", "category"])
    'merchant_name'
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any

from fastapi.dependencies.models import Dependant
from pydantic import BaseModel
from starlette.requests import Request

from fin_infra.banking.recent import Recent, keepable_query

MAX_BODY_BYTES = 64 * 1024  # /link and /exchange bodies are a few hundred bytes
MAX_JSON_DEPTH = 32


class BodyTooLarge(Exception):
    """The body is over the cap."""


class BadBody(ValueError):
    """The body can't be read as JSON: ``str(exc)`` says why, for the 422."""


async def read_capped(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, or `BodyTooLarge` as soon as it is known to pass ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of ``body``: UTF-8, well formed, at most ``max_depth`` arrays/objects deep; else `BadBody`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("the body must be JSON encoded as UTF-8") from None
    if _depth(text) > max_depth:
        raise BadBody(f"the JSON body is nested more than {max_depth} levels deep")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadBody(f"the body is not valid JSON ({type(exc).__name__})") from None


def _depth(text: str) -> int:
    """How deep ``[``/``{`` nest outside strings (linear; no recursion, so no stack to exhaust)."""
    if "[" not in text and "{" not in text:
        return 0
    deepest = depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def query_names(dependant: Dependant) -> frozenset[str]:
    """Every query parameter name a route (and its dependencies) declares; a params model counts by its fields."""
    names: set[str] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        stack.extend(current.dependencies)
        for field in current.query_params:
            annotation = field.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                for name, info in annotation.model_fields.items():
                    names.add(info.alias or name)
            else:
                names.add(field.alias)
    return frozenset(names)


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name most like ``name`` (the nearest spelling, else one it is a prefix of), or None."""
    candidates = sorted(known)
    lowered = name.lower()
    found = difflib.get_close_matches(lowered, candidates, n=1, cutoff=0.6)
    if found:
        return found[0]
    prefixed = [c for c in candidates if len(lowered) >= 3 and (c.startswith(lowered) or lowered.startswith(c))]
    return prefixed[0] if prefixed else None


class QueryCheck:
    """The unknown-parameter check of one route, remembering the query strings it passed lately."""

    def __init__(self, known: frozenset[str]) -> None:
        self.known = known
        self._passed: Recent[bytes, bool] = Recent(512)

    def unknown(self, request: Request) -> list[tuple[str, str | None]]:
        """`unknown_query` of ``request``: empty, at once, for a query string that passed lately."""
        raw: bytes = request.scope.get("query_string", b"")
        if raw in self._passed:
            return []
        found = unknown_query(request, self.known)
        if not found and keepable_query(raw, request.query_params):
            self._passed.remember(raw, True)
        return found


def unknown_query(request: Request, known: frozenset[str]) -> list[tuple[str, str | None]]:
    """``(unknown name, closest known name)`` for each query parameter the route doesn't declare."""
    if not request.scope.get("query_string"):
        return []
    seen = dict.fromkeys(request.query_params.keys())
    return [(name, closest(name, known)) for name in seen if name not in known]
