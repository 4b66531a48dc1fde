"""The ledger's query indexes: one partial index of the live rows per sort key (date, |amount|, merchant), each
carrying the columns the filters read (PostgreSQL ``INCLUDE``), replacing 0003's three plain ones; on
PostgreSQL also a trigram index of the merchant key (``pg_trgm``) for ``merchant_name`` substring searches.
A filtered, sorted page and its total become index-only scans; only the page's own rows are read from the table.

``pg_trgm`` is created in ``public`` when missing (a trusted extension: the database owner may create it); when
it can't be, the trigram index is left out and merchant searches scan the date index instead (same answers).
Built with plain ``CREATE INDEX`` (writes to the ledger wait while it runs: seconds per million rows). A
database created at 0003 by this version already has the partial indexes (0003 creates the tables as
declared): every step is skipped when already done.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

from fin_infra.storage.ledger_tables import LEDGER_TRANSACTIONS, MERCHANT_TRIGRAM_INDEX, OBSOLETE_INDEXES, QUERY_INDEXES
from fin_infra.storage.trigram import trigram_ops

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for name in OBSOLETE_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for index in QUERY_INDEXES:
        index.create(bind, checkfirst=True)
    if bind.dialect.name == "postgresql":
        ops = trigram_ops(bind)
        if ops is not None:
            op.execute(
                f"CREATE INDEX IF NOT EXISTS {MERCHANT_TRIGRAM_INDEX} ON {LEDGER_TRANSACTIONS} "
                f"USING gin (merchant_key {ops}) WHERE removed IS false AND amount IS NOT NULL"
            )
        op.execute(f"ANALYZE {LEDGER_TRANSACTIONS}")


def downgrade() -> None:
    for name in (MERCHANT_TRIGRAM_INDEX, *(index.name for index in QUERY_INDEXES)):
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for name, column in zip(OBSOLETE_INDEXES, ("date", "size_key", "merchant_key"), strict=True):
        op.execute(f"CREATE INDEX {name} ON {LEDGER_TRANSACTIONS} (connection_id, removed, {column})")
