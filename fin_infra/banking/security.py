"""How a request carries the provider access token: ``Authorization: Bearer <token>``.

``?access_token=`` is accepted for older clients and marked deprecated in the schema; it puts the
token in URLs (and so in proxies' logs), so prefer the header.

Each route resolves the token with one ``async`` dependency: FastAPI runs a plain ``def`` dependency on
its thread pool (tests/test_threadpool_hops.py counts hops), and every dependency in a chain costs
about as much as the work they do, so the header and the query parameter are read in one place.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from starlette.requests import Request

from fin_infra.banking.exceptions import BankingError

SCHEME_NAME = "ProviderAccessToken"
_QUERY_DESCRIPTION = "Deprecated: send `Authorization: Bearer <token>` instead; query strings end up in logs."


class MissingAccessTokenError(BankingError):
    """The request carried no access token."""


class ProviderAccessToken(SecurityBase):
    """The access token from ``Authorization: Bearer``, else from the deprecated ``?access_token=``.

    Documented in the OpenAPI schema as the ``ProviderAccessToken`` bearer scheme plus the deprecated
    query parameter. ``required``: a request without a token is a `MissingAccessTokenError` (a 401
    problem); otherwise it resolves to None.
    """

    def __init__(self, *, required: bool) -> None:
        self.model = HTTPBearerModel(
            description="The provider access token of the user's connected bank (from POST /exchange)."
        )
        self.scheme_name = SCHEME_NAME
        self.required = required

    async def __call__(
        self,
        request: Request,
        access_token: Annotated[str | None, Query(deprecated=True, description=_QUERY_DESCRIPTION)] = None,
    ) -> str | None:
        return self.resolve(request, access_token)

    def resolve(self, request: Request, access_token: str | None) -> str | None:
        """The token of ``request`` (``access_token``: the query parameter's value), as the dependency resolves it."""
        header = request.headers.get("authorization")
        if header:
            scheme, _, credentials = header.partition(" ")
            token = credentials.strip()
            if scheme.lower() == "bearer" and token:
                return token
        if access_token:
            return access_token
        if self.required:
            raise MissingAccessTokenError("send the provider access token in the Authorization header, Bearer scheme")
        return None


optional_access_token = ProviderAccessToken(required=False)
require_access_token = ProviderAccessToken(required=True)

AccessToken = Annotated[str, Depends(require_access_token)]
OptionalAccessToken = Annotated[str | None, Depends(optional_access_token)]
