"""erasure on request with the pack's deadline; staff_users loses the lock columns; stored
one-time codes are blanked

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 11:00:00

`staff_users.failed_logins` and `locked_until` have not been read or written since growing
delays replaced the lock (0007). Codes kept by the local sink before messages kept a placeholder
are blanked like sent ones (their codes expired long ago).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("subscriber_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_erasure_requests_operator_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_erasure_requests_subscriber_id_subscribers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_requests")),
    )
    with op.batch_alter_table("erasure_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erasure_requests_operator_id"), ["operator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_erasure_requests_subscriber_id"), ["subscriber_id"], unique=False
        )
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")
    op.execute(
        "UPDATE notifications SET body_text = '[removed after sending]', body_html = NULL, "
        "redacted_at = created_at WHERE kind = 'verification.code' AND transport = 'sink' "
        "AND redacted_at IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("erasure_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasure_requests_subscriber_id"))
        batch_op.drop_index(batch_op.f("ix_erasure_requests_operator_id"))
    op.drop_table("erasure_requests")
