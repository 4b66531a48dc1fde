"""Transactions, normalised to one sign convention: amount < 0 is money out of the account."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from fin_infra.models._money import Money


class Transaction(BaseModel):
    """One transaction on one account.

    ``amount`` follows one convention for every provider and account type: **negative is money
    out of the account** (a purchase, a card charge), positive is money in (a deposit, a card payment).

    Both the current and the older field names are accepted and readable:

        >>> t = Transaction(transaction_id="txn_1", account_id="acc_1", amount="-4.50",
        ...                 date="2025-01-02", name="Coffee", category=["Food and Drink", "Coffee"],
        ...                 iso_currency_code="USD")
        >>> (t.id, t.description, t.category, t.category_path, t.currency)
        ('txn_1', 'Coffee', 'Food and Drink', ['Food and Drink', 'Coffee'], 'USD')
    """

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    id: str = Field(validation_alias=AliasChoices("id", "transaction_id"))
    account_id: str
    amount: Money = Field(description="negative = money out of the account, positive = money in")
    date: dt.date
    description: str = Field(validation_alias=AliasChoices("description", "name"))
    merchant_name: str | None = None
    category: str | None = Field(default=None, description="top-level category, e.g. 'Food & Drink'")
    category_path: list[str] = Field(
        default_factory=list, description="the provider's category hierarchy, most general first"
    )
    pending: bool = False
    pending_transaction_id: str | None = Field(
        default=None, description="for a posted transaction, the id of the pending one it replaced"
    )
    currency: str = Field(default="USD", validation_alias=AliasChoices("currency", "iso_currency_code"))
    raw: dict[str, Any] | None = Field(
        default=None, exclude=True, repr=False, description="the provider's own payload, unmodelled fields included"
    )

    @model_validator(mode="before")
    @classmethod
    def _category_list(cls, data: Any) -> Any:
        # The older shape carries the category as a list (most general first).
        if isinstance(data, dict):
            category = data.get("category")
            if isinstance(category, (list, tuple)):
                data = dict(data)
                path = [str(c) for c in category]
                data["category"] = path[0] if path else None
                data.setdefault("category_path", path)
            elif isinstance(category, str) and not data.get("category_path"):
                data = dict(data)
                data["category_path"] = [category]
        return data

    @property
    def transaction_id(self) -> str:
        """The transaction id (the older field name)."""
        return self.id

    @property
    def name(self) -> str:
        """The description (the older field name)."""
        return self.description

    @property
    def iso_currency_code(self) -> str:
        """The currency (the older field name)."""
        return self.currency
