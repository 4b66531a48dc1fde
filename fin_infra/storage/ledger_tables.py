"""The ledger's tables (migration 0003; its query indexes: 0005), in the same `MetaData` as the rest of
fin-infra's storage.

    fin_infra_ledger_transactions  one row per (connection, provider transaction id): our normalised fields,
                                   the provider's raw payload, ``removed`` (kept, never shown); a tombstone of
                                   an id known only as removed has no amount
    fin_infra_ledger_staged        a running sync's changes, invisible until its commit (then deleted)
    fin_infra_ledger_accounts      each connection's accounts with the balances of the last sync
    fin_infra_ledger_state         per connection: the cursor saved with the rows of the last completed run
    fin_infra_sync_runs            every run: start, end, outcome, counts, provider error code, progress
    fin_infra_ledger_counts        live transactions counted per connection, day and amount band or category
                                   (migration 0006): exact totals without counting every row
    fin_infra_ledger_merchants     the merchant keys of each connection's rows (0006): what a search scans
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Date,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    and_,
)

from fin_infra.storage.tables import CONNECTION_ID_LENGTH, metadata
from fin_infra.storage.types import ExactDecimal, UTCDateTime

LEDGER_TRANSACTIONS = "fin_infra_ledger_transactions"
LEDGER_STAGED = "fin_infra_ledger_staged"
LEDGER_ACCOUNTS = "fin_infra_ledger_accounts"
LEDGER_STATE = "fin_infra_ledger_state"
LEDGER_COUNTS = "fin_infra_ledger_counts"
LEDGER_MERCHANTS = "fin_infra_ledger_merchants"
SYNC_RUNS = "fin_infra_sync_runs"
StagedId = BigInteger().with_variant(Integer(), "sqlite")


def _bytewise(length: int | None = None) -> String | Text:
    """Text compared byte-wise (Python's code-point order for UTF-8): SQLite's default, ``"C"`` on PostgreSQL,
    so ``ORDER BY`` matches the in-memory sort and plain indexes serve it."""
    base: String | Text = String(length) if length else Text()
    variant: String | Text = String(length, collation="C") if length else Text(collation="C")
    return base.with_variant(variant, "postgresql")

ledger_transactions = Table(
    LEDGER_TRANSACTIONS,
    metadata,
    Column("connection_id", _bytewise(CONNECTION_ID_LENGTH), nullable=False),
    Column("id", _bytewise(256), nullable=False),
    Column("account_id", String(256), nullable=False),
    Column("amount", ExactDecimal()),  # our sign: negative = money out; NULL for a tombstone
    Column("date", Date),
    Column("description", Text),
    Column("merchant_name", String(512)),
    Column("category", String(256)),
    Column("category_path", Text),  # JSON list
    Column("pending", Boolean, nullable=False, server_default="0"),
    Column("pending_transaction_id", String(256)),
    Column("currency", String(16)),
    Column("raw", Text),  # the provider's payload, JSON
    Column("removed", Boolean, nullable=False, server_default="0"),
    Column("replaced_by", String(256)),
    Column("updated_at", UTCDateTime(), nullable=False),
    # Query keys, computed on write so SQL answers exactly as the in-memory query layer (banking.query):
    Column("merchant_key", _bytewise()),  # casefolded merchant name, else description
    Column("size_key", _bytewise(40)),  # |amount| as fixed-width text: text order = numeric order
    Column("category_keys", Text),  # "\x1f" + each category level + "\x1f": exact-match lookups
    PrimaryKeyConstraint("connection_id", "id", name=f"pk_{LEDGER_TRANSACTIONS}"),
    Index(f"ix_{LEDGER_TRANSACTIONS}_account_date", "connection_id", "account_id", "date"),
)


def live_rows() -> ColumnElement[bool]:
    """The rows every query reads (not removed, not a tombstone): the predicate of the query indexes, written
    exactly as `LedgerQueries` writes it so the planners can prove a query's rows are in the index."""
    t = ledger_transactions.c
    return and_(t.removed.is_(False), t.amount.is_not(None))


def _query_index(name: str, sort_key: str) -> Index:
    """A partial index of the live rows in ``sort_key`` order (ties by id), carrying every column the filters
    read (PostgreSQL ``INCLUDE``): a filtered, sorted page and its count are index-only scans, and only the
    page's own rows are read from the table (`LedgerQueries`, migration 0005). SQLite has no ``INCLUDE``."""
    t = ledger_transactions.c
    carried = [c for c in QUERY_COLUMNS if c != sort_key]
    return Index(
        f"ix_{LEDGER_TRANSACTIONS}_{name}", t.connection_id, t[sort_key], t.id,
        postgresql_include=carried, postgresql_where=live_rows(), sqlite_where=live_rows(),
    )


QUERY_COLUMNS = ("date", "account_id", "pending", "size_key", "merchant_key", "category_keys")
QUERY_INDEXES = (
    _query_index("live_date", "date"),
    _query_index("live_size", "size_key"),
    _query_index("live_merchant", "merchant_key"),
)
MERCHANT_TRIGRAM_INDEX = f"ix_{LEDGER_TRANSACTIONS}_merchant_trgm"  # 0005 (pg_trgm); dropped by 0006
OBSOLETE_INDEXES = tuple(f"ix_{LEDGER_TRANSACTIONS}_{n}" for n in ("date", "size", "merchant"))  # 0003's, before 0005

ledger_staged = Table(
    LEDGER_STAGED,
    metadata,
    Column("seq", StagedId, primary_key=True, autoincrement=True),
    Column("connection_id", String(CONNECTION_ID_LENGTH), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("payload", Text, nullable=False),  # JSON: {"u": [...transactions], "r": [...removals]}
    Index(f"ix_{LEDGER_STAGED}_run", "connection_id", "run_id", "seq"),
)

ledger_accounts = Table(
    LEDGER_ACCOUNTS,
    metadata,
    Column("connection_id", String(CONNECTION_ID_LENGTH), nullable=False),
    Column("id", String(256), nullable=False),
    Column("data", Text, nullable=False),  # the normalised account, JSON (balances as decimal strings)
    Column("raw", Text),
    Column("updated_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("connection_id", "id", name=f"pk_{LEDGER_ACCOUNTS}"),
)

ledger_state = Table(
    LEDGER_STATE,
    metadata,
    Column("connection_id", String(CONNECTION_ID_LENGTH), primary_key=True),
    Column("cursor", Text),
    Column("last_synced_at", UTCDateTime()),
    Column("sync_requested_at", UTCDateTime()),  # a trigger while a run held the lock: one follow-up run
)

sync_runs = Table(
    SYNC_RUNS,
    metadata,
    Column("id", String(64), primary_key=True),
    Column("connection_id", String(CONNECTION_ID_LENGTH), nullable=False),
    Column("trigger", String(64), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
    Column("outcome", String(32), nullable=False),  # running, ok, error
    Column("added", Integer, nullable=False, server_default="0"),
    Column("modified", Integer, nullable=False, server_default="0"),
    Column("removed", Integer, nullable=False, server_default="0"),
    Column("pages", Integer, nullable=False, server_default="0"),
    Column("rows", Integer, nullable=False, server_default="0"),
    Column("error_code", String(128)),
    Index(f"ix_{SYNC_RUNS}_connection", "connection_id", "started_at"),
)

LEDGER_TABLES = (ledger_transactions, ledger_staged, ledger_accounts, ledger_state, sync_runs)  # migration 0003

ledger_counts = Table(  # migration 0006; what it holds: fin_infra.storage.ledger_counts
    LEDGER_COUNTS,
    metadata,
    Column("connection_id", _bytewise(CONNECTION_ID_LENGTH), nullable=False),
    Column("facet", String(16), nullable=False),  # "size": value = amount band; "category": value = a level
    Column("date", Date, nullable=False),
    Column("value", _bytewise(), nullable=False),
    Column("pending", Boolean, nullable=False),
    Column("n", Integer, nullable=False),  # live transactions counted there
    PrimaryKeyConstraint("connection_id", "facet", "date", "value", "pending", name=f"pk_{LEDGER_COUNTS}"),
)

ledger_merchants = Table(  # migration 0006: a merchant search finds its keys here, then their rows by index
    LEDGER_MERCHANTS,
    metadata,
    Column("connection_id", _bytewise(CONNECTION_ID_LENGTH), nullable=False),
    Column("merchant_key", _bytewise(), nullable=False),  # every merchant_key a live row has (some no longer)
    PrimaryKeyConstraint("connection_id", "merchant_key", name=f"pk_{LEDGER_MERCHANTS}"),
)
MERCHANT_KEYS_TRIGRAM_INDEX = f"ix_{LEDGER_MERCHANTS}_trgm"  # PostgreSQL with pg_trgm: migration 0006
PER_CONNECTION_TABLES = (*LEDGER_TABLES, ledger_counts, ledger_merchants)  # all the ledger keeps of a connection
