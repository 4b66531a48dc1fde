"""The emulator's state and logic (moto-style): partner tokens, customers, logins, accounts, Connect sessions.

The HTTP layer (`app.py`) only parses requests and dresses results; what Finicity decides (is this token
valid, whose account is this, which page comes next) happens here. Thread-safe: tests call it while the
server thread serves.

    >>> backend = FinicityBackend()
    >>> customer = backend.create_customer("app-user-8812")
    >>> event = backend.connect(customer.id, "demo", "go")
    >>> len(event["payload"]["accounts"])
    3
"""

from __future__ import annotations

import bisect
import datetime as dt
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fin_infra.emulators.faults import Faults
from fin_infra.emulators.finicity import data
from fin_infra.emulators.finicity.errors import CONNECT_FAILURES, ConnectError, FinicityAPIError
from fin_infra.emulators.finicity.responses import account_json, epoch
from fin_infra.emulators.finicity.webhooks import FinicityWebhooks, SentWebhook, new_event_id

PARTNER_ID = "1234583871234"
TOKEN_LIFETIME = 2 * 3600.0
LOCK_AFTER = 5  # failed partner authentications in a row lock the partner
SANDBOX_PASSWORD = "go"  # noqa: S105 - the documented FinBank test password
FAILING_PASSWORDS = {"123": 123, "125": 125, "127": 127, "128": 128, "130": 130}
MFA_USERS = ("tfa_text", "tfa_choice", "tfa_image", "tfa_multi")


@dataclass
class Login:
    id: str
    customer_id: str
    institution_id: str
    username: str
    created: int
    status_code: int = 0
    success_date: int = 0
    accounts: list[Account] = field(default_factory=list)


@dataclass
class Account:
    id: str
    login: Login
    template: data.AccountTemplate
    name: str
    last_four: str
    created: int
    position: int


@dataclass
class Customer:
    id: str
    username: str
    kind: str
    created: int
    logins: dict[str, Login] = field(default_factory=dict)


@dataclass
class ConnectSession:
    customer_id: str
    fix_login_id: str | None
    webhook: str | None
    webhook_data: dict[str, Any] | None
    webhook_headers: dict[str, str]
    redirect_uri: str | None


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)


