"""Exact money in your own FastAPI routes: `ExactJSONRoute` writes `Decimal` as an exact JSON number.

fin-infra's routes write ``Decimal("5432.10")`` as the JSON number ``5432.10``, and the models' JSON schema says
``number``. FastAPI's own serialization (pydantic's JSON mode) writes a `Decimal` as the *string* ``"5432.10"``,
and pydantic 2 has no setting to write it as a number, so the same models returned from your own route would come
out in a second form. One line makes your routes write what fin-infra's write:

    >>> from fastapi import FastAPI
    >>> app = FastAPI()
    >>> app.router.route_class = ExactJSONRoute     # before declaring routes; or APIRouter(route_class=...)

A route of that class validates and filters its result like FastAPI does (``response_model``, the return
annotation, ``response_model_exclude_none``, ...) and answers with the route's ``status_code``; the result is
then written by fin-infra's encoder: Decimals as exact numbers, dates as ISO strings, anything else as FastAPI
would. A `Response` the endpoint returns is sent as it is. Headers set on an injected ``response: Response``
parameter are not applied: return an `ExactJSONResponse(content, headers=...)` for those.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from fin_infra._json import decimal_fragment, dumpb


class ExactJSONResponse(Response):
    """A JSON response written by fin-infra's encoder: ``Decimal("5432.10")`` -> ``5432.10``."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        try:
            return dumpb(content)
        except TypeError:  # a type fin-infra's writer doesn't know (a set, ...): FastAPI's encoder, Decimals kept
            return dumpb(jsonable_encoder(content, custom_encoder={Decimal: decimal_fragment}))


class ExactJSONRoute(APIRoute):
    """An `APIRoute` whose results are written with `ExactJSONResponse` (money as exact JSON numbers)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        route = self
        is_async = inspect.iscoroutinefunction(endpoint)

        @functools.wraps(endpoint)
        async def exact(*args: Any, **params: Any) -> Any:
            if is_async:
                result = await endpoint(*args, **params)
            else:
                result = await run_in_threadpool(endpoint, *args, **params)
            return result if isinstance(result, Response) else route.exact_response(result)

        super().__init__(path, exact, **kwargs)

    def exact_response(self, result: Any) -> ExactJSONResponse:
        """Validate and filter ``result`` as FastAPI would, then write it exactly."""
        field = self.response_field
        if field is not None:
            value, errors = field.validate(result, {}, loc=("response",))
            if errors:
                raise ResponseValidationError(errors=errors, body=result)
            result = field.serialize(
                value,
                mode="python",  # keeps Decimal (pydantic's JSON mode would make it a string)
                include=self.response_model_include,
                exclude=self.response_model_exclude,
                by_alias=self.response_model_by_alias,
                exclude_unset=self.response_model_exclude_unset,
                exclude_defaults=self.response_model_exclude_defaults,
                exclude_none=self.response_model_exclude_none,
            )
        return ExactJSONResponse(result, status_code=self.status_code or 200)


__all__ = ["ExactJSONResponse", "ExactJSONRoute"]
