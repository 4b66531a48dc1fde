"""The emulator's state and logic (moto style): Items, tokens, cursors, faults, webhooks. `reset()`
brings it back to a fresh start; the HTTP layer (`fin_infra.emulators.plaid.app`) stays thin.

    >>> backend = PlaidBackend()
    >>> public = backend.create_public_token("ins_109508", ["transactions"])
    >>> access_token, item_id = backend.exchange_public_token(public)
    >>> len(backend.item_for(access_token).accounts)
    3
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fin_infra.emulators.plaid import fire
from fin_infra.emulators.plaid.changes import TransactionChanges
from fin_infra.emulators.plaid.data import (
    GOOD_PASSWORD,
    GOOD_USERNAME,
    INSTITUTIONS,
    SANDBOX_OWNER,
    Account,
    OwnerData,
    plaid_id,
    seed_accounts,
    seed_transactions,
)
from fin_infra.emulators.plaid.errors import CATALOGUE, PlaidAPIError, missing_fields
from fin_infra.emulators.plaid.ledger import Ledger
from fin_infra.emulators.plaid.webhooks import SentWebhook, WebhookKeys

DEFAULT_CLIENT_ID = "fin-infra-emulator-client"
DEFAULT_SECRET = "fin-infra-emulator-secret"  # noqa: S105 - the emulator's well-known test secret
USERNAMES = (GOOD_USERNAME, "user_transactions_dynamic")
PUBLIC_TOKEN_TTL = dt.timedelta(minutes=30)
LINK_TOKEN_TTL = dt.timedelta(hours=4)
UPDATE_LINK_TOKEN_TTL = dt.timedelta(minutes=30)
# Calls that read an Item's data: these fail while the Item needs a new login or its bank is down.
DATA_ENDPOINTS = frozenset(
    {"/accounts/get", "/accounts/balance/get", "/transactions/sync", "/transactions/get", "/identity/get"}
)


@dataclass
class Item:
    item_id: str
    access_token: str
    institution_id: str
    products: list[str]
    webhook: str | None
    accounts: list[Account]
    ledger: Ledger
    owner: OwnerData
    created_at: dt.datetime
    seed: str
    error: PlaidAPIError | None = None
    last_webhook: tuple[dt.datetime, str] | None = None


@dataclass
class Fault:
    """An injected failure: ``code`` (Plaid error code) on ``endpoint`` (None: any), ``times`` times
    (None: until cleared); and/or ``latency`` seconds of delay before answering."""

    code: str | None = None
    endpoint: str | None = None
    times: int | None = 1
    latency: float = 0.0
    skip: int = 0  # let this many matching calls through first


@dataclass
class PendingWebhook:
    url: str
    payload: dict[str, Any]


@dataclass
class PlaidBackend(TransactionChanges):
    """All the emulator's state. Thread-safe: tests drive it while the server thread serves it."""

    client_id: str = DEFAULT_CLIENT_ID
    secret: str = DEFAULT_SECRET
    seed: str = "fin-infra"
    today: Callable[[], dt.date] = dt.date.today
    clock: Callable[[], float] = time.time
    items: dict[str, Item] = field(default_factory=dict)  # by access token
    faults: list[Fault] = field(default_factory=list)
    institutions_down: set[str] = field(default_factory=set)
    sent_webhooks: list[SentWebhook] = field(default_factory=list)
    _public_tokens: dict[str, tuple[dict[str, Any], dt.datetime]] = field(default_factory=dict)
    _link_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=itertools.count)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.webhook_keys = WebhookKeys(clock=self.clock)

    def reset(self) -> None:
        """Forget every Item, token, fault and sent webhook; start a fresh webhook key."""
        with self.lock:
            self.items.clear()
            self.faults.clear()
            self.institutions_down.clear()
            self.sent_webhooks.clear()
            self._public_tokens.clear()
            self._link_tokens.clear()
            self._counter = itertools.count()
            self.webhook_keys = WebhookKeys(clock=self.clock)

    def rotate_webhook_key(self) -> str:
        """Expire the current webhook signing key and sign with a new one; returns the new ``kid``."""
        return self.webhook_keys.rotate().kid

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)

    # --- credentials and faults ---------------------------------------------------------------

    def check_credentials(self, client_id: object, secret: object) -> None:
        if not client_id or not secret:
            raise missing_fields(*(n for n, v in (("client_id", client_id), ("secret", secret)) if not v))
        if client_id != self.client_id or secret != self.secret:
            raise PlaidAPIError.of("INVALID_API_KEYS", "invalid client_id or secret provided")

    def inject_fault(
        self,
        code: str | None = None,
        *,
        endpoint: str | None = None,
        times: int | None = 1,
        latency: float = 0.0,
        skip: int = 0,
    ) -> Fault:
        """Make the next ``times`` calls (to ``endpoint``, or any; after ``skip`` of them) fail with
        ``code`` and/or wait ``latency`` seconds first. ``times=None``: until `clear_faults`."""
        if code is not None and code not in CATALOGUE:
            raise ValueError(f"unknown Plaid error code {code!r}; known: {', '.join(sorted(CATALOGUE))}")
        fault = Fault(code=code, endpoint=endpoint, times=times, latency=latency, skip=skip)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Drop every injected fault."""
        with self.lock:
            self.faults.clear()

    def set_institution_down(self, institution_id: str, down: bool = True) -> None:
        """While down, data calls for Items at that institution fail with ``INSTITUTION_DOWN``."""
        with self.lock:
            (self.institutions_down.add if down else self.institutions_down.discard)(institution_id)

    def take_fault(self, endpoint: str) -> Fault | None:
        """The fault that applies to this call, if any (consuming one of its ``times``)."""
        with self.lock:
            for fault in self.faults:
                if fault.endpoint in (None, endpoint):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    # --- link and tokens ----------------------------------------------------------------------

    def create_link_token(self, body: dict[str, Any]) -> tuple[str, dt.datetime]:
        with self.lock:
            access_token = body.get("access_token")
            if access_token:
                self.item_for(access_token, data=False)
            token = f"link-sandbox-{uuid.uuid4()}"
            ttl = UPDATE_LINK_TOKEN_TTL if access_token else LINK_TOKEN_TTL
            expiration = self.now().replace(microsecond=0) + ttl
            self._link_tokens[token] = {**body, "expiration": expiration}
            return token, expiration

    def complete_link(
        self,
        link_token: str,
        *,
        institution_id: str = "ins_109508",
        username: str = GOOD_USERNAME,
        password: str = GOOD_PASSWORD,
    ) -> str:
        """What the Link front end does: log in with ``link_token`` and return the public token.
        In update mode (a link token made with an access token) it also clears the Item's error."""
        with self.lock:
            session = self._link_tokens.get(link_token)
            if session is None or session["expiration"] < self.now():
                raise PlaidAPIError.of("INVALID_LINK_TOKEN", "provided link token is invalid or expired")
            if session.get("access_token"):
                item = self.item_for(session["access_token"], data=False)
                self._check_login(username, password)
                item.error = None
                return self._new_public_token({"item_id": item.item_id})
            options = {
                "webhook": session.get("webhook"),
                "override_username": username,
                "override_password": password,
                "transactions": session.get("transactions") or {},
            }
            return self.create_public_token(institution_id, list(session.get("products") or ["transactions"]), options)

    def _check_login(self, username: str, password: str) -> None:
        if password.startswith("error_") and password[6:] in CATALOGUE:
            raise PlaidAPIError.of(password[6:])
        if username not in USERNAMES or (username == GOOD_USERNAME and password != GOOD_PASSWORD):
            raise PlaidAPIError.of("INVALID_CREDENTIALS", "the provided credentials were not correct")

    def _new_public_token(self, spec: dict[str, Any]) -> str:
        token = f"public-sandbox-{uuid.uuid4()}"
        self._public_tokens[token] = (spec, self.now() + PUBLIC_TOKEN_TTL)
        return token

    def create_public_token(
        self,
        institution_id: str,
        products: list[str],
        options: dict[str, Any] | None = None,
        *,
        transaction_count: int | None = None,
    ) -> str:
        """``/sandbox/public_token/create``: a public token for a new Item (made on exchange).
        ``transaction_count`` (emulator only) seeds exactly that many transactions."""
        options = options or {}
        if institution_id not in INSTITUTIONS:
            raise PlaidAPIError.of("INVALID_INSTITUTION", "invalid institution_id provided")
        if not products:
            raise missing_fields("initial_products")
        if "balance" in products:
            raise PlaidAPIError.of("INVALID_PRODUCT", "balance is not a valid product; it comes with any product")
        username = options.get("override_username") or GOOD_USERNAME
        password = options.get("override_password") or GOOD_PASSWORD
        self._check_login(username, password)
        txn_options = options.get("transactions") or {}
        days = int(txn_options.get("days_requested") or 90)
        if not 1 <= days <= 730:
            raise PlaidAPIError.of("INVALID_FIELD", "days_requested must be between 1 and 730")
        spec = {
            "institution_id": institution_id,
            "products": list(products),
            "webhook": options.get("webhook"),
            "days": days,
            "count": transaction_count,
        }
        with self.lock:
            return self._new_public_token(spec)

    def exchange_public_token(self, public_token: str) -> tuple[str, str]:
        """A new Item for the public token (single use; 30 minutes): ``(access_token, item_id)``."""
        with self.lock:
            entry = self._public_tokens.pop(public_token, None)
            if entry is None or entry[1] < self.now():
                raise PlaidAPIError.of("INVALID_PUBLIC_TOKEN", "could not find matching public token")
            spec = entry[0]
            if "item_id" in spec:  # update mode: the Item keeps its access token
                item = next(i for i in self.items.values() if i.item_id == spec["item_id"])
                return item.access_token, item.item_id
            n = next(self._counter)
            item_id = plaid_id(self.seed, "item", str(n))
            access_token = f"access-sandbox-{uuid.UUID(int=int.from_bytes(item_id.encode()[:16], 'big'))}"
            item_seed = f"{self.seed}|{n}"
            accounts = seed_accounts(item_seed)
            ledger = Ledger(item_id)
            for txn in seed_transactions(item_seed, accounts, self.today(), days=spec["days"], count=spec["count"]):
                ledger.add(txn)
            self.items[access_token] = Item(
                item_id=item_id,
                access_token=access_token,
                institution_id=spec["institution_id"],
                products=spec["products"],
                webhook=spec["webhook"],
                accounts=accounts,
                ledger=ledger,
                owner=SANDBOX_OWNER,
                created_at=self.now(),
                seed=item_seed,
            )
            return access_token, item_id

    def item_for(self, access_token: object, *, data: bool = True) -> Item:
        """The Item behind ``access_token``; ``data`` calls also fail on Item errors and a down bank."""
        if not isinstance(access_token, str) or not access_token:
            raise missing_fields("access_token")
        with self.lock:
            item = self.items.get(access_token)
            if item is None:
                raise PlaidAPIError.of("INVALID_ACCESS_TOKEN", "could not find matching access token")
            if data and item.error is not None:
                raise item.error
            if data and item.institution_id in self.institutions_down:
                raise PlaidAPIError.of("INSTITUTION_DOWN", "this institution is not currently responding")
            return item

    def remove_item(self, access_token: str) -> None:
        with self.lock:
            self.item_for(access_token, data=False)
            del self.items[access_token]  # the token is dead: INVALID_ACCESS_TOKEN from now on

    def reset_login(self, access_token: str) -> Item:
        """``/sandbox/item/reset_login``: the Item needs its user to log in again."""
        with self.lock:
            item = self.item_for(access_token, data=False)
            item.error = PlaidAPIError.of(
                "ITEM_LOGIN_REQUIRED",
                "the login details of this item have changed (credentials, MFA, or required user action) and a "
                "user login is required to update this information. use Link's update mode to restore the item "
                "to a good state",
            )
            return item

    # --- webhooks -----------------------------------------------------------------------------

    def webhook_for(self, item: Item, webhook_type: str, webhook_code: str, **extra: Any) -> PendingWebhook | None:
        """The webhook to send for ``item`` (None when the Item has no webhook URL)."""
        if not item.webhook:
            return None
        payload = {
            "environment": "sandbox",
            "item_id": item.item_id,
            "webhook_code": webhook_code,
            "webhook_type": webhook_type,
            **extra,
        }
        item.last_webhook = (self.now(), webhook_code)
        return PendingWebhook(item.webhook, payload)

    def fire_webhook(
        self, access_token: str, webhook_type: str | None, webhook_code: str
    ) -> PendingWebhook | None:
        """``/sandbox/item/fire_webhook``: the webhook for a pair Plaid's sandbox fires (``fire.PAIRS``);
        ``webhook_type`` None: the type the code belongs to."""
        with self.lock:
            item = self.item_for(access_token, data=False)
            kind, code = fire.resolve(webhook_type, webhook_code, item.products)
            return self.webhook_for(item, kind, code, **fire.extra_fields(item, kind, code, self.now()))
