"""The data models every provider is normalised into. Money is `Decimal`; amount < 0 is money out."""

from fin_infra.models.accounts import BankAccount
from fin_infra.models.balances import Balance, BalanceSnapshot
from fin_infra.models.identity import Address, Identity, Owner
from fin_infra.models.link import LinkToken, TokenExchange
from fin_infra.models.transactions import Transaction

__all__ = [
    "Address",
    "Balance",
    "BalanceSnapshot",
    "BankAccount",
    "Identity",
    "LinkToken",
    "Owner",
    "TokenExchange",
    "Transaction",
]
