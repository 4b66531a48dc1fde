"""The emulator's state and logic (moto-style): enrollments, tokens, accounts, and `reset()`.

The HTTP layer (`app.py`) only parses requests and dresses results; everything Teller decides
(whose token this is, what a disconnected enrollment answers, pagination) happens here.

    >>> backend = TellerBackend()
    >>> payload = backend.enroll("username", "password")
    >>> len(backend.accounts(payload["accessToken"]))
    3

Webhooks (`webhooks.py`) go out when state changes as Teller would report it: `disconnect` sends
``enrollment.disconnected``; `process_transactions`, `complete_number_verification` and
`send_test_webhook` send the other event types. Configure the URL with ``backend.webhooks.configure``.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fin_infra.emulators.faults import Faults
from fin_infra.emulators.teller import data
from fin_infra.emulators.teller.changes import TellerChanges
from fin_infra.emulators.teller.errors import DISCONNECT_MESSAGES, DISCONNECT_REASONS, EnrollmentError, TellerAPIError
from fin_infra.emulators.teller.responses import transaction_json
from fin_infra.emulators.teller.webhooks import SentWebhook, TellerWebhooks

SANDBOX_PASSWORD = "password"  # noqa: S105 - Teller's documented sandbox password
ENVIRONMENTS = ("sandbox", "development", "production")
DETAILS_MISSING = "The requested account details resource was not found."


@dataclass
class Account:
    id: str
    enrollment_id: str
    template: data.AccountTemplate
    name: str
    last_four: str
    status: str = "open"


@dataclass
class Enrollment:
    id: str
    user_id: str
    seed: str
    institution_id: str
    accounts: list[Account]
    disconnected: str | None = None  # the error code while disconnected
    environment: str = "sandbox"  # development / production tokens only work with the client certificate

    @property
    def institution_name(self) -> str:
        return data.INSTITUTIONS[self.institution_id]


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)


class TellerBackend(TellerChanges):
    """All state of one emulator: thread-safe, since tests call it while the server thread serves."""

    def __init__(
        self, *, today: Callable[[], dt.date] = dt.date.today, clock: Callable[[], float] = time.time
    ) -> None:
        self._today = today
        self._lock = threading.RLock()
        self.faults = Faults()
        self.webhooks = TellerWebhooks(clock=clock)
        self.base_url = "https://api.teller.io"  # for the links in webhook payloads; the server sets its own
        self.enrollments: dict[str, Enrollment] = {}
        self.tokens: dict[str, str] = {}  # access token -> enrollment id
        self.requests: list[RequestRecord] = []
        self._generated: dict[tuple[str, dt.date], tuple[list[data.Row], Decimal, Decimal]] = {}

    def reset(self) -> None:
        """Forget every enrollment, token, recorded request, fault and webhook setting."""
        with self._lock:
            self.enrollments.clear()
            self.tokens.clear()
            self.requests.clear()
            self._generated.clear()
            self.faults.clear()
            self.webhooks.clear()
            self.forget_changes()

    # --- enrollment (what Teller Connect does) ---------------------------------------------------

    def enroll(
        self,
        username: str = "username",
        password: str = SANDBOX_PASSWORD,
        *,
        institution: str = "security_cu",
        accounts: int = 3,
        seed: str | None = None,
        environment: str = "sandbox",
    ) -> dict[str, Any]:
        """Log in as a sandbox user; returns Connect's ``onSuccess`` payload (accessToken, enrollment, user).

        ``disconnected`` or a reason (``mfa_required``, ``account_locked``, ...) as username enrolls,
        then data requests fail as that disconnection until `reconnect`. ``environment``
        ``development`` / ``production`` gives a token (``token_...``) whose requests need the client
        certificate: without one they answer 400 ``Missing certificate``, as Teller does; sandbox
        tokens (``test_token_...``) need none.
        """
        if environment not in ENVIRONMENTS:
            raise EnrollmentError(f"environment must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")
        if password != SANDBOX_PASSWORD:
            raise EnrollmentError("invalid credentials: the sandbox password is always 'password'")
        if institution not in data.INSTITUTIONS:
            raise EnrollmentError(f"unknown institution {institution!r}; known: {', '.join(data.INSTITUTIONS)}")
        if not 1 <= accounts <= 50:
            raise EnrollmentError("accounts must be between 1 and 50")
        with self._lock:
            seed = seed or secrets.token_hex(8)
            enrollment_id = data.teller_id("enr", seed)
            created = []
            for i in range(accounts):
                template = data.TEMPLATES[i % len(data.TEMPLATES)]
                suffix = f" {i // len(data.TEMPLATES) + 1}" if i >= len(data.TEMPLATES) else ""
                account_id = data.teller_id("acc", seed, i)
                last_four = str(int(data.teller_id("x", seed, i, "n").encode().hex(), 16) % 10000).zfill(4)
                created.append(Account(account_id, enrollment_id, template, template.name + suffix, last_four))
            enrollment = Enrollment(
                enrollment_id, data.teller_id("usr", seed), seed, institution, created,
                disconnected=DISCONNECT_REASONS.get(username.split(".")[-1]), environment=environment,
            )
            self.enrollments[enrollment_id] = enrollment
            token = ("test_token_" if environment == "sandbox" else "token_") + secrets.token_hex(8)
            self.tokens[token] = enrollment_id
        return {
            "accessToken": token,
            "user": {"id": enrollment.user_id},
            "enrollment": {"id": enrollment_id, "institution": {"name": enrollment.institution_name}},
            "signatures": [],
        }

    def disconnect(self, enrollment_id: str, reason: str = "disconnected") -> SentWebhook | None:
        """Make an enrollment disconnected (``reason`` as in the sandbox usernames, e.g. ``mfa_required``).

        When that changes its state, sends ``enrollment.disconnected`` (if a webhook URL is set)
        with the reason as Teller's payload writes it: ``disconnected.user_action.mfa_required``.
        """
        if reason not in DISCONNECT_REASONS:
            raise ValueError(f"unknown disconnect reason {reason!r}; known: {', '.join(DISCONNECT_REASONS)}")
        code = DISCONNECT_REASONS[reason]
        with self._lock:
            enrollment = self.enrollments[enrollment_id]
            changed, enrollment.disconnected = enrollment.disconnected != code, code
        if not changed:
            return None
        payload = {"enrollment_id": enrollment_id, "reason": code.removeprefix("enrollment.")}
        return self.webhooks.send("enrollment.disconnected", payload)

    def reconnect(self, enrollment_id: str) -> None:
        """Repair an enrollment (what Connect in update mode does); the token keeps working."""
        with self._lock:
            self.enrollments[enrollment_id].disconnected = None

    def close_account(self, account_id: str) -> None:
        """Mark an account closed: it stays listed, its sub-resources answer 410 ``account.closed``."""
        with self._lock:
            for enrollment in self.enrollments.values():
                for account in enrollment.accounts:
                    if account.id == account_id:
                        account.status = "closed"
                        return
        raise KeyError(account_id)

    # --- other webhook events ------------------------------------------------------------------

    def process_transactions(self, enrollment_id: str, *, days: int = 2) -> SentWebhook | None:
        """Send ``transactions.processed`` with the enrollment's transactions of the last ``days`` days.

        What Teller sends after a poll found and categorised new transactions; the payload holds
        Transaction objects shaped as ``GET /accounts/{id}/transactions`` answers them.
        """
        if days < 1:
            raise ValueError("days must be at least 1")
        with self._lock:
            enrollment = self.enrollments[enrollment_id]
            if enrollment.disconnected:
                raise EnrollmentError(f"enrollment {enrollment_id} is disconnected: reconnect it first")
            accounts = [a for a in enrollment.accounts if a.status == "open"]
        since = self._today() - dt.timedelta(days=days - 1)
        transactions = [
            transaction_json(self.base_url, account, row)
            for account in accounts
            for row in self._rows(account)[0]
            if row.date >= since
        ]
        payload = {"enrollment_id": enrollment_id, "transactions": transactions}
        return self.webhooks.send("transactions.processed", payload)

    def complete_number_verification(self, account_id: str, status: str = "completed") -> SentWebhook | None:
        """Send ``account.number_verification.processed`` for a depository account (``completed``/``expired``)."""
        if status not in ("completed", "expired"):
            raise ValueError("status must be 'completed' or 'expired'")
        with self._lock:
            account = next((a for e in self.enrollments.values() for a in e.accounts if a.id == account_id), None)
        if account is None:
            raise KeyError(account_id)
        if account.template.type != "depository":
            raise ValueError(f"account {account_id} is a {account.template.type} account: only depository ones verify")
        payload = {"enrollment_id": account.enrollment_id, "account_id": account_id, "status": status}
        return self.webhooks.send("account.number_verification.processed", payload)

    def send_test_webhook(self) -> SentWebhook | None:
        """Send ``webhook.test`` with an empty payload (the dashboard's test button)."""
        return self.webhooks.send("webhook.test", {})

    # --- lookups ---------------------------------------------------------------------------------

    def find_enrollment(self, token: str | None) -> Enrollment | None:
        """The enrollment of an access token, or None (no error)."""
        with self._lock:
            enrollment_id = self.tokens.get(token) if token else None
            return self.enrollments.get(enrollment_id) if enrollment_id else None

    def enrollment_for(self, token: str | None) -> Enrollment:
        """The enrollment of an access token (401 without one, 403 for an unknown or revoked one)."""
        if not token:
            raise TellerAPIError(401)
        with self._lock:
            enrollment_id = self.tokens.get(token)
            enrollment = self.enrollments.get(enrollment_id) if enrollment_id else None
        if enrollment is None:
            raise TellerAPIError(403)
        return enrollment

    @staticmethod
    def _live(enrollment: Enrollment) -> None:
        # Data fetched live from the bank fails while disconnected; the account list is Teller's own record.
        if enrollment.disconnected:
            raise TellerAPIError(404, enrollment.disconnected, DISCONNECT_MESSAGES[enrollment.disconnected])

    def accounts(self, token: str | None) -> list[Account]:
        return list(self.enrollment_for(token).accounts)

    def account(self, token: str | None, account_id: str, *, live: bool = False) -> Account:
        enrollment = self.enrollment_for(token)
        for account in enrollment.accounts:
            if account.id == account_id:
                if live:
                    self._live(enrollment)
                    if account.status == "closed":
                        raise TellerAPIError(410, "account.closed", "The account is closed.")
                return account
        raise TellerAPIError(404, "not_found", "The requested account was not found.")

    def _rows(self, account: Account) -> tuple[list[data.Row], Decimal, Decimal]:
        """(rows newest first, ledger, pending total): the seeded data with the tests' changes (`changes.py`)."""
        return self.apply_changes(account, *self._seeded_rows(account))

    def _seeded_rows(self, account: Account) -> tuple[list[data.Row], Decimal, Decimal]:
        today = self._today()
        key = (account.id, today)
        with self._lock:
            cached = self._generated.get(key)
            if cached is None:
                cached = data.generate(account.id, account.template, today)
                self._generated[key] = cached
        return cached

    def balances(self, token: str | None, account_id: str) -> tuple[Account, Decimal, Decimal]:
        """(account, ledger, available) with Teller's meaning for the account type."""
        account = self.account(token, account_id, live=True)
        _, ledger, pending = self._rows(account)
        if account.template.type == "credit":
            return account, ledger, data.CREDIT_LIMIT - ledger - pending
        return account, ledger, ledger + pending

    def transactions(
        self,
        token: str | None,
        account_id: str,
        *,
        count: int | None = None,
        from_id: str | None = None,
        start_date: dt.date | None = None,
        end_date: dt.date | None = None,
    ) -> tuple[Account, list[data.Row]]:
        """Newest first; ``from_id`` returns rows older than that one (an id not among the account's rows
        in the date range: 404 ``not_found``); then at most ``count``. ``start_date`` after ``end_date``:
        400 ``bad_request`` (our choice; Teller doesn't document it)."""
        account = self.account(token, account_id, live=True)
        rows, _, _ = self._rows(account)
        if start_date is not None and end_date is not None and start_date > end_date:
            raise TellerAPIError(400, "bad_request", "start_date must not be after end_date.")
        if start_date is not None or end_date is not None:
            lo, hi = start_date or dt.date.min, end_date or dt.date.max
            rows = [r for r in rows if lo <= r.date <= hi]
        if from_id is not None:
            index = next((i for i, r in enumerate(rows) if r.id == from_id), None)
            if index is None:
                raise TellerAPIError(404, "not_found", "The transaction given as from_id was not found.")
            rows = rows[index + 1 :]
        if count is not None:
            rows = rows[:count]
        return account, rows

    def transaction(self, token: str | None, account_id: str, transaction_id: str) -> tuple[Account, data.Row]:
        account, rows = self.transactions(token, account_id)
        for row in rows:
            if row.id == transaction_id:
                return account, row
        raise TellerAPIError(404, "not_found", "The requested transaction was not found.")

    def details(self, token: str | None, account_id: str) -> tuple[Account, str, str]:
        """(account, account number, ACH routing number); credit cards have none (404, as recorded)."""
        account = self.account(token, account_id, live=True)
        if account.template.type != "depository":
            raise TellerAPIError(404, "not_found", DETAILS_MISSING)
        digits = str(int(data.teller_id("n", account.id).encode().hex(), 16))[-8:]
        return account, digits + account.last_four, "021000021"

    def identity(self, token: str | None) -> tuple[Enrollment, data.Person]:
        enrollment = self.enrollment_for(token)
        self._live(enrollment)
        return enrollment, data.person(enrollment.seed)

    def remove(self, token: str | None, account_id: str | None = None) -> None:
        """``DELETE /accounts`` (the enrollment: its tokens stop working) or one account."""
        enrollment = self.enrollment_for(token)
        with self._lock:
            if account_id is None:
                self.enrollments.pop(enrollment.id, None)
                for t in [t for t, e in self.tokens.items() if e == enrollment.id]:
                    del self.tokens[t]
                return
            self.account(token, account_id)
            enrollment.accounts = [a for a in enrollment.accounts if a.id != account_id]

    def record(self, method: str, path: str, query: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(RequestRecord(method, path, query))
