"""Account owners' identity (PII: handle with care, never log it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Address(BaseModel):
    """A postal address."""

    model_config = ConfigDict(frozen=True)

    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None

    def __str__(self) -> str:
        parts = [self.street, self.city, " ".join(p for p in (self.region, self.postal_code) if p), self.country]
        return ", ".join(p for p in parts if p)


class Owner(BaseModel):
    """One holder of an account. ``name``, ``email``, ``phone``, ``address`` are the primary ones."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address | None = None
    names: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    addresses: list[Address] = Field(default_factory=list)


class Identity(BaseModel):
    """The owners of the accounts an access token can see."""

    model_config = ConfigDict(frozen=True)

    owners: list[Owner]
    account_ids: list[str] = Field(default_factory=list, description="accounts these owners hold")
