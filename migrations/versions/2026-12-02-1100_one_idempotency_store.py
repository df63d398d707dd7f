"""one idempotency store: cases.idempotency_key is no longer unique per operator

Repeats of a POST are answered by `idempotency_keys`, unique per (caller, key) for 24 hours.
The unique (operator_id, idempotency_key) on cases made a second, per-operator and permanent
store: a reseller reusing a key the operator had used on another line was refused with a key it
could not have known about. The column stays, written at opening for tracing only; dropping it
is left to a later contract step, so that processes of the previous release, which still select
and insert it, keep working while a deployment rolls over.

On SQLite the constraint is part of the table, so batch mode rebuilds `cases`; the rows that
reference cases survive because SQLite migrations run with foreign keys checked at the end
(`simexit.migrate.start_up_transaction`), not row by row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 11:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSTRAINT = "uq_cases_operator_id_idempotency_key"


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(CONSTRAINT, type_="unique")


def downgrade() -> None:
    # Keys reused since the upgrade (by two callers, or after 24 hours) would break the old
    # constraint; the oldest case keeps its key and the later ones lose theirs (it was metadata).
    op.execute(
        "UPDATE cases SET idempotency_key = NULL WHERE idempotency_key IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM cases AS earlier WHERE earlier.operator_id = cases.operator_id "
        "AND earlier.idempotency_key = cases.idempotency_key "
        "AND (earlier.created_at < cases.created_at "
        "OR (earlier.created_at = cases.created_at AND earlier.id < cases.id)))"
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_unique_constraint(CONSTRAINT, ["operator_id", "idempotency_key"])
