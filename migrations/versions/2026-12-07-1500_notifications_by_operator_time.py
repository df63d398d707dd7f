"""notifications listed by operator, newest first: TMF681 lists simexit's own messages

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-07 15:00:00

TMF681's list pages the operator's notifications together with its posted messages, newest
first; without this index each page sorts every notification of the operator.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX_NAME = "ix_notifications_operator_created"


def upgrade() -> None:
    op.create_index(INDEX_NAME, "notifications", ["operator_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index(INDEX_NAME, table_name="notifications")
