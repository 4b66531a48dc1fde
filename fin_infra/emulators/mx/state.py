"""The emulator's records: users, members, accounts, jobs, widget sessions, recorded requests.

`models.MXBackend` holds and changes them; `responses` dresses them as MX's JSON.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from fin_infra.emulators.mx import data


@dataclass
class User:
    guid: str
    id: str | None
    email: str | None = None
    metadata: str | None = None
    is_disabled: bool = False


@dataclass
class Account:
    guid: str
    member_guid: str
    user_guid: str
    template: data.AccountTemplate
    name: str
    number: str
    created_at: dt.datetime
    balance: Decimal | None = None  # cached: the bank's balance at the last aggregation / check_balance
    available: Decimal | None = None
    updated_at: dt.datetime | None = None
    is_closed: bool = False


@dataclass
class Job:
    type: str
    done_at: float


@dataclass
class Member:
    guid: str
    user_guid: str
    institution_code: str
    seed: str
    password: str
    created_at: dt.datetime
    id: str | None = None
    metadata: str | None = None
    connection_status: str = "CREATED"
    challenge_type: str | None = None
    accounts: list[Account] = field(default_factory=list)
    job: Job | None = None
    aggregated_at: dt.datetime | None = None
    successfully_aggregated_at: dt.datetime | None = None
    identified: bool = False
    verified: bool = False

    @property
    def institution(self) -> data.Institution:
        return data.INSTITUTIONS[self.institution_code]

    @property
    def is_being_aggregated(self) -> bool:
        return self.job is not None

    @property
    def message(self) -> str:
        return data.CONNECTION_STATUSES[self.connection_status][1].replace("MX Bank", self.institution.name)


@dataclass
class WidgetSession:
    token: str
    user_guid: str
    current_member_guid: str | None
    include_identity: bool
    expires_at: float
    used: bool = False


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
