"""The MX emulator's state and logic (moto-style): users, members, accounts, jobs, widget sessions.

The HTTP layer (`app.py`) parses requests and dresses results (`responses.py`); everything MX decides
(whose member this is, what a login at MX Bank does, when a job finishes, what balances are cached)
happens here. Thread-safe: tests call it while the server thread serves.

    >>> backend = MXBackend()
    >>> user = backend.create_user("app-user-1")
    >>> member = backend.create_member(user.guid, "mxbank", "mxuser", "password")
    >>> member.connection_status, len(member.accounts)
    ('CONNECTED', 3)

Balances are cached as MX caches them: an account's ``balance`` is what the last aggregation or
``check_balance`` read from the bank; `MXBackend.set_bank_balance` changes the bank's side only.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fin_infra.emulators.faults import Faults
from fin_infra.emulators.mx import data
from fin_infra.emulators.mx.errors import ConnectError, MXAPIError
from fin_infra.emulators.mx.state import Account, Job, Member, RequestRecord, User, WidgetSession
from fin_infra.emulators.mx.webhooks import MXWebhooks

JOB_TYPES = ("aggregate", "check_balance", "identify", "verify", "extend_history")
# job -> the member-data-updated webhook type sent when it finishes (identify: none documented)
JOB_WEBHOOKS = {"aggregate": "AGGREGATION", "check_balance": "BALANCE", "verify": "VERIFICATION",
                "extend_history": "HISTORY"}  # fmt: skip
WIDGET_TTL = 600.0  # widget URLs expire after 10 minutes
_OK = frozenset({"CONNECTED", "RECONNECTED", "UPDATED", "RESUMED", "DEGRADED", "DELAYED"})


class MXBackend:
    """All state of one emulator, and the credentials it accepts (``client_id`` / ``api_key``)."""

    def __init__(
        self,
        *,
        client_id: str = "mx-emulator-client",
        api_key: str | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client_id = client_id
        self.api_key = api_key or secrets.token_hex(20)
        self._today = today
        self._clock = clock
        self._lock = threading.RLock()
        self.faults = Faults()
        self.webhooks = MXWebhooks()
        self.job_seconds = 0.0  # how long a job runs (0: done at the next read)
        self.users: dict[str, User] = {}
        self.members: dict[str, Member] = {}
        self.widgets: dict[str, WidgetSession] = {}
        self.requests: list[RequestRecord] = []
        self._bank: dict[str, tuple[Decimal, Decimal | None]] = {}  # account guid -> set_bank_balance values
        self._generated: dict[tuple[str, dt.date], tuple[list[data.Row], Decimal, Decimal]] = {}

    def reset(self) -> None:
        """Forget every user, member, widget session, recorded request, fault and webhook setting."""
        with self._lock:
            self.users.clear()
            self.members.clear()
            self.widgets.clear()
            self.requests.clear()
            self._bank.clear()
            self._generated.clear()
            self.faults.clear()
            self.webhooks.clear()
            self.job_seconds = 0.0

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(int(self._clock()), dt.UTC)

    def record(self, method: str, path: str, query: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(RequestRecord(method, path, query))

    # --- users ------------------------------------------------------------------------------------

    def create_user(self, user_id: str | None = None, email: str | None = None, metadata: str | None = None) -> User:
        """``POST /users``: 409 when ``user_id`` is taken."""
        with self._lock:
            if user_id is not None and any(u.id == user_id for u in self.users.values()):
                raise MXAPIError(409, f"A user with id {user_id!r} already exists.")
            user = User(data.guid("USR", user_id or secrets.token_hex(8), secrets.token_hex(4)), user_id, email,
                        metadata)  # fmt: skip
            self.users[user.guid] = user
            return user

    def user(self, user_guid: str) -> User:
        with self._lock:
            found = self.users.get(user_guid)
        if found is None:
            raise MXAPIError(404, "The user was not found.")
        return found

    def find_users(self, user_id: str | None = None) -> list[User]:
        with self._lock:
            return [u for u in self.users.values() if user_id is None or u.id == user_id]

    def delete_user(self, user_guid: str) -> None:
        with self._lock:
            self.user(user_guid)
            del self.users[user_guid]
            for guid in [g for g, m in self.members.items() if m.user_guid == user_guid]:
                del self.members[guid]

    # --- members: login, status, jobs ------------------------------------------------------------

    def create_member(
        self,
        user_guid: str,
        institution_code: str,
        username: str,
        password: str,
        *,
        accounts: int = 3,
        seed: str | None = None,
        member_id: str | None = None,
        identify: bool = False,
    ) -> Member:
        """What ``POST /users/{user_guid}/members`` (or the Connect widget) does: log in, then aggregate."""
        if institution_code not in data.INSTITUTIONS:
            raise MXAPIError(404, f"No institution with code {institution_code!r}.")
        if not 1 <= accounts <= 50:
            raise MXAPIError(422, "accounts must be between 1 and 50")
        with self._lock:
            self.user(user_guid)
            seed = seed or secrets.token_hex(8)
            member = Member(data.guid("MBR", user_guid, seed), user_guid, institution_code, seed, password,
                            self.now(), id=member_id)  # fmt: skip
            for i in range(accounts):
                template = data.TEMPLATES[i % len(data.TEMPLATES)]
                suffix = f" {i // len(data.TEMPLATES) + 1}" if i >= len(data.TEMPLATES) else ""
                number = str(int(data.guid("N", seed, i)[2:10], 16) % 10**10).zfill(10)
                member.accounts.append(Account(data.guid("ACT", seed, i), member.guid, user_guid, template,
                                               template.base.name + suffix, number, self.now()))  # fmt: skip
            self.members[member.guid] = member
            self._login(member, username, password)
            if identify:
                member.identified = member.connection_status in _OK
        return member

    def _login(self, member: Member, username: str, password: str) -> None:
        status, challenge = data.login_outcome(username, password)
        member.password = password
        member.challenge_type = challenge
        self._set_status(member, status)
        if status in _OK:
            self._start_job(member, "aggregate")

    def member(self, user_guid: str, member_guid: str) -> Member:
        """The member (its finished jobs applied); 404 for an unknown user or member, or another user's."""
        with self._lock:
            self.user(user_guid)
            found = self.members.get(member_guid)
            if found is None or found.user_guid != user_guid:
                raise MXAPIError(404, "The member was not found.")
            self._settle(found)
            return found

    def members_of(self, user_guid: str) -> list[Member]:
        with self._lock:
            self.user(user_guid)
            found = [m for m in self.members.values() if m.user_guid == user_guid]
            for m in found:
                self._settle(m)
            return found

    def delete_member(self, user_guid: str, member_guid: str) -> None:
        with self._lock:
            self.member(user_guid, member_guid)
            del self.members[member_guid]

    def update_credentials(self, user_guid: str, member_guid: str, username: str, password: str) -> Member:
        """``PUT /users/{u}/members/{m}`` with new credentials: log in again."""
        with self._lock:
            member = self.member(user_guid, member_guid)
            self._login(member, username, password)
            return member

    def resume(self, user_guid: str, member_guid: str, answers: list[str]) -> Member:
        """``PUT .../resume``: answer the challenges; ``correct`` succeeds, anything else -> REJECTED."""
        with self._lock:
            member = self.member(user_guid, member_guid)
            if member.connection_status != "CHALLENGED":
                raise MXAPIError(409, "The member is not challenged.")
            if answers and all(a == data.CORRECT_ANSWER for a in answers):
                member.challenge_type = None
                self._set_status(member, "CONNECTED")
                self._start_job(member, "aggregate")
            else:
                self._set_status(member, "REJECTED")
            return member

    def start_job(self, user_guid: str, member_guid: str, kind: str) -> Member:
        """A refresh job (202): the same type already running is fine, a different one is 409."""
        with self._lock:
            member = self.member(user_guid, member_guid)
            if member.job is not None and member.job.type != kind:
                raise MXAPIError(409, f"A {member.job.type} job is already running for this member.")
            if member.job is None:
                self._start_job(member, kind)
            return member

    def _start_job(self, member: Member, kind: str) -> None:
        member.job = Job(kind, self._clock() + self.job_seconds)

    def _settle(self, member: Member) -> None:
        """Finish the member's job if its time has come (applied lazily, at the next read)."""
        job = member.job
        if job is None or self._clock() < job.done_at:
            return
        member.job = None
        member.aggregated_at = self.now()
        if member.connection_status not in _OK:
            return  # the job could not log in: the member keeps its status
        member.successfully_aggregated_at = self.now()
        if job.type in ("aggregate", "check_balance"):
            for account in member.accounts:
                self._refresh_balance(account)
        elif job.type == "identify":
            member.identified = True
        elif job.type == "verify":
            member.verified = True
        kind = JOB_WEBHOOKS.get(job.type)
        if kind is not None:
            now = self._clock()
            payload: dict[str, Any] = {
                "action": "member_data_updated", "type": kind, "member_guid": member.guid,
                "user_guid": member.user_guid, "user_id": self.users[member.user_guid].id,
                "completed_at": int(now), "completed_on": self.now().date().isoformat(),
            }  # fmt: skip
            if kind == "BALANCE":
                payload["accounts"] = [a.guid for a in member.accounts]
            self.webhooks.send(payload)

    def set_status(self, member_guid: str, status: str) -> None:
        """What happens at the bank (credentials expire, an MFA prompt appears): the member's new status."""
        if status not in data.CONNECTION_STATUSES:
            raise ValueError(f"unknown connection_status {status!r}")
        with self._lock:
            member = self.members[member_guid]
            member.challenge_type = "TEXT" if status == "CHALLENGED" else None
            self._set_status(member, status)

    def _set_status(self, member: Member, status: str) -> None:
        changed = member.connection_status != status
        member.connection_status = status
        if changed and status in data.WEBHOOK_STATUSES:
            self.webhooks.send({
                "action": "CHANGED", "connection_status": status,
                "connection_status_id": data.CONNECTION_STATUSES[status][0],
                "connection_status_message": member.message, "member_guid": member.guid,
                "type": "CONNECTION_STATUS", "user_guid": member.user_guid,
            })  # fmt: skip

    # --- accounts, balances, transactions ----------------------------------------------------------

    def _rows(self, account: Account) -> tuple[list[data.Row], Decimal, Decimal]:
        key = (account.guid, self._today())
        with self._lock:
            cached = self._generated.get(key)
            if cached is None:
                cached = data.transactions(account.guid, account.template, key[1])
                self._generated[key] = cached
        return cached

    def _refresh_balance(self, account: Account) -> None:
        _, ledger, pending = self._rows(account)
        balance, available = self._bank.get(account.guid, (ledger, None))
        if available is None:
            owed = account.template.base.type == "credit"
            available = data.CREDIT_LIMIT - balance - pending if owed else balance + pending
        account.balance, account.available, account.updated_at = balance, available, self.now()

    def set_bank_balance(self, account_guid: str, balance: Decimal, available: Decimal | None = None) -> None:
        """The bank's balance changes; MX's cached one follows at the next aggregation or check_balance."""
        with self._lock:
            self._bank[account_guid] = (Decimal(balance), None if available is None else Decimal(available))

    def accounts(self, user_guid: str, member_guid: str | None = None) -> list[Account]:
        with self._lock:
            members = [self.member(user_guid, member_guid)] if member_guid else self.members_of(user_guid)
            return [a for m in members for a in m.accounts]

    def account(self, user_guid: str, account_guid: str, member_guid: str | None = None) -> Account:
        for account in self.accounts(user_guid, member_guid):
            if account.guid == account_guid:
                return account
        raise MXAPIError(404, "The account was not found.")

    def transactions(
        self,
        user_guid: str,
        *,
        member_guid: str | None = None,
        account_guid: str | None = None,
        from_date: dt.date | None = None,
        to_date: dt.date | None = None,
    ) -> list[tuple[Account, data.Row]]:
        """Rows dated ``from_date``..``to_date`` (MX's defaults: 120 days ago .. 5 days ahead), newest first."""
        today = self._today()
        lo = from_date or today - dt.timedelta(days=120)
        hi = to_date or today + dt.timedelta(days=5)
        if account_guid is not None:
            accounts = [self.account(user_guid, account_guid, member_guid)]
        else:
            accounts = self.accounts(user_guid, member_guid)
        out = [(a, r) for a in accounts if a.balance is not None for r in self._rows(a)[0] if lo <= r.date <= hi]
        out.sort(key=lambda pair: (pair[1].date, pair[1].guid), reverse=True)
        return out

    def owners(self, user_guid: str, member_guid: str) -> list[tuple[Account, data.Owner]]:
        """The account owners; empty until an ``identify`` job has run."""
        member = self.member(user_guid, member_guid)
        if not member.identified:
            return []
        return [(a, data.owner(member.seed)) for a in member.accounts]

    # --- the Connect widget ------------------------------------------------------------------------

    def create_widget(self, user_guid: str, current_member_guid: str | None, include_identity: bool) -> WidgetSession:
        with self._lock:
            self.user(user_guid)
            if current_member_guid is not None:
                self.member(user_guid, current_member_guid)
            session = WidgetSession(secrets.token_urlsafe(24), user_guid, current_member_guid, include_identity,
                                    self._clock() + WIDGET_TTL)  # fmt: skip
            self.widgets[session.token] = session
            return session

    def widget_session(self, widget_token: str) -> WidgetSession | None:
        """The open (unused, unexpired) widget session of ``widget_token``, or None."""
        with self._lock:
            session = self.widgets.get(widget_token)
            if session is None or session.used or session.expires_at < self._clock():
                return None
            return session

    def reopen_widget(self, widget_token: str, member_guid: str) -> None:
        """The widget stays open on ``member_guid`` after a refused login: the user tries again (update mode)."""
        with self._lock:
            session = self.widgets[widget_token]
            session.current_member_guid, session.used = member_guid, False

    def connect(
        self,
        widget_token: str,
        *,
        institution_code: str = "mxbank",
        username: str = data.SANDBOX_USERNAME,
        password: str = "password",  # noqa: S107 - MX Bank's sandbox accepts any password
        answer: str | None = None,
        accounts: int = 3,
        seed: str | None = None,
    ) -> dict[str, Any]:
        """What the end user does in the Connect widget; returns the postMessage event it ends with.

        Connected: ``mx/connect/memberConnected`` with ``{user_guid, member_guid, session_guid}``;
        otherwise ``mx/connect/memberStatusUpdate`` with the member's status. ``answer`` answers a
        challenge. In update mode (``current_member_guid``) the member logs in again with the new password.
        """
        with self._lock:
            session = self.widgets.get(widget_token.rsplit("/", 1)[-1])
            if session is None:
                raise ConnectError("unknown widget URL")
            if session.used or session.expires_at < self._clock():
                raise ConnectError("this widget URL was already used or has expired: request a new one")
            session.used = True
            if session.current_member_guid is not None:
                member = self.member(session.user_guid, session.current_member_guid)
                if member.connection_status == "CHALLENGED" and answer is not None:
                    self.resume(session.user_guid, member.guid, [answer])
                else:
                    self._login(member, username, password)
            else:
                if institution_code not in data.INSTITUTIONS:
                    raise ConnectError(f"unknown institution {institution_code!r}")
                member = self.create_member(session.user_guid, institution_code, username, password,
                                            accounts=accounts, seed=seed)  # fmt: skip
            if member.connection_status == "CHALLENGED" and answer is not None:
                self.resume(session.user_guid, member.guid, [answer])
            if session.include_identity and member.connection_status in _OK:
                member.identified = True
            metadata = {"user_guid": session.user_guid, "member_guid": member.guid,
                        "session_guid": data.guid("SES", session.token)}  # fmt: skip
            if member.connection_status in _OK:
                return {"type": "mx/connect/memberConnected", "metadata": metadata}
            metadata["connection_status"] = member.connection_status
            return {"type": "mx/connect/memberStatusUpdate", "metadata": metadata}
