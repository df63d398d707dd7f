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


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("account_pin_hash", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_subscribers_operator_id_external_id"), ["operator_id", "external_id"]
        )
    op.execute("UPDATE subscribers SET updated_at = created_at")
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("brand", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("commitment_benefit_minor", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_lines_operator_id_external_id"), ["operator_id", "external_id"]
        )
        batch_op.create_index("ix_lines_operator_updated", ["operator_id", "updated_at"])


def downgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_index("ix_lines_operator_updated")
        batch_op.drop_constraint(batch_op.f("uq_lines_operator_id_external_id"), type_="unique")
        batch_op.drop_column("commitment_benefit_minor")
        batch_op.drop_column("brand")
        batch_op.drop_column("external_id")
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_subscribers_operator_id_external_id"), type_="unique"
        )
        batch_op.drop_column("updated_at")
        batch_op.drop_column("account_pin_hash")
        batch_op.drop_column("external_id")
