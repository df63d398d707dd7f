"""The gateways file's `channels` choose, per operator, which channels reach its subscribers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from simexit.config import Settings
from simexit.db import Database
from simexit.errors import ConfigurationError
from simexit.models import Notification, Operator
from simexit.notifications import service
from simexit.notifications.ports import EMAIL_ADDRESS, PHONE_NUMBER
from simexit.runtime import Runtime

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
CONTACTS = {EMAIL_ADDRESS: "kari@example.org", PHONE_NUMBER: "+4741234567"}


def _operator(db: Database, code: str) -> uuid.UUID:
    operator = Operator(
        code=code,
        name=code,
        country="NO",
        currency="NOK",
        timezone="Europe/Oslo",
        languages=["nb", "en"],
        policy_pack="no/test",
        reference_prefix="NO",
        created_at=NOW,
    )
    with db.session() as session:
        session.add(operator)
    return operator.id


def _runtime(db: Database, tmp_path: Path, text: str) -> Runtime:
    gateways = tmp_path / "gateways.toml"
    gateways.write_text(text)
    settings = Settings(
        database_url=db.url,
        secret_key=SecretStr("test-secret-key-for-channel-choice-0000"),
        gateways_file=gateways,
    )
    runtime = Runtime(settings)
    runtime.__dict__["db"] = db
    return runtime


def _channels_of(db: Database, operator_id: uuid.UUID) -> list[str]:
    with db.read_session() as session:
        return sorted(
            session.scalars(
                select(Notification.channel).where(Notification.operator_id == operator_id)
            )
        )


def test_each_operator_is_reached_on_its_own_channels(
    db: Database, tmp_path: Path, transports: None
) -> None:
    email_only, everything = _operator(db, "mail-only-no"), _operator(db, "all-channels-no")
    runtime = _runtime(db, tmp_path, '[operators.mail-only-no]\nchannels = ["email"]\n')
    runtime.prepare_notifications()
    with db.session() as session:
        for operator_id in (email_only, everything):
            service.notify(
                session,
                now=NOW,
                operator_id=operator_id,
                kind="verification.code",
                subject_id=uuid.uuid4(),
                language="nb",
                contacts=CONTACTS,
                context={"code": "123456", "expiry_minutes": 10},
            )
    assert _channels_of(db, email_only) == ["email"]
    assert _channels_of(db, everything) == ["email", "sms"]


def test_the_default_section_chooses_for_operators_the_file_does_not_list(
    db: Database, tmp_path: Path, transports: None
) -> None:
    unlisted = _operator(db, "unlisted-no")
    runtime = _runtime(db, tmp_path, '[default]\nchannels = ["sms"]\n')
    runtime.prepare_notifications()
    with db.session() as session:
        service.notify(
            session,
            now=NOW,
            operator_id=unlisted,
            kind="verification.code",
            subject_id=uuid.uuid4(),
            language="nb",
            contacts=CONTACTS,
            context={"code": "123456", "expiry_minutes": 10},
        )
    assert _channels_of(db, unlisted) == ["sms"]


def test_a_channel_no_adapter_provides_stops_start_up_with_one_line(
    db: Database, tmp_path: Path, transports: None
) -> None:
    runtime = _runtime(db, tmp_path, '[operators.x-no]\nchannels = ["email", "whatsapp"]\n')
    with pytest.raises(ConfigurationError) as refused:
        runtime.prepare_notifications()
    message = str(refused.value)
    assert "\n" not in message
    assert "x-no" in message
    assert "'whatsapp'" in message
