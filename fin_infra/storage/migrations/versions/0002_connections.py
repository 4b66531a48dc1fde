"""Connections (encrypted provider tokens, one owner each), the audit trail, and balance history
scoped by connection (every existing snapshot kept, with connection_id '').

The audit log is append-only: a trigger refuses UPDATE (retention may DELETE old rows).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

from fin_infra.storage.balance_table import create_or_upgrade
from fin_infra.storage.tables import AUDIT_LOG, BALANCE_HISTORY, audit_log, connections

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    create_or_upgrade(bind, BALANCE_HISTORY)
    connections.create(bind)
    audit_log.create(bind)
    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION fin_infra_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'fin_infra_audit_log is append-only'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {AUDIT_LOG}_no_update BEFORE UPDATE ON {AUDIT_LOG} "
            "FOR EACH ROW EXECUTE FUNCTION fin_infra_audit_append_only()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {AUDIT_LOG}_no_update BEFORE UPDATE ON {AUDIT_LOG} "
            f"BEGIN SELECT RAISE(ABORT, '{AUDIT_LOG} is append-only'); END"
        )


def downgrade() -> None:
    op.drop_table(AUDIT_LOG)
    op.drop_table(connections.name)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS fin_infra_audit_append_only()")
