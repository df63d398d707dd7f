"""staff users and resellers can be disabled; webhook endpoints per operator replace the one URL

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 13:00:00

Each operator's `webhook_url` / `webhook_secret` becomes a row of `webhook_endpoints` (a URL
without a secret gets a fresh one: nothing was sent to it unsigned, and the operator reads the
new one by rotating), existing deliveries are linked to it by URL, and the two operator columns
are dropped. The downgrade puts each operator's oldest live endpoint back on the operator row.
"""

import base64
import secrets
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_operators = sa.table(
    "operators",
    sa.column("id", sa.Uuid()),
    sa.column("webhook_url", sa.String()),
    sa.column("webhook_secret", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_endpoints = sa.table(
    "webhook_endpoints",
    sa.column("id", sa.Uuid()),
    sa.column("operator_id", sa.Uuid()),
    sa.column("url", sa.String()),
    sa.column("events", sa.JSON()),
    sa.column("secret", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("disabled_at", sa.DateTime(timezone=True)),
)
_deliveries = sa.table(
    "webhook_deliveries",
    sa.column("operator_id", sa.Uuid()),
    sa.column("url", sa.String()),
    sa.column("endpoint_id", sa.Uuid()),
)


def _new_secret() -> str:
    # The format of `simexit.notifications.webhooks.generate_secret`, spelled out: a migration
    # must not change when the application code does.
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column(
            "events",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("previous_secret", sa.String(length=200), nullable=True),
        sa.Column("previous_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_webhook_endpoints_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_endpoints_operator_created", ["operator_id", "created_at"], unique=False
        )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("endpoint_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_endpoint_id"), ["endpoint_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"),
            "webhook_endpoints",
            ["endpoint_id"],
            ["id"],
        )
    op.add_column(
        "staff_users", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("resellers", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))

    connection = op.get_bind()
    configured = connection.execute(
        sa.select(
            _operators.c.id,
            _operators.c.webhook_url,
            _operators.c.webhook_secret,
            _operators.c.created_at,
        ).where(_operators.c.webhook_url.is_not(None), _operators.c.webhook_url != "")
    ).all()
    for operator_id, url, secret, created_at in configured:
        endpoint_id = uuid.uuid4()
        connection.execute(
            _endpoints.insert().values(
                id=endpoint_id,
                operator_id=operator_id,
                url=url,
                events=[],
                secret=secret or _new_secret(),
                created_at=created_at,
                disabled_at=None,
            )
        )
        connection.execute(
            _deliveries.update()
            .where(_deliveries.c.operator_id == operator_id, _deliveries.c.url == url)
            .values(endpoint_id=endpoint_id)
        )
    # Plain columns, dropped in place (SQLite 3.35+ can): a batch copy of `operators`, which
    # every tenant row references, would fail wherever foreign keys are enforced.
    op.drop_column("operators", "webhook_url")
    op.drop_column("operators", "webhook_secret")


def downgrade() -> None:
    op.add_column("operators", sa.Column("webhook_url", sa.String(length=500), nullable=True))
    op.add_column("operators", sa.Column("webhook_secret", sa.String(length=200), nullable=True))
    connection = op.get_bind()
    live = connection.execute(
        sa.select(_endpoints.c.operator_id, _endpoints.c.url, _endpoints.c.secret)
        .where(_endpoints.c.disabled_at.is_(None))
        .order_by(_endpoints.c.created_at.desc())
    ).all()
    # Newest first, so the last write per operator (the oldest endpoint) is the one kept.
    for operator_id, url, secret in live:
        connection.execute(
            _operators.update()
            .where(_operators.c.id == operator_id)
            .values(webhook_url=url, webhook_secret=secret)
        )
    # In place, as in the upgrade: lines, keys and sessions reference these tables.
    op.drop_column("resellers", "disabled_at")
    op.drop_column("staff_users", "disabled_at")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_endpoint_id"))
        batch_op.drop_column("endpoint_id")
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_endpoints_operator_created")
    op.drop_table("webhook_endpoints")
