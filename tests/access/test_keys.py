"""API keys in their own domain package: made, looked up and revoked, each change audited."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from simexit.access import service as keys
from simexit.access.keys import hash_api_key, split_api_key
from simexit.audit.sealing import seal_all
from simexit.audit.service import verify_operator
from simexit.db import Database
from simexit.errors import NotFound
from simexit.models import AuditEvent
from simexit.policies.loader import load_registry
from simexit.principals import Actor, ActorType
from tests.fixtures.factories import create_operator

CLI = Actor(ActorType.cli, "test")


class TestKeyFormat:
    @pytest.mark.parametrize(
        "token", ["", "sx_", "sx__secret", "xx_abcd_secret", "sx_" + "a" * 17 + "_s", "sx_abcd"]
    )
    def test_malformed_keys_have_no_prefix(self, token: str) -> None:
        assert split_api_key(token) is None

    def test_a_well_formed_key_gives_its_prefix(self) -> None:
        assert split_api_key("sx_abcd1234_rest_with_underscores") == "abcd1234"


class TestKeyLifecycle:
    def test_create_look_up_revoke_with_audit(self, db: Database, now: datetime) -> None:
        with db.session() as session:
            operator = create_operator(session, packs=load_registry(), code="op-keys")
            created = keys.create_key(
                session, actor=CLI, operator_code="op-keys", name="crm", now=now
            )
            operator_id = operator.id
        assert created.key.key_hash == hash_api_key(created.secret)
        assert created.secret not in created.key.key_hash
        with db.read_session() as session:
            actor = keys.actor_for_key(session, created.secret)
        assert actor.operator_id == operator_id
        assert actor.type is ActorType.integrator
        assert actor.scopes == frozenset({"cases"})
        with db.session() as session:
            keys.revoke_key(session, actor=CLI, prefix=created.key.prefix, now=now)
            keys.revoke_key(session, actor=CLI, prefix=created.key.prefix, now=now)  # no-op
        with db.read_session() as session, pytest.raises(keys.KeyRefused) as refused:
            keys.actor_for_key(session, created.secret)
        assert refused.value.code == "api_key_revoked"
        with db.read_session() as session:
            actions = session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.operator_id == operator_id)
                .order_by(AuditEvent.id)
            ).all()
            assert actions == ["api_key.created", "api_key.revoked"]
            events = session.scalars(select(AuditEvent.changes)).all()
            assert all(created.secret not in str(e) for e in events)
        seal_all(db)
        with db.read_session() as session:
            report = verify_operator(session, operator_id)
            assert (report.ok, report.events) == (True, 2)

    def test_a_key_carries_the_scopes_it_was_made_with(self, db: Database, now: datetime) -> None:
        with db.session() as session:
            create_operator(session, packs=load_registry(), code="op-scoped")
            created = keys.create_key(
                session,
                actor=CLI,
                operator_code="op-scoped",
                name="bss",
                now=now,
                scopes=("admin", "cases"),
            )
        with db.read_session() as session:
            actor = keys.actor_for_key(session, created.secret)
        assert actor.scopes == frozenset({"admin", "cases"})

    def test_a_wrong_secret_with_a_real_prefix_is_refused(
        self, db: Database, now: datetime
    ) -> None:
        with db.session() as session:
            create_operator(session, packs=load_registry(), code="op-keys")
            created = keys.create_key(
                session, actor=CLI, operator_code="op-keys", name="crm", now=now
            )
        forged = f"sx_{created.key.prefix}_not-the-secret"
        with db.read_session() as session, pytest.raises(keys.KeyRefused) as refused:
            keys.actor_for_key(session, forged)
        assert refused.value.code == "unauthenticated"

    def test_an_unknown_operator_is_named(self, db: Database, now: datetime) -> None:
        with db.session() as session, pytest.raises(NotFound, match="no-such"):
            keys.create_key(session, actor=CLI, operator_code="no-such", name="x", now=now)
