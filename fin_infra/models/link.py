"""What the link and exchange steps of connecting an account return."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class LinkToken(BaseModel):
    """What a front end needs to open the provider's connect widget.

    Plaid and the sandbox fill ``link_token``; Teller Connect needs ``application_id`` and
    ``environment`` instead. ``mode`` is ``"update"`` when re-connecting an existing item.
    """

    model_config = ConfigDict(frozen=True)

    provider: str
    mode: str = Field(default="create", description="'create' or 'update'")
    link_token: str | None = None
    expiration: dt.datetime | None = None
    application_id: str | None = None
    environment: str | None = None
    products: list[str] = Field(default_factory=list)
    enrollment_id: str | None = None
    institutions: list[dict[str, str]] | None = Field(
        default=None, description="sandbox only: institutions a test user can pick"
    )
    extra: dict[str, Any] = Field(default_factory=dict)


class TokenExchange(BaseModel):
    """The long-lived access token for a connected item (Plaid item, Teller enrollment).

    Store ``access_token`` encrypted, server side; never send it to a browser or a log.
    """

    model_config = ConfigDict(frozen=True)

    access_token: str = Field(repr=False)
    item_id: str
    institution_id: str | None = None
    institution_name: str | None = None
