"""signed audit checkpoints (append-only); chain heads only ever advance

`audit_checkpoints` holds the signed checkpoints of each operator's chain head that were
exported (`audit.checkpoint`); like `audit_events` the database refuses UPDATE, DELETE and
TRUNCATE on it.

`audit_chain_heads` had no guard: rewriting events and then the head made a rewritten chain
look whole. The append path (`audit.repository`) inserts a head at seq 0 with the genesis hash,
then, per event, inserts the event and moves the head to it. So the triggers allow exactly that:
an INSERT at seq 0 with the genesis hash, and an UPDATE to seq + 1 whose (seq, hash) is an event
of the same operator that links to the old head hash. Anything else (seq backwards or sideways,
another hash, another operator, DELETE, TRUNCATE) is refused.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKPOINTS_MESSAGE = "audit_checkpoints is append-only"
HEADS_MESSAGE = "audit_chain_heads only advances to the event appended after it"
GENESIS = "0" * 64
# The only UPDATE the append path makes: one step forward, onto the event just appended.
_ADVANCES = (
    "NEW.operator_id = OLD.operator_id AND NEW.seq = OLD.seq + 1 AND EXISTS ("
    "SELECT 1 FROM audit_events e WHERE e.operator_id = NEW.operator_id AND e.seq = NEW.seq "
    "AND e.hash = NEW.hash AND e.prev_hash = OLD.hash)"
)
_STARTS = f"NEW.seq = 0 AND NEW.hash = '{GENESIS}'"


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_audit_checkpoints_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
        sa.UniqueConstraint(
            "operator_id", "seq", name=op.f("uq_audit_checkpoints_operator_id_seq")
        ),
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers()
    else:
        _postgresql_triggers()


def _sqlite_triggers() -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_checkpoints_no_{verb.lower()} BEFORE {verb} ON "
            f"audit_checkpoints BEGIN SELECT RAISE(ABORT, '{CHECKPOINTS_MESSAGE}'); END"
        )
    op.execute(
        "CREATE TRIGGER audit_chain_heads_start BEFORE INSERT ON audit_chain_heads "
        f"WHEN NOT ({_STARTS}) BEGIN SELECT RAISE(ABORT, '{HEADS_MESSAGE}'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_chain_heads_advance BEFORE UPDATE ON audit_chain_heads "
        f"WHEN NOT ({_ADVANCES}) BEGIN SELECT RAISE(ABORT, '{HEADS_MESSAGE}'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_chain_heads_no_delete BEFORE DELETE ON audit_chain_heads "
        f"BEGIN SELECT RAISE(ABORT, '{HEADS_MESSAGE}'); END"
    )


def _postgresql_triggers() -> None:
    op.execute(
        "CREATE FUNCTION audit_checkpoints_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{CHECKPOINTS_MESSAGE}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON "
        "audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_refuse_change()"
    )
    op.execute(
        "CREATE FUNCTION audit_chain_heads_only_advance() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        f"IF TG_OP = 'INSERT' AND {_STARTS} THEN RETURN NEW; END IF; "
        f"IF TG_OP = 'UPDATE' AND {_ADVANCES} THEN RETURN NEW; END IF; "
        f"RAISE EXCEPTION '{HEADS_MESSAGE}'; "
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_chain_heads_only_advance BEFORE INSERT OR UPDATE OR DELETE ON "
        "audit_chain_heads FOR EACH ROW EXECUTE FUNCTION audit_chain_heads_only_advance()"
    )
    op.execute(
        "CREATE FUNCTION audit_chain_heads_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{HEADS_MESSAGE}'; END $$"
    )
    # TRUNCATE is statement-level; as for audit_events only the migration owner may empty them.
    for table, function in (
        ("audit_checkpoints", "audit_checkpoints_refuse_change"),
        ("audit_chain_heads", "audit_chain_heads_refuse_truncate"),
    ):
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
            "WHEN (current_setting('simexit.allow_audit_truncate', true) IS DISTINCT FROM 'on') "
            f"EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in (
            "audit_checkpoints_no_update",
            "audit_checkpoints_no_delete",
            "audit_chain_heads_start",
            "audit_chain_heads_advance",
            "audit_chain_heads_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_chain_heads_no_truncate ON audit_chain_heads")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_heads_only_advance ON audit_chain_heads")
        op.execute("DROP FUNCTION IF EXISTS audit_chain_heads_only_advance()")
        op.execute("DROP FUNCTION IF EXISTS audit_chain_heads_refuse_truncate()")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_no_truncate ON audit_checkpoints")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON audit_checkpoints")
    op.drop_table("audit_checkpoints")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS audit_checkpoints_refuse_change()")
