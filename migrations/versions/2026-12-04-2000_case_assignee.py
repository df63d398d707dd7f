"""cases carry the staff member working them: the console's claim and assign

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-04 19:00:00

In place on both back ends: a batch copy of `cases` would be refused by SQLite's foreign keys
while verifications, refunds and follow-up cases point at its rows. SQLite takes the foreign key
inline in ADD COLUMN; PostgreSQL gets it as a named constraint.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK_NAME = "fk_cases_assignee_id_staff_users"
INDEX_NAME = "ix_cases_operator_assignee_due"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE cases ADD COLUMN assignee_id CHAR(32) "
            f"CONSTRAINT {FK_NAME} REFERENCES staff_users (id)"
        )
    else:
        op.add_column("cases", sa.Column("assignee_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(FK_NAME, "cases", "staff_users", ["assignee_id"], ["id"])
    op.add_column("cases", sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(INDEX_NAME, "cases", ["operator_id", "assignee_id", "sla_due_date"])


def downgrade() -> None:
    op.drop_index(INDEX_NAME, table_name="cases")
    op.drop_column("cases", "assigned_at")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FK_NAME, "cases", type_="foreignkey")
    # SQLite 3.35+ drops the column in place, its inline foreign key with it.
    op.drop_column("cases", "assignee_id")
