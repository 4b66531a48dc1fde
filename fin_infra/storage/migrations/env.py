"""Alembic environment of fin-infra's own migrations: always run on a connection handed in by
`fin_infra.storage.migrate` (no URL in a config file), version kept in fin_infra_alembic_version."""

from __future__ import annotations

from alembic import context

from fin_infra.storage.tables import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "fin-infra's migrations run through `python -m fin_infra db upgrade` or "
        "fin_infra.storage.run_migrations(connection), not the alembic command line"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
