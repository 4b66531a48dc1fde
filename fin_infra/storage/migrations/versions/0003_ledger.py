"""The ledger: synced transactions, staged changes of running syncs, accounts, cursors, sync runs.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

from fin_infra.storage.ledger_tables import LEDGER_TABLES

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in LEDGER_TABLES:
        table.create(bind)


def downgrade() -> None:
    for table in reversed(LEDGER_TABLES):
        op.drop_table(table.name)
