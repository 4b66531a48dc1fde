"""Balance history as fin-infra 0.1 created it: key (account_id, date).

A database whose table was made by the 0.1 history store (no version table yet) already has it:
this step then changes nothing, and the next one upgrades it in place.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fin_infra.storage.balance_table import create_shape1
from fin_infra.storage.tables import BALANCE_HISTORY

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if not sa.inspect(bind).has_table(BALANCE_HISTORY):
        create_shape1(bind, BALANCE_HISTORY)


def downgrade() -> None:
    op.drop_table(BALANCE_HISTORY)
