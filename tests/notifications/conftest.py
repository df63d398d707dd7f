from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from simexit.db import Database
from simexit.models import Operator
from simexit.notifications.channels import local_sinks
from simexit.notifications.ports import Transports

# Importing the task module registers the delivery jobs these tests run.
from simexit.notifications.tasks import current_transports, use_transports

WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def operator_id(db: Database) -> uuid.UUID:
    operator = Operator(
        code=f"test-{uuid.uuid4().hex[:8]}",
        name="Fjord Mobil",
        country="NO",
        currency="NOK",
        timezone="Europe/Oslo",
        languages=["nb", "en"],
        policy_pack="no/test",
        reference_prefix="NO",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    with db.session() as session:
        session.add(operator)
    return operator.id


@pytest.fixture
def transports() -> Iterator[None]:
    """Restore the worker's transports after a test that swaps them."""
    previous = current_transports()
    yield
    use_transports(previous)


@pytest.fixture
def sink_only(transports: None) -> None:
    use_transports(Transports(channels=local_sinks()))
