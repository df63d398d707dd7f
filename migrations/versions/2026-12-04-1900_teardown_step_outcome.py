"""teardown steps record what the peer answered

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:00:00

`teardown_steps.outcome` keeps the remote system's answer for a done step ("barred",
"cancelled", an order id), beside `detail`, which keeps the last error while a step fails.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place on both back ends (a nullable ADD COLUMN): no batch copy of the table.
    op.add_column("teardown_steps", sa.Column("outcome", sa.String(length=500), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE teardown_steps DROP COLUMN outcome")  # SQLite 3.35+: in place
    else:
        op.drop_column("teardown_steps", "outcome")
