"""Use fin-infra without FastAPI: connect a sandbox bank and print a month of spending.

python examples/sandbox_script.py
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from fin_infra.banking import easy_banking


async def connect() -> str:
    banking = easy_banking(provider="sandbox")
    public_token = await banking.create_sandbox_public_token()  # what a finished link flow hands back
    exchanged = await banking.exchange_public_token(public_token)
    return exchanged.access_token


def main() -> None:
    token = asyncio.run(connect())
    banking = easy_banking(provider="sandbox")

    for account in banking.accounts(access_token=token):
        print(f"{account.institution_name} {account.name} (...{account.mask}): {account.balance} {account.currency}")

    end = dt.date.today().replace(day=1) - dt.timedelta(days=1)  # last month, always inside the sandbox's window
    start = end.replace(day=1)
    spending: dict[str, Decimal] = defaultdict(Decimal)
    for txn in banking.transactions(access_token=token, start_date=start, end_date=end):
        if txn.amount < 0 and txn.category != "Transfer":
            spending[txn.category or "Uncategorized"] += -txn.amount
    print(f"\n{start:%B %Y} spending by category:")
    for category, total in sorted(spending.items(), key=lambda kv: -kv[1]):
        print(f"  {category:<20} {total:>10}")


if __name__ == "__main__":
    main()
