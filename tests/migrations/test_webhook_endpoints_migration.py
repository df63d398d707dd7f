"""0012 moves each operator's webhook URL and secret into `webhook_endpoints` and links the
deliveries already made to it; its downgrade puts them back on the operator row."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, text
from tests.fixtures.factories import create_operator
from tests.migrations.test_migrations import _migrate

from simexit import migrate
from simexit.db import Database
from simexit.models import WebhookDelivery, WebhookEndpoint
from simexit.policies.loader import load_registry

URL = "https://bss.example/hooks"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _uuid_value(db: Database, value: uuid.UUID) -> str:
    return value.hex if db.engine.dialect.name == "sqlite" else str(value)


def test_the_operators_url_becomes_an_endpoint_and_comes_back(db: Database, now: datetime) -> None:
    with db.session() as session:
        configured = create_operator(session, packs=load_registry()).id
    _migrate(db, "downgrade", "0010")
    delivery_id = uuid.uuid4()
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE operators SET webhook_url = :url, webhook_secret = :secret"),
            {"url": URL, "secret": SECRET},
        )
        connection.execute(
            text(
                "INSERT INTO webhook_deliveries (id, operator_id, message_id, event_type, url, "
                "body, data, status, attempts, created_at) VALUES (:id, :operator, 'msg_1', "
                "'case.completed', :url, '{}', '{}', 'delivered', 1, :at)"
            ),
            {
                "id": _uuid_value(db, delivery_id),
                "operator": _uuid_value(db, configured),
                "url": URL,
                "at": now,
            },
        )
    migrate.upgrade(db.engine)
    with db.read_session() as session:
        [endpoint] = session.scalars(select(WebhookEndpoint)).all()
        assert (endpoint.operator_id, endpoint.url, endpoint.secret) == (configured, URL, SECRET)
        assert endpoint.events == []
        assert endpoint.disabled_at is None
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        assert delivery.endpoint_id == endpoint.id
    _migrate(db, "downgrade", "0010")
    with db.engine.connect() as connection:
        restored = connection.execute(text("SELECT webhook_url, webhook_secret FROM operators"))
        assert restored.all() == [(URL, SECRET)]
    migrate.upgrade(db.engine)
    assert migrate.is_at_head(db.engine)
