"""sandbox operators and their test clocks

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00

`operators.sandbox` marks an operator whose "now" may be a test clock; the demo's operators are
sandboxes (set here for a database seeded before this revision). One clock per operator.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEMO_CODES = (
    "telenor-no",
    "telia-no",
    "ice-no",
    "att-us",
    "verizon-us",
    "tmobile-us",
    "mts-ru",
    "megafon-ru",
    "beeline-ru",
    "t2-ru",
)


def upgrade() -> None:
    # In place on both back ends (SQLite's ADD COLUMN with a constant default): batch mode would
    # copy and drop `operators`, which SQLite's foreign keys refuse while rows point at one.
    op.add_column(
        "operators", sa.Column("sandbox", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_table(
        "test_clocks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("frozen_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_test_clocks_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_clocks")),
        sa.UniqueConstraint("operator_id", name=op.f("uq_test_clocks_operator_id")),
    )
    codes = ", ".join(f"'{code}'" for code in DEMO_CODES)
    # The demo seeds API keys named "demo"; only a demo database has its operators sandboxed.
    op.execute(
        f"UPDATE operators SET sandbox = true WHERE code IN ({codes}) "  # noqa: S608 - constants
        "AND EXISTS (SELECT 1 FROM api_keys WHERE api_keys.operator_id = operators.id "
        "AND api_keys.name LIKE 'demo%')"
    )


def downgrade() -> None:
    op.drop_table("test_clocks")
    if op.get_bind().dialect.name == "sqlite":
        # Batch mode would copy and drop `operators`, which SQLite's foreign keys refuse while
        # rows point at an operator; SQLite (3.35+) drops a plain column in place.
        op.execute("ALTER TABLE operators DROP COLUMN sandbox")
    else:
        op.drop_column("operators", "sandbox")
