"""jobs carry their operator, so the console shows each operator's staff only its own jobs;
a stored idempotent answer keeps its Location

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 15:00:00

Existing jobs get the operator of the case, notification or webhook delivery their payload names;
the platform's scans keep none (no operator's staff sees them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (payload key, table whose row it names)
OWNERS = (
    ("case_id", "cases"),
    ("notification_id", "notifications"),
    ("delivery_id", "webhook_deliveries"),
)


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_location", sa.String(length=500), nullable=True))
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("operator_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_jobs_operator_id", ["operator_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_jobs_operator_id_operators", "operators", ["operator_id"], ["id"]
        )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for key, table in OWNERS:
        if postgresql:
            op.execute(
                f"UPDATE jobs SET operator_id = owner.operator_id FROM {table} AS owner "  # noqa: S608 - names from OWNERS
                f"WHERE jobs.operator_id IS NULL AND jobs.payload ->> '{key}' = owner.id::text"
            )
        else:  # SQLite keeps a UUID as 32 hex digits; the payload has the dashed form
            op.execute(
                f"UPDATE jobs SET operator_id = (SELECT owner.operator_id FROM {table} AS owner "  # noqa: S608 - names from OWNERS
                f"WHERE owner.id = replace(json_extract(jobs.payload, '$.{key}'), '-', '')) "
                f"WHERE operator_id IS NULL AND json_extract(payload, '$.{key}') IS NOT NULL"
            )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint("fk_jobs_operator_id_operators", type_="foreignkey")
        batch_op.drop_index("ix_jobs_operator_id")
        batch_op.drop_column("operator_id")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("response_location")
