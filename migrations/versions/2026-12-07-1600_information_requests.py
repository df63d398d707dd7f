"""information requests with their uploads, and accepted retention offers

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 16:00:00

A case waiting for the subscriber (`information_required`) is open: the partial unique index of
open cases per line and type counts it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
OLD_OPEN = (
    "status IN ('draft','awaiting_verification','submitted','blocked','in_review','approved',"
    "'executing','failed')"
)
NEW_OPEN = (
    "status IN ('draft','awaiting_verification','submitted','blocked','in_review',"
    "'information_required','approved','executing','failed')"
)


def _open_index(where: str) -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("uq_cases_open_per_line_type")
        batch_op.create_index(
            "uq_cases_open_per_line_type",
            ["line_id", "type"],
            unique=True,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "information_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.Column("answer_text", sa.Text(), nullable=True),
        sa.Column("sla_days_waited", sa.Integer(), nullable=True),
        _fk("information_requests", "operator_id", "operators"),
        _fk("information_requests", "case_id", "cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_information_requests")),
    )
    op.create_index(
        op.f("ix_information_requests_operator_id"), "information_requests", ["operator_id"]
    )
    op.create_index(op.f("ix_information_requests_case_id"), "information_requests", ["case_id"])
    op.create_index(
        "ix_information_requests_status_due", "information_requests", ["status", "due_date"]
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("information_request_id", sa.Uuid(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("attachments", "operator_id", "operators"),
        _fk("attachments", "case_id", "cases"),
        _fk("attachments", "information_request_id", "information_requests"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_operator_id"), "attachments", ["operator_id"])
    op.create_index(op.f("ix_attachments_case_id"), "attachments", ["case_id"])
    op.create_index(
        op.f("ix_attachments_information_request_id"), "attachments", ["information_request_id"]
    )
    op.create_table(
        "retention_acceptances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("offer_code", sa.String(length=40), nullable=False),
        sa.Column("offer_kind", sa.String(length=20), nullable=False),
        sa.Column("effect", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("retention_acceptances", "operator_id", "operators"),
        _fk("retention_acceptances", "line_id", "lines"),
        _fk("retention_acceptances", "case_id", "cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_acceptances")),
    )
    op.create_index(op.f("ix_retention_acceptances_line_id"), "retention_acceptances", ["line_id"])
    op.create_index(
        "ix_retention_acceptances_operator_created",
        "retention_acceptances",
        ["operator_id", "created_at"],
    )
    _open_index(NEW_OPEN)


def downgrade() -> None:
    _open_index(OLD_OPEN)
    op.drop_table("retention_acceptances")
    op.drop_table("attachments")
    op.drop_table("information_requests")
