"""Request and response bodies of the banking routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, model_validator

from fin_infra.banking.history.summary import BalanceSummary
from fin_infra.models import Balance, BankAccount, Transaction
from fin_infra.models._money import Money

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_URL_RULE = "https:// only (http:// for localhost, 127.0.0.1 or [::1])"


def callback_url(value: str | None) -> str | None:
    """A URL a provider calls back or redirects to: https, or http on the loopback host; else a `ValueError`."""
    if value is None:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError(f"must be a URL without spaces or control characters, {_URL_RULE}")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise ValueError(f"must be a valid URL, {_URL_RULE}") from None
    if not host or parts.username is not None or parts.password is not None:
        raise ValueError(f"must be a URL with a host and no user name or password, {_URL_RULE}")
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        return value
    raise ValueError(f"must be {_URL_RULE}")


CallbackUrl = Annotated[
    str,
    Field(max_length=2048, json_schema_extra={"format": "uri", "pattern": "^https?://"}),
    AfterValidator(callback_url),
]


class LinkRequest(BaseModel):
    """Start connecting a bank. Send the item's access token as a Bearer token for update (re-auth) mode."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=256, description="your stable id for the end user")
    products: list[str] | None = Field(default=None, max_length=10)
    country_codes: list[str] | None = Field(default=None, max_length=20)
    language: str | None = Field(default=None, max_length=10)
    webhook: CallbackUrl | None = Field(default=None, description=f"where the provider sends webhooks: {_URL_RULE}")
    redirect_uri: CallbackUrl | None = Field(default=None, description=f"OAuth redirect URI: {_URL_RULE}")
    access_token: str | None = Field(
        default=None, max_length=512, description="update mode: the item's access token (or send it as Bearer)"
    )

    def options(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude={"user_id", "access_token"}).items() if v is not None}


class ExchangeRequest(BaseModel):
    """What the connect widget returned: Plaid/sandbox ``public_token``, Teller Connect's enrollment, MX
    Connect's ``mx/connect/memberConnected`` event (``type`` and ``metadata``: user_guid, member_guid), or
    Finicity Data Connect's success event (``customerId``, ``institutionLoginId`` or ``payload.accounts``)."""

    # The one-of rule is in the schema too, so clients (and fuzzers) can see it.
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        json_schema_extra={
            "anyOf": [{"required": ["public_token"]}, {"required": ["access_token"]}, {"required": ["accessToken"]}],
            "description": "Send public_token (Plaid, sandbox), or Teller Connect's accessToken with its enrollment.",
        },
    )

    public_token: str | None = Field(default=None, max_length=512)
    access_token: str | None = Field(
        default=None, max_length=512, validation_alias=AliasChoices("access_token", "accessToken")
    )
    enrollment: dict[str, Any] | None = None
    user: dict[str, Any] | None = None
    type: str | None = Field(default=None, max_length=100, description="MX: the widget event's type")
    metadata: dict[str, Any] | None = Field(default=None, description="MX: user_guid, member_guid, session_guid")

    @model_validator(mode="after")
    def _one_of(self) -> ExchangeRequest:
        if not self.public_token and not self.access_token and not self.metadata and not self._finicity_event():
            raise ValueError(
                "send public_token (Plaid, sandbox), Teller Connect's accessToken and enrollment, MX Connect's "
                "memberConnected event (type, metadata), or Finicity Data Connect's event with customerId"
            )
        return self

    def _finicity_event(self) -> dict[str, Any] | None:
        extra = self.model_extra or {}
        return dict(extra) if extra.get("customerId") is not None or extra.get("customer_id") is not None else None

    def payload(self) -> str | dict[str, Any]:
        if self.public_token:
            return self.public_token
        if self.access_token:
            return {"accessToken": self.access_token, "enrollment": self.enrollment or {}, "user": self.user or {}}
        event = self._finicity_event()
        if event is not None and not self.metadata:
            return event
        return {"type": self.type, "metadata": self.metadata or {}}


class AccountsResponse(BaseModel):
    accounts: list[BankAccount]
    count: int


class TransactionsResponse(BaseModel):
    """One page of ``GET {prefix}/transactions``; ``next``/``previous`` are relative URLs keeping the other
    parameters (never the access token), null when there is no such page."""

    transactions: list[Transaction]
    count: int = Field(description="transactions on this page")
    total: int = Field(description="transactions matching the filters, on all pages")
    page: int
    page_size: int
    total_pages: int = Field(description="0 when nothing matches")
    has_next: bool
    has_previous: bool
    next: str | None = Field(description="the next page's URL (path and query), or null")
    previous: str | None = Field(description="the previous page's URL (path and query), or null")
    start_date: dt.date
    end_date: dt.date


class BalancesResponse(BaseModel):
    balances: list[Balance]
    count: int


class HistoryPoint(BaseModel):
    date: dt.date
    balance: Money
    currency: str


class BalanceHistoryResponse(BaseModel):
    account_id: str
    history: list[HistoryPoint]
    count: int
    start_date: dt.date
    end_date: dt.date
    summary: BalanceSummary
