"""TM Forum product orders (TMF622), their cases and cancellation requests, TMF681 messages

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tmf_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("reseller_id", sa.Uuid(), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("notified_state", sa.String(length=30), nullable=True),
        sa.Column("order_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_completion_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancellation_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("document", JSON, nullable=False),
        sa.Column("items", JSON, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_tmf_orders_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["resellers.id"], name=op.f("fk_tmf_orders_reseller_id_resellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tmf_orders")),
    )
    with op.batch_alter_table("tmf_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tmf_orders_operator_order_date", ["operator_id", "order_date", "id"], unique=False
        )
        batch_op.create_index(
            "ix_tmf_orders_operator_external_id", ["operator_id", "external_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tmf_orders_reseller_id"), ["reseller_id"], unique=False
        )
    op.create_table(
        "tmf_order_cases",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["tmf_orders.id"], name=op.f("fk_tmf_order_cases_order_id_tmf_orders")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_tmf_order_cases_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("order_id", "case_id", name=op.f("pk_tmf_order_cases")),
    )
    with op.batch_alter_table("tmf_order_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tmf_order_cases_case_id"), ["case_id"], unique=False)
    op.create_table(
        "tmf_order_cancellations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("requested_cancellation_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("effective_cancellation_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_tmf_order_cancellations_operator_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["tmf_orders.id"],
            name=op.f("fk_tmf_order_cancellations_order_id_tmf_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tmf_order_cancellations")),
    )
    with op.batch_alter_table("tmf_order_cancellations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tmf_order_cancellations_operator_id"), ["operator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tmf_order_cancellations_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "tmf_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("reseller_id", sa.Uuid(), nullable=True),
        sa.Column("message_type", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("document", JSON, nullable=False),
        sa.Column("notification_ids", JSON, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_tmf_messages_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["resellers.id"], name=op.f("fk_tmf_messages_reseller_id_resellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tmf_messages")),
    )
    with op.batch_alter_table("tmf_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tmf_messages_operator_created", ["operator_id", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("tmf_messages")
    op.drop_table("tmf_order_cancellations")
    op.drop_table("tmf_order_cases")
    op.drop_table("tmf_orders")
