"""the eSIM profile's last state the SM-DP+ reported, on the line

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place on both back ends (a nullable ADD COLUMN): no batch copy of the table.
    op.add_column("lines", sa.Column("esim_profile_state", sa.String(length=20), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place (SQLite 3.35+): batch mode would copy and drop `lines`, which the foreign
        # keys of cases and subscribers' rows refuse.
        op.execute("ALTER TABLE lines DROP COLUMN esim_profile_state")
    else:
        op.drop_column("lines", "esim_profile_state")
