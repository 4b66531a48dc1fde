"""Every table fin-infra keeps, in one `MetaData` (what the migrations create, what the stores query).

    balance_history        one snapshot per (connection_id, account_id, date); connection_id '' when unknown
    fin_infra_connections  one row per connected item / enrollment, owned by one app user; token encrypted
    fin_infra_audit_log    append-only: every token decryption and identity read

Names are stable: the ledger (synced transactions, sync runs, cursors) adds its tables next to these,
keyed by ``fin_infra_connections.id``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from fin_infra.storage.types import ExactDecimal, UTCDateTime

BALANCE_HISTORY = "balance_history"
CONNECTIONS = "fin_infra_connections"
AUDIT_LOG = "fin_infra_audit_log"
VERSION_TABLE = "fin_infra_alembic_version"
CONNECTION_ID_LENGTH = 64

metadata = MetaData()
# SQLite has no 64-bit autoincrement: INTEGER PRIMARY KEY is its rowid (64-bit anyway)
AuditId = BigInteger().with_variant(Integer(), "sqlite")


def balance_history_table(name: str = BALANCE_HISTORY, meta: MetaData | None = None) -> Table:
    """The snapshot table called ``name``: key (connection_id, account_id, date), index on date for retention."""
    return Table(
        name,
        meta if meta is not None else MetaData(),
        Column("account_id", String(256), nullable=False),
        Column("date", Date, nullable=False),
        Column("balance", ExactDecimal(), nullable=False),
        Column("currency", String(16), nullable=False),
        Column("connection_id", String(CONNECTION_ID_LENGTH), nullable=False, server_default=""),
        PrimaryKeyConstraint("connection_id", "account_id", "date", name=f"pk_{name}"),
        Index(f"ix_{name}_date", "date"),
    )


balance_history = balance_history_table(BALANCE_HISTORY, metadata)

connections = Table(
    CONNECTIONS,
    metadata,
    Column("id", String(CONNECTION_ID_LENGTH), primary_key=True),
    Column("user_id", String(256), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("item_id", String(256), nullable=False),
    Column("institution_id", String(256)),
    Column("institution_name", String(256)),
    Column("accounts", Text, nullable=False, server_default="[]"),  # JSON: id, name, mask, type, subtype
    Column("token_ciphertext", Text, nullable=False),  # AES-256-GCM, "v1.<key id>.<nonce+ciphertext>"
    Column("key_id", String(64), nullable=False),
    Column("status", String(32), nullable=False, server_default="ok"),
    Column("error_code", String(128)),
    Column("error_message", String(500)),
    Column("status_changed_at", UTCDateTime(), nullable=False),
    Column("last_success_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("provider", "item_id", name=f"uq_{CONNECTIONS}_provider_item"),
    Index(f"ix_{CONNECTIONS}_user", "user_id", "created_at"),
    Index(f"ix_{CONNECTIONS}_key", "key_id"),
)

audit_log = Table(
    AUDIT_LOG,
    metadata,
    Column("id", AuditId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("user_id", String(256), nullable=False),
    Column("connection_id", String(CONNECTION_ID_LENGTH)),  # kept after the connection is deleted
    Column("action", String(64), nullable=False),  # token.decrypt, identity.read, connection.delete, ...
    Column("reason", String(200), nullable=False),  # the route or operation
    Column("outcome", String(64), nullable=False),  # ok, or the error code
    Index(f"ix_{AUDIT_LOG}_user", "user_id", "at"),
    Index(f"ix_{AUDIT_LOG}_connection", "connection_id", "at"),
    Index(f"ix_{AUDIT_LOG}_at", "at"),
)
