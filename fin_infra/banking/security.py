"""How a request carries the provider access token: ``Authorization: Bearer <token>``.

``?access_token=`` is accepted for older clients and marked deprecated in the schema; it puts the
token in URLs (and so in proxies' logs), so prefer the header.

The dependencies are ``async def``: FastAPI runs a plain ``def`` dependency on its thread pool, a hop
that costs more than the work they do (tests/test_threadpool_hops.py counts hops per request).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from fin_infra.banking.exceptions import BankingError

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ProviderAccessToken",
    description="The provider access token of the user's connected bank (from POST /exchange).",
)


class MissingAccessTokenError(BankingError):
    """The request carried no access token."""


async def optional_access_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
    access_token: Annotated[
        str | None,
        Query(
            deprecated=True,
            description="Deprecated: send `Authorization: Bearer <token>` instead; query strings end up in logs.",
        ),
    ] = None,
) -> str | None:
    """The token from the Authorization header, else from the deprecated query parameter, else None."""
    if credentials is not None and credentials.credentials:
        return credentials.credentials
    return access_token or None


async def require_access_token(token: Annotated[str | None, Depends(optional_access_token)]) -> str:
    """The access token, or a 401 problem when the request has none."""
    if not token:
        raise MissingAccessTokenError("send the provider access token in the Authorization header, Bearer scheme")
    return token


AccessToken = Annotated[str, Depends(require_access_token)]
OptionalAccessToken = Annotated[str | None, Depends(optional_access_token)]
