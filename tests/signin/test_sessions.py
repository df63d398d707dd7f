"""Server-side sessions: found while live, not once revoked or expired; the purge job."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from simexit.db import Database
from simexit.models import WebSession
from simexit.signin import sessions, tasks
from simexit.signin.sessions import Principal

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _start(db: Database, principal: Principal, now: datetime = NOW) -> str:
    with db.session() as session:
        return sessions.start(session, principal, lifetime=HOUR, now=now)


def _find(db: Database, token: str, now: datetime = NOW) -> Principal | None:
    with db.read_session() as session:
        return sessions.find(session, token, now=now)


SUBSCRIBER = Principal("subscriber", subscriber_ids=(uuid.uuid4(), uuid.uuid4()), via="email")


class TestSessions:
    def test_a_live_session_names_its_principal(self, db: Database) -> None:
        token = _start(db, SUBSCRIBER)
        assert _find(db, token) == SUBSCRIBER

    def test_only_the_hash_of_the_token_is_stored(self, db: Database) -> None:
        token = _start(db, SUBSCRIBER)
        with db.read_session() as session:
            ids = list(session.scalars(select(WebSession.id)))
        assert ids == [sessions.token_hash(token)]
        assert token not in ids

    def test_a_revoked_session_is_gone(self, db: Database) -> None:
        token = _start(db, SUBSCRIBER)
        with db.session() as session:
            assert sessions.revoke(session, token, now=NOW)
            assert not sessions.revoke(session, token, now=NOW)
        assert _find(db, token) is None

    def test_an_expired_session_is_gone(self, db: Database) -> None:
        token = _start(db, SUBSCRIBER)
        assert _find(db, token, NOW + HOUR - timedelta(seconds=1)) is not None
        assert _find(db, token, NOW + HOUR) is None

    def test_an_unknown_token_signs_nobody_in(self, db: Database) -> None:
        assert _find(db, "not-a-token") is None


def test_the_purge_job_deletes_ended_sessions_and_keeps_live_ones(db: Database) -> None:
    live = _start(db, SUBSCRIBER, NOW)
    _start(db, SUBSCRIBER, NOW - 2 * HOUR)  # expired
    revoked = _start(db, SUBSCRIBER, NOW)
    with db.session() as session:
        sessions.revoke(session, revoked, now=NOW)
    with db.session() as session:
        tasks.purge(session, now=NOW)
    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 1
    assert _find(db, live) == SUBSCRIBER
