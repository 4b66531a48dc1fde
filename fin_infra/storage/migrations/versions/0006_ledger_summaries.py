"""The ledger's summaries, kept by each sync's commit from now on and built here for connections synced before:

- the count summary (`fin_infra.storage.ledger_counts`): live transactions per connection, day, pending or
  not, and amount band or category level, so an exact total is a sum of a few hundred rows;
- the merchant keys of each connection (``fin_infra_ledger_merchants``, with a trigram index on PostgreSQL
  when ``pg_trgm`` is there): a ``merchant_name`` search matches the few distinct keys, then reads their
  rows from the merchant index (index-only), instead of checking every row the trigram index of 0005 found
  in the table. That index, now unused, is dropped (every sync's writes maintained it).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import select

from fin_infra.storage.ledger_counts import recount, recount_queries, summary_rows
from fin_infra.storage.ledger_tables import (
    LEDGER_MERCHANTS,
    LEDGER_TRANSACTIONS,
    MERCHANT_KEYS_TRIGRAM_INDEX,
    MERCHANT_TRIGRAM_INDEX,
    ledger_counts,
    ledger_merchants,
    ledger_transactions,
    live_rows,
)
from fin_infra.storage.trigram import trigram_ops

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None
CHUNK = 1000


def upgrade() -> None:
    bind = op.get_bind()
    ledger_counts.create(bind, checkfirst=True)
    ledger_merchants.create(bind, checkfirst=True)
    t = ledger_transactions.c
    connections = bind.execute(select(t.connection_id).distinct()).scalars().all()
    for connection_id in connections:
        by_band, by_category = recount_queries(connection_id)
        rows = summary_rows(connection_id, recount(bind.execute(by_band).all(), bind.execute(by_category).all()))
        for i in range(0, len(rows), CHUNK):
            bind.execute(ledger_counts.insert(), rows[i : i + CHUNK])
    bind.execute(ledger_merchants.insert().from_select(
        ["connection_id", "merchant_key"], select(t.connection_id, t.merchant_key).where(live_rows()).distinct()
    ))
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {MERCHANT_TRIGRAM_INDEX}")
        ops = trigram_ops(bind)
        if ops is not None:
            op.execute(f"CREATE INDEX IF NOT EXISTS {MERCHANT_KEYS_TRIGRAM_INDEX} ON {LEDGER_MERCHANTS} "
                       f"USING gin (merchant_key {ops})")
        op.execute(f"ANALYZE {LEDGER_MERCHANTS}")


def downgrade() -> None:
    op.drop_table(ledger_merchants.name)
    op.drop_table(ledger_counts.name)
    if op.get_bind().dialect.name == "postgresql":
        ops = trigram_ops(op.get_bind())
        if ops is not None:
            op.execute(f"CREATE INDEX IF NOT EXISTS {MERCHANT_TRIGRAM_INDEX} ON {LEDGER_TRANSACTIONS} "
                       f"USING gin (merchant_key {ops}) WHERE removed IS false AND amount IS NOT NULL")
