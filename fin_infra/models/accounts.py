"""Bank accounts as every provider's accounts are normalised into."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from fin_infra.models._money import Money


class BankAccount(BaseModel):
    """One account at a financial institution.

    ``balance`` is the current (ledger) balance in ``currency``. For credit accounts it is the
    amount owed, as providers report it.

        >>> BankAccount(id="acc_1", name="Checking", type="depository", subtype="checking",
        ...             balance=5432.10, currency="USD").account_id
        'acc_1'
    """

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    id: str = Field(validation_alias=AliasChoices("id", "account_id"))
    name: str
    official_name: str | None = None
    type: str = Field(description="depository, credit, loan, investment or other")
    subtype: str | None = Field(default=None, description="checking, savings, credit_card, ...")
    mask: str | None = Field(default=None, description="last digits of the account number")
    balance: Money | None = Field(default=None, description="current (ledger) balance")
    available_balance: Money | None = None
    currency: str = Field(default="USD", validation_alias=AliasChoices("currency", "iso_currency_code"))
    institution_id: str | None = None
    institution_name: str | None = None
    raw: dict[str, Any] | None = Field(
        default=None, exclude=True, repr=False, description="the provider's own payload, unmodelled fields included"
    )

    @property
    def account_id(self) -> str:
        """The account id (the older field name)."""
        return self.id
