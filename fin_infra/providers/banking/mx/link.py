"""MX Connect: the widget URL (`/link`) and the ``memberConnected`` event turned into a token (`/exchange`).

MX has no link token and no exchange: the app asks MX for a single-use widget URL for one of its users
(created at MX on first use, keyed by your ``user_id``), the widget posts ``mx/connect/memberConnected``
with ``{user_guid, member_guid, session_guid}`` to the page, and the app's server turns that into the
access token described in `tokens` after checking with MX that the member is that user's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from fin_infra.banking.exceptions import BankingProviderError, InvalidCredentialsError
from fin_infra.models import LinkToken, TokenExchange
from fin_infra.providers.banking.mx.connection import MXConnection
from fin_infra.providers.banking.mx.errors import PROVIDER, Missing, invalid_response
from fin_infra.providers.banking.mx.paging import read_all
from fin_infra.providers.banking.mx.tokens import MEMBER_GUID, USER_GUID, MemberRef, encode_token

PRODUCTS = ("transactions", "identity", "balance", "verification")
DEFAULT_PRODUCTS = ("transactions", "balance", "identity")
CONNECTED_EVENT = "mx/connect/memberConnected"
WIDGET_TTL = dt.timedelta(minutes=10)
UI_MESSAGE_VERSION = 4


class LinkFlow:
    """The two halves of connecting a bank through MX Connect."""

    def __init__(self, http: MXConnection, key: bytes, environment: str) -> None:
        self._http = http
        self._key = key
        self._environment = environment

    async def user_guid(self, user_id: str) -> str:
        """The MX user for your ``user_id``: created (``POST /users``), or found when it exists (409)."""
        try:
            body = await self._http.send_json("POST", "/users", {"user": {"id": user_id}}, missing="other")
        except BankingProviderError as exc:
            if exc.status_code != 409:
                raise

            async def fetch(query: Mapping[str, Any]) -> dict[str, Any]:
                return await self._http.get_json("/users", query, missing="other")

            users = await read_all(fetch, "users", {"id": user_id}, 100)
            match = next((u for u in users if u.get("id") == user_id), None)
            if match is None:
                raise invalid_response("a 409 for a user id it then didn't list") from None
            return str(match["guid"])
        user = body.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("guid"), str) or not USER_GUID.fullmatch(user["guid"]):
            raise invalid_response("a created user without a guid")
        return str(user["guid"])

    async def widget(self, user_id: str, ref: MemberRef | None, options: Mapping[str, Any]) -> LinkToken:
        if not isinstance(user_id, str) or not user_id.strip():
            raise ValueError("user_id must be a non-empty string identifying your user")
        if options.get("webhook"):
            raise ValueError("MX webhooks are set per client in MX's Client Dashboard, not per link: drop 'webhook'")
        products = list(options.get("products") or DEFAULT_PRODUCTS)
        unknown = [p for p in products if p not in PRODUCTS]
        if unknown:
            shown = ", ".join(repr(str(p)[:40]) for p in unknown[:5])
            raise ValueError(f"unknown MX products {shown}: choose from {', '.join(PRODUCTS)}")
        user_guid = ref.user_guid if ref is not None else await self.user_guid(user_id.strip())
        request: dict[str, Any] = {
            "widget_type": "connect_widget",
            "mode": "verification" if products == ["verification"] else "aggregation",
            "ui_message_version": UI_MESSAGE_VERSION,
            "include_transactions": "transactions" in products,
            "include_identity": "identity" in products,
            "is_mobile_webview": False,
        }
        if ref is not None:
            request["current_member_guid"] = ref.member_guid
        if options.get("country_codes"):
            request["iso_country_code"] = list(options["country_codes"])
        if options.get("redirect_uri"):
            request["client_redirect_url"] = options["redirect_uri"]
        headers = {"Accept-Language": str(options["language"])} if options.get("language") else None
        missing: Missing = "member" if ref is not None else "other"
        body = await self._http.send_json("POST", f"/users/{user_guid}/widget_urls", {"widget_url": request},
                                          missing=missing, headers=headers)  # fmt: skip
        widget = body.get("widget_url")
        if not isinstance(widget, dict) or not isinstance(widget.get("url"), str):
            raise invalid_response("a widget_url without a url")
        return LinkToken(
            provider=PROVIDER,
            mode="update" if ref is not None else "create",
            expiration=dt.datetime.now(dt.UTC) + WIDGET_TTL,
            environment=self._environment,
            products=products,
            extra={"widget_url": widget["url"], "user_guid": user_guid, "ui_message_version": UI_MESSAGE_VERSION},
        )

    async def exchange(self, event: Mapping[str, Any]) -> TokenExchange:
        kind = event.get("type")
        if kind is not None and kind != CONNECTED_EVENT:
            raise ValueError(f"send the {CONNECTED_EVENT} event; got {str(kind)[:60]!r} (the member isn't connected)")
        inner = event.get("metadata")
        metadata: Mapping[str, Any] = inner if isinstance(inner, Mapping) else event
        user_guid, member_guid = metadata.get("user_guid"), metadata.get("member_guid")
        if not isinstance(user_guid, str) or not USER_GUID.fullmatch(user_guid):
            raise ValueError("metadata.user_guid must be the MX user GUID (USR-...) from the memberConnected event")
        if not isinstance(member_guid, str) or not MEMBER_GUID.fullmatch(member_guid):
            raise ValueError("metadata.member_guid must be the MX member GUID (MBR-...) from the memberConnected event")
        try:
            body = await self._http.get_json(f"/users/{user_guid}/members/{member_guid}")
        except InvalidCredentialsError:
            raise InvalidCredentialsError("MX has no such member for that user: connect the bank again",
                                          provider=PROVIDER) from None  # fmt: skip
        member = body.get("member")
        if not isinstance(member, dict):
            raise invalid_response("a member of the wrong shape")
        return TokenExchange(
            access_token=encode_token(user_guid, member_guid, self._key),
            item_id=member_guid,
            institution_id=member.get("institution_code") if isinstance(member.get("institution_code"), str) else None,
            institution_name=member.get("name") if isinstance(member.get("name"), str) else None,
        )


__all__ = ["CONNECTED_EVENT", "DEFAULT_PRODUCTS", "PRODUCTS", "LinkFlow"]
