"""provisioning: the operator's own ids (external_id) on subscribers and lines, an argon2
account PIN, the commitment benefit and brand a line could not hold, and an index for
incremental sync by updated_at

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 12:00:00

`subscribers.updated_at` starts as `created_at` for existing rows, so `updated_since` lists
them as of when they were made.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Columns are added and the keys made as unique indexes, so that on SQLite neither direction
# rebuilds `subscribers` or `lines` (rows of other tables reference them): ADD COLUMN,
# CREATE INDEX and (SQLite 3.35+) DROP COLUMN work in place.
NEW_SUBSCRIBER_COLUMNS = ("external_id", "account_pin_hash", "updated_at")
NEW_LINE_COLUMNS = ("external_id", "brand", "commitment_benefit_minor")


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("account_pin_hash", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_subscribers_operator_id_external_id",
        "subscribers",
        ["operator_id", "external_id"],
        unique=True,
    )
    op.execute("UPDATE subscribers SET updated_at = created_at")
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("brand", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("commitment_benefit_minor", sa.Integer(), nullable=True))
    op.create_index(
        "uq_lines_operator_id_external_id", "lines", ["operator_id", "external_id"], unique=True
    )
    op.create_index("ix_lines_operator_updated", "lines", ["operator_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_lines_operator_updated", table_name="lines")
    op.drop_index("uq_lines_operator_id_external_id", table_name="lines")
    op.drop_index("uq_subscribers_operator_id_external_id", table_name="subscribers")
    for table, columns in (("lines", NEW_LINE_COLUMNS), ("subscribers", NEW_SUBSCRIBER_COLUMNS)):
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