class FinicityBackend:
    """All state of one emulator."""

    def __init__(
        self,
        *,
        partner_id: str = PARTNER_ID,
        partner_secret: str | None = None,
        app_key: str | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.partner_id = partner_id
        self.partner_secret = partner_secret or secrets.token_urlsafe(15)
        self.app_key = app_key or secrets.token_hex(16)
        self.token_lifetime = TOKEN_LIFETIME
        self._today = today
        self.clock = clock
        self._lock = threading.RLock()
        self.faults = Faults()
        self.webhooks = FinicityWebhooks(lambda: self.partner_secret)
        self.base_url = "https://api.finicity.com"  # the server sets its own (Connect links point at it)
        self.tokens: dict[str, float] = {}  # token -> expiry (clock seconds)
        self.token_requests = 0
        self.failed_auth = 0
        self.customers: dict[str, Customer] = {}
        self.sessions: dict[str, ConnectSession] = {}  # Connect link signature -> session
        self.requests: list[RequestRecord] = []
        self._generated: dict[tuple[str, dt.date], tuple[list[data.Row], Decimal, Decimal]] = {}

    def reset(self) -> None:
        """Forget tokens, customers, sessions, recorded requests, faults and deliveries (credentials stay)."""
        with self._lock:
            self.tokens.clear()
            self.customers.clear()
            self.sessions.clear()
            self.requests.clear()
            self._generated.clear()
            self.token_requests = self.failed_auth = 0
            self.faults.clear()
            self.webhooks.clear()

    # --- partner authentication ------------------------------------------------------------------

    def authenticate(self, partner_id: Any, partner_secret: Any) -> str:
        """A new partner token (several may be valid at once), or 401 10001; locked after 5 failures."""
        with self._lock:
            self.token_requests += 1
            if self.failed_auth >= LOCK_AFTER:
                raise FinicityAPIError(401, "10001", "Invalid credentials: the partner is locked")
            if partner_id != self.partner_id or partner_secret != self.partner_secret:
                self.failed_auth += 1
                raise FinicityAPIError(401, "10001", "Invalid credentials")
            self.failed_auth = 0
            token = secrets.token_urlsafe(15)[:20]
            self.tokens[token] = self.clock() + self.token_lifetime
            return token

    def check_token(self, token: str | None) -> None:
        if not token:
            raise FinicityAPIError(401, "10022", "Invalid (Finicity-App-Token)")
        with self._lock:
            expires = self.tokens.get(token)
        if expires is None:
            raise FinicityAPIError(401, "10022", "Invalid (Finicity-App-Token)")
        if expires <= self.clock():
            raise FinicityAPIError(401, "10023", "Expired (Finicity-App-Token)")

    def expire_tokens(self) -> int:
        """Make every issued token expired now (they answer 401 10023); returns how many."""
        with self._lock:
            now = self.clock()
            for token in self.tokens:
                self.tokens[token] = now
            return len(self.tokens)

    # --- customers and Connect ---------------------------------------------------------------------

    def _now(self) -> int:
        return int(self.clock())

    def create_customer(self, username: str, kind: str = "testing") -> Customer:
        if not isinstance(username, str) or not 6 <= len(username) <= 255:
            raise FinicityAPIError(400, "10005", "Missing parameter (username): 6 to 255 characters")
        with self._lock:
            if any(c.username == username for c in self.customers.values()):
                raise FinicityAPIError(409, "110002", "Username is not available.")
            customer_id = data.number("customer", username, kind, lead="1005")
            customer = Customer(customer_id, username, kind, self._now())
            self.customers[customer_id] = customer
            return customer

    def customer(self, customer_id: str) -> Customer:
        with self._lock:
            found = self.customers.get(customer_id)
        if found is None:
            raise FinicityAPIError(404, "14001", "Customer not found.")
        return found

    def find_customers(self, username: str | None) -> list[Customer]:
        with self._lock:
            return [c for c in self.customers.values() if username is None or c.username == username]

    def delete_customer(self, customer_id: str) -> None:
        self.customer(customer_id)
        with self._lock:
            self.customers.pop(customer_id, None)

    def generate_link(self, body: dict[str, Any], *, fix: bool = False) -> str:
        """A Connect URL for ``body`` (ConnectParameters); fix mode needs the customer's ``institutionLoginId``."""
        if body.get("partnerId") != self.partner_id:
            raise FinicityAPIError(400, "10005", "Missing parameter (partnerId)")
        customer = self.customer(str(body.get("customerId") or ""))
        login_id = None
        if fix:
            login_id = str(body.get("institutionLoginId") or "")
            if login_id not in customer.logins:
                raise FinicityAPIError(404, "14001", "Resource not found.")
        signature = secrets.token_hex(32)
        webhook_data = body.get("webhookData") if isinstance(body.get("webhookData"), dict) else None
        given = body.get("webhookHeaders")
        headers: dict[str, Any] = given if isinstance(given, dict) else {}
        session = ConnectSession(customer.id, login_id, body.get("webhook") or None, webhook_data,
                                 {str(k): str(v) for k, v in headers.items()}, body.get("redirectUri"))  # fmt: skip
        with self._lock:
            self.sessions[signature] = session
        query = {"customerId": customer.id, "origin": "url", "partnerId": self.partner_id,
                 "signature": signature, "timestamp": self._now() * 1000}  # fmt: skip
        if login_id:
            query["institutionLoginId"] = login_id
        return f"{self.base_url}/connect/?{urlencode(query)}"  # Connect's stand-in (connect.py)

    def connect(
        self,
        customer_id: str,
        username: str = "demo",
        password: str = SANDBOX_PASSWORD,
        *,
        institution_id: str = data.DEFAULT_INSTITUTION,
        accounts: int = 3,
        mfa_answer: str | None = None,
        session: str | None = None,
    ) -> dict[str, Any]:
        """What a user finishing Data Connect does: a new institution login with accounts. Returns the ``added``
        event (and sends it when the Connect link named a webhook). See the README for the test users."""
        customer = self.customer(customer_id)
        if institution_id not in data.INSTITUTIONS:
            raise ConnectError(106, f"unknown institution {institution_id!r}")
        if username in CONNECT_FAILURES:
            raise ConnectError(*CONNECT_FAILURES[username])
        failing = FAILING_PASSWORDS.get(password) if username == "demo" else None
        if failing is None and password != SANDBOX_PASSWORD:
            raise ConnectError(103, "Invalid credentials.")
        if username in ("tfa_text", "tfa_choice") and not mfa_answer:
            raise ConnectError(185, "MFA answer required.")
        if username == "tfa_choice" and mfa_answer == "fail":
            raise ConnectError(187, "Incorrect MFA answer.")
        if not 1 <= accounts <= 20:
            raise ConnectError(0, "a testing customer has at most 20 accounts")
        with self._lock:
            n = len(customer.logins)
            login_id = data.number("login", customer.id, n, lead="1022")
            now = self._now()
            login = Login(login_id, customer.id, institution_id, username, now, failing or 0, now)
            for i in range(accounts):
                template = data.TEMPLATES[i % len(data.TEMPLATES)]
                suffix = f" {i // len(data.TEMPLATES) + 1}" if i >= len(data.TEMPLATES) else ""
                account_id = data.number("account", login_id, i, lead="50")
                login.accounts.append(Account(account_id, login, template, template.name + suffix,
                                              account_id[-4:], now, i + 1))  # fmt: skip
            customer.logins[login_id] = login
            chosen = self.sessions.get(session or "")
        payload = {"institutionId": institution_id, "accounts": [self.account_body(a) for a in login.accounts]}
        event = self._event(customer.id, "added", payload, chosen)
        if chosen is not None and chosen.webhook:
            self.webhooks.send(chosen.webhook, event, extra_headers=chosen.webhook_headers)
        return event

    def fix(self, customer_id: str, login_id: str, *, session: str | None = None) -> dict[str, Any]:
        """The user repairs a login in Connect fix mode: its aggregation status is 0 again (``credentialsUpdated``)."""
        login = self.login(customer_id, login_id)
        with self._lock:
            login.status_code, login.success_date = 0, self._now()
            chosen = self.sessions.get(session or "")
        event = self._event(customer_id, "credentialsUpdated", {"institutionLoginId": login_id}, chosen)
        if chosen is not None and chosen.webhook:
            self.webhooks.send(chosen.webhook, event, extra_headers=chosen.webhook_headers)
        return event

    def _event(
        self, customer_id: str, kind: str, payload: dict[str, Any], session: ConnectSession | None
    ) -> dict[str, Any]:
        event: dict[str, Any] = {"customerId": customer_id, "eventType": kind, "eventId": new_event_id(self.clock),
                                 "payload": payload}  # fmt: skip
        if session is not None and session.webhook_data is not None:
            event["webhookData"] = session.webhook_data
        return event

    def send_event(self, url: str, customer_id: str, kind: str, payload: dict[str, Any] | None = None) -> SentWebhook:
        """Send any Connect event type (``ping``, ``done``, ...) to ``url``."""
        return self.webhooks.send(url, self._event(customer_id, kind, payload or {}, None))

    def set_aggregation_status(self, login_id: str, code: int) -> None:
        """What a nightly aggregation finding ``code`` does (103 invalid credentials, 185 MFA, ...; 0 = OK)."""
        with self._lock:
            for customer in self.customers.values():
                if login_id in customer.logins:
                    customer.logins[login_id].status_code = code
                    return
        raise KeyError(login_id)

    # --- lookups ---------------------------------------------------------------------------------

    def login(self, customer_id: str, login_id: str) -> Login:
        found = self.customer(customer_id).logins.get(login_id)
        if found is None:
            raise FinicityAPIError(404, "14001", "Resource not found.")
        return found

    def accounts(self, customer_id: str, login_id: str | None = None) -> list[Account]:
        customer = self.customer(customer_id)
        with self._lock:
            logins = [self.login(customer_id, login_id)] if login_id else list(customer.logins.values())
            return [a for login in logins for a in login.accounts]

    def account(self, customer_id: str, account_id: str) -> Account:
        for account in self.accounts(customer_id):
            if account.id == account_id:
                return account
        raise FinicityAPIError(404, "14001", "Resource not found.")

    def delete_login(self, customer_id: str, login_id: str) -> None:
        self.login(customer_id, login_id)
        with self._lock:
            self.customers[customer_id].logins.pop(login_id, None)

    def delete_account(self, customer_id: str, account_id: str) -> None:
        account = self.account(customer_id, account_id)
        with self._lock:
            account.login.accounts = [a for a in account.login.accounts if a.id != account_id]

    def rows(self, account: Account) -> tuple[list[data.Row], Decimal, Decimal]:
        key = (account.id, self._today())
        with self._lock:
            cached = self._generated.get(key)
            if cached is None:
                cached = self._generated[key] = data.generate(account.id, account.template, key[1])
        return cached

    def account_body(self, account: Account) -> dict[str, Any]:
        _, cleared, pending = self.rows(account)
        # dated as of the login's last aggregation (not the request): the same data reads the same
        return account_json(account, cleared, pending, account.login.success_date or account.login.created)

    def transactions(
        self, customer_id: str, account_id: str | None, from_date: int, to_date: int, *, include_pending: bool,
        sort: str = "desc",
    ) -> list[tuple[Account, data.Row]]:  # fmt: skip
        """Every (account, row) in [from_date, to_date] (epoch seconds, on postedDate, or transactionDate while
        pending), sorted by date then id."""
        accounts = [self.account(customer_id, account_id)] if account_id else self.accounts(customer_id)
        # whole days first (cheap), then the exact epoch seconds of the rows on the edge days
        lo = dt.datetime.fromtimestamp(max(0, from_date), dt.UTC).date()
        hi = dt.datetime.fromtimestamp(max(0, min(to_date, 2**37)), dt.UTC).date()
        out = []
        for account in accounts:
            rows = self.rows(account)[0]  # oldest first
            first = bisect.bisect_left(rows, lo, key=lambda r: r.date)
            last = bisect.bisect_right(rows, hi, key=lambda r: r.date)
            for row in rows[first:last]:
                if row.pending and not include_pending:
                    continue
                when = epoch(row.date, 9 if row.pending else 12)
                if from_date <= when <= to_date:
                    out.append((account, row))
        out.sort(key=lambda pair: (pair[1].date, pair[1].id), reverse=sort == "desc")
        return out

    def record(self, method: str, path: str, query: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(RequestRecord(method, path, query))
