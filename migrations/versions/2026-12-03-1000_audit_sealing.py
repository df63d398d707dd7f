"""audit events are linked after commit by one sealer: no request waits on an operator's head

Until now every event locked its operator's `audit_chain_heads` row until the request
committed, so one operator's writes ran one at a time. Now a request writes the event with the
hash of its own content; a trigger queues it in `audit_unsealed`; the sealer links queued events
in commit order into `audit_seals` (seq, previous hash, chain hash) and moves the head.

- `audit_seals` takes `seq`, `prev_hash` and `hash` of every existing event (same values, so the
  chain and its signed checkpoints verify as before) and, like `audit_events`, refuses UPDATE,
  DELETE and TRUNCATE; an INSERT must link to the seal before it (or be seq 1 on the genesis
  hash) and name an event of the same operator.
- `audit_events` loses those three columns and gains `content_hash` (NULL for the events written
  before this revision: their chain hash covers their content).
- `audit_chain_heads` may now move forward by many links at once, onto an existing seal.

Downgrading needs every event sealed (`simexit audit seal`): the old columns are NOT NULL.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
EVENTS_MESSAGE = "audit_events is append-only"
SEALS_MESSAGE = "audit_seals only takes the link that follows the last one"
HEADS_MESSAGE = "audit_chain_heads only advances to the event appended after it"
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Spelled out: the genesis hash is 64 zeros (`audit.chain.GENESIS`).
_SEAL_LINKS = (
    "EXISTS (SELECT 1 FROM audit_events e WHERE e.id = NEW.event_id "
    "AND e.operator_id = NEW.operator_id) AND ((NEW.seq = 1 AND NEW.prev_hash = "
    "'0000000000000000000000000000000000000000000000000000000000000000') "
    "OR EXISTS (SELECT 1 FROM audit_seals p WHERE p.operator_id = NEW.operator_id "
    "AND p.seq = NEW.seq - 1 AND p.hash = NEW.prev_hash))"
)
_HEAD_ADVANCES = (
    "NEW.operator_id = OLD.operator_id AND NEW.seq > OLD.seq AND EXISTS ("
    "SELECT 1 FROM audit_seals s WHERE s.operator_id = NEW.operator_id AND s.seq = NEW.seq "
    "AND s.hash = NEW.hash)"
)
_OLD_HEAD_ADVANCES = (
    "NEW.operator_id = OLD.operator_id AND NEW.seq = OLD.seq + 1 AND EXISTS ("
    "SELECT 1 FROM audit_events e WHERE e.operator_id = NEW.operator_id AND e.seq = NEW.seq "
    "AND e.hash = NEW.hash AND e.prev_hash = OLD.hash)"
)
_HEAD_STARTS = f"NEW.seq = 0 AND NEW.hash = '{GENESIS}'"


def upgrade() -> None:
    op.create_table(
        "audit_seals",
        sa.Column("event_id", _ID, autoincrement=False, nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_audit_seals_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_audit_seals")),
        sa.UniqueConstraint("operator_id", "seq", name=op.f("uq_audit_seals_operator_id_seq")),
    )
    op.create_table(
        "audit_unsealed",
        sa.Column("event_id", _ID, autoincrement=False, nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_audit_unsealed_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_audit_unsealed")),
    )
    op.create_index("ix_audit_unsealed_operator", "audit_unsealed", ["operator_id", "event_id"])
    op.execute(
        "INSERT INTO audit_seals (event_id, operator_id, seq, prev_hash, hash) "
        "SELECT id, operator_id, seq, prev_hash, hash FROM audit_events"
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgresql_upgrade()


def _postgresql_upgrade() -> None:
    op.execute(
        "CREATE OR REPLACE FUNCTION audit_chain_heads_only_advance() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' AND {_HEAD_STARTS} THEN RETURN NEW; END IF; "
        f"IF TG_OP = 'UPDATE' AND {_HEAD_ADVANCES} THEN RETURN NEW; END IF; "
        f"RAISE EXCEPTION '{HEADS_MESSAGE}'; END $$"
    )
    op.drop_constraint("uq_audit_events_operator_id_seq", "audit_events", type_="unique")
    for column in ("seq", "prev_hash", "hash"):
        op.drop_column("audit_events", column)
    op.add_column("audit_events", sa.Column("content_hash", sa.String(length=64)))
    op.execute(
        "CREATE FUNCTION audit_events_queue_for_sealing() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN INSERT INTO audit_unsealed (event_id, operator_id) "
        "VALUES (NEW.id, NEW.operator_id); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_events_queue_for_sealing AFTER INSERT ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_queue_for_sealing()"
    )
    op.execute(
        "CREATE FUNCTION audit_seals_only_link() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' AND {_SEAL_LINKS} THEN RETURN NEW; END IF; "
        f"RAISE EXCEPTION '{SEALS_MESSAGE}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_seals_only_link BEFORE INSERT OR UPDATE OR DELETE ON audit_seals "
        "FOR EACH ROW EXECUTE FUNCTION audit_seals_only_link()"
    )
    op.execute(
        "CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals FOR EACH STATEMENT "
        "WHEN (current_setting('simexit.allow_audit_truncate', true) IS DISTINCT FROM 'on') "
        "EXECUTE FUNCTION audit_chain_heads_refuse_truncate()"
    )


def _sqlite_triggers_on_events() -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
            f"BEGIN SELECT RAISE(ABORT, '{EVENTS_MESSAGE}'); END"
        )


def _sqlite_head_trigger(rule: str) -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_chain_heads_advance")
    op.execute(
        "CREATE TRIGGER audit_chain_heads_advance BEFORE UPDATE ON audit_chain_heads "
        f"WHEN NOT ({rule}) BEGIN SELECT RAISE(ABORT, '{HEADS_MESSAGE}'); END"
    )


def _sqlite_upgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    op.execute("DROP TRIGGER IF EXISTS audit_chain_heads_advance")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint("uq_audit_events_operator_id_seq", type_="unique")
        for column in ("seq", "prev_hash", "hash"):
            batch.drop_column(column)
        batch.add_column(sa.Column("content_hash", sa.String(length=64)))
    _sqlite_triggers_on_events()
    _sqlite_head_trigger(_HEAD_ADVANCES)
    op.execute(
        "CREATE TRIGGER audit_events_queue_for_sealing AFTER INSERT ON audit_events "
        "BEGIN INSERT INTO audit_unsealed (event_id, operator_id) "
        "VALUES (NEW.id, NEW.operator_id); END"
    )
    op.execute(
        "CREATE TRIGGER audit_seals_only_link BEFORE INSERT ON audit_seals "
        f"WHEN NOT ({_SEAL_LINKS}) BEGIN SELECT RAISE(ABORT, '{SEALS_MESSAGE}'); END"
    )
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_seals_no_{verb.lower()} BEFORE {verb} ON audit_seals "
            f"BEGIN SELECT RAISE(ABORT, '{SEALS_MESSAGE}'); END"
        )


def downgrade() -> None:
    unsealed = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_unsealed")).scalar_one()
    if unsealed:
        raise RuntimeError(
            f"{unsealed} audit events are not sealed yet: run `simexit audit seal` first"
        )
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for trigger in (
            "audit_events_queue_for_sealing",
            "audit_seals_only_link",
            "audit_seals_no_update",
            "audit_seals_no_delete",
            "audit_events_no_update",
            "audit_events_no_delete",
            "audit_chain_heads_advance",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_queue_for_sealing ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_queue_for_sealing()")
        op.execute("DROP TRIGGER IF EXISTS audit_seals_no_truncate ON audit_seals")
        op.execute("DROP TRIGGER IF EXISTS audit_seals_only_link ON audit_seals")
        op.execute("DROP FUNCTION IF EXISTS audit_seals_only_link()")
        # Restoring the columns writes every event; the guard comes back once they are filled.
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
    for column in ("seq", "prev_hash", "hash"):
        op.add_column(
            "audit_events",
            sa.Column(column, sa.Integer() if column == "seq" else sa.String(length=64)),
        )
    op.execute(
        "UPDATE audit_events SET "
        "seq = (SELECT s.seq FROM audit_seals s WHERE s.event_id = audit_events.id), "
        "prev_hash = (SELECT s.prev_hash FROM audit_seals s WHERE s.event_id = audit_events.id), "
        "hash = (SELECT s.hash FROM audit_seals s WHERE s.event_id = audit_events.id)"
    )
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("content_hash")
        for column in ("seq", "prev_hash", "hash"):
            batch.alter_column(column, nullable=False)
        batch.create_unique_constraint("uq_audit_events_operator_id_seq", ["operator_id", "seq"])
    if sqlite:
        _sqlite_triggers_on_events()
        _sqlite_head_trigger(_OLD_HEAD_ADVANCES)
    else:
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_chain_heads_only_advance() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'INSERT' AND {_HEAD_STARTS} THEN RETURN NEW; END IF; "
            f"IF TG_OP = 'UPDATE' AND {_OLD_HEAD_ADVANCES} THEN RETURN NEW; END IF; "
            f"RAISE EXCEPTION '{HEADS_MESSAGE}'; END $$"
        )
    op.drop_index("ix_audit_unsealed_operator", table_name="audit_unsealed")
    op.drop_table("audit_unsealed")
    op.drop_table("audit_seals")
