"""subscribers keep a keyed hash of their national identity number, for eID checks

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 15:30:00

The number a national eID (BankID, ID-porten, Gosuslugi) vouches for is compared with this hash;
the number itself is never stored. A plain nullable column: ADD COLUMN in place on both back ends.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("subscribers", sa.Column("national_id_hash", sa.String(128), nullable=True))


def downgrade() -> None:
    # In place on both (SQLite 3.35+): a batch copy of `subscribers` would trip the foreign keys
    # of the lines and cases that point at its rows.
    op.drop_column("subscribers", "national_id_hash")
