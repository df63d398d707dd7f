"""teardown steps record what the peer answered; lines count suspensions by year and in total

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:00:00

`teardown_steps.outcome` keeps the remote system's answer for a done step ("barred",
"cancelled", an order id), beside `detail`, which keeps the last error while a step fails.
`lines.suspensions_counted_year` says which year `suspensions_this_year` counts (it starts
again in a new year), `lines.suspensions_total` counts over the number's life (a pack's
"twice per number"), and `lines.voluntary_until` is when the scheduler resumes a voluntary
suspension.
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
    op.add_column("lines", sa.Column("suspensions_counted_year", sa.Integer(), nullable=True))
    op.add_column(
        "lines",
        sa.Column("suspensions_total", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("lines", sa.Column("voluntary_until", sa.Date(), nullable=True))
    op.create_index(op.f("ix_lines_voluntary_until"), "lines", ["voluntary_until"])


def downgrade() -> None:
    op.drop_index(op.f("ix_lines_voluntary_until"), table_name="lines")
    columns = [
        ("lines", "voluntary_until"),
        ("lines", "suspensions_total"),
        ("lines", "suspensions_counted_year"),
        ("teardown_steps", "outcome"),
    ]
    for table, column in columns:
        if op.get_bind().dialect.name == "sqlite":
            # In place (SQLite 3.35+): batch mode would copy and drop `lines`, which the
            # foreign keys of cases and subscribers' rows refuse.
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)
