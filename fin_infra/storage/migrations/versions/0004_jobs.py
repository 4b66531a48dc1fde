"""The job engine's schema (Procrastinate's tables, in fin-infra's schema): PostgreSQL with the ``jobs``
extra installed only; a no-op elsewhere (see `fin_infra.storage.jobs_schema`).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

from fin_infra.storage.jobs_schema import apply_jobs_schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_jobs_schema(op.get_bind())


def downgrade() -> None:
    pass  # the queue's history is the engine's: leave it (drop the procrastinate_* objects by hand if wanted)
