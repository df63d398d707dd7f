"""`Prepared` runs Core statements on the driver: the same rows, types and errors as SQLAlchemy's
`Connection.execute`, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, delete, event, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from simexit.db import Database
from simexit.models import Job
from simexit.prepared import Prepared

_JOB_COLUMNS = (
    Job.id,
    Job.name,
    Job.payload,
    Job.status,
    Job.run_at,
    Job.attempts,
    Job.max_attempts,
    Job.dedup_key,
    Job.created_at,
    Job.locked_at,
)
_INSERT = Prepared(insert(Job))
_BY_ID = Prepared(select(*_JOB_COLUMNS).where(Job.id == bindparam("id")))
_BY_ID_CORE = select(*_JOB_COLUMNS).where(Job.id == bindparam("id"))

# PostgreSQL's text and JSONB hold no NUL character, whatever the driver path.
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
moments = st.datetimes(
    min_value=datetime(1971, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; zone below
    max_value=datetime(2999, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def _job(**values: Any) -> dict[str, Any]:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    return {
        "id": uuid.uuid4(),
        "name": "test.job",
        "payload": {},
        "status": "queued",
        "run_at": now,
        "attempts": 0,
        "max_attempts": 8,
        "priority": 0,
        "dedup_key": None,
        "created_at": now,
        **values,
    }


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.dictionaries(texts, json_values, max_size=4),
    run_at=moments,
    dedup_key=st.none() | texts.filter(bool),
    attempts=st.integers(0, 2**31 - 1),
)
def test_round_trip_matches_sqlalchemy(
    db: Database, payload: dict[str, Any], run_at: datetime, dedup_key: str | None, attempts: int
) -> None:
    values = _job(payload=payload, run_at=run_at, dedup_key=dedup_key, attempts=attempts)
    with db.session() as session:
        _INSERT.run(session, values)
        prepared = _BY_ID.one_or_none(session, {"id": values["id"]})
        core = session.execute(_BY_ID_CORE, {"id": values["id"]}).one()
        session.execute(delete(Job))
    assert prepared == tuple(core)
    assert prepared is not None
    assert prepared[0] == values["id"]
    assert isinstance(prepared[0], uuid.UUID)
    assert prepared[2] == payload
    assert prepared[4] == run_at
    assert prepared[4].tzinfo is not None
    assert prepared[7] == dedup_key
    assert prepared[9] is None


def test_written_rows_share_the_sessions_transaction(db: Database) -> None:
    values = _job()

    def insert_then_fail() -> None:
        with db.session() as session:
            _INSERT.run(session, values)
            assert session.get(Job, values["id"]) is not None  # the ORM sees it at once
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with db.session() as session:
        assert _BY_ID.one_or_none(session, {"id": values["id"]}) is None


def test_many_rows_in_one_statement_and_an_in_list(db: Database) -> None:
    rows = [_job(status=status) for status in ("queued", "done", "dead", "queued")]
    counted = Prepared(select(Job.id).where(Job.status.in_([literal("queued"), literal("dead")])))
    changed = Prepared(
        update(Job).where(Job.status == bindparam("from_status")).values(status="running")
    )
    with db.session() as session:
        _INSERT.run_many(session, rows)
        assert sorted(counted.scalars(session)) == sorted(
            r["id"] for r in rows if r["status"] != "done"
        )
        assert changed.run(session, {"from_status": "queued"}) == 2
        assert session.scalar(select(Job.status).where(Job.id == rows[0]["id"])) == "running"


def test_driver_errors_come_out_as_sqlalchemy_errors(db: Database) -> None:
    with pytest.raises(IntegrityError), db.session() as session:
        _INSERT.run_many(session, [_job(dedup_key="same"), _job(dedup_key="same")])
    first = _job()
    with db.session() as session:
        _INSERT.run(session, first)
    with pytest.raises(IntegrityError), db.session() as session:
        _INSERT.run(session, {**first, "dedup_key": "other"})


def test_a_missing_parameter_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="id"), db.session() as session:
        _BY_ID.rows(session, {})


def test_an_expanding_in_list_is_refused(db: Database) -> None:
    by_names = Prepared(select(Job.id).where(Job.name.in_(bindparam("names", expanding=True))))
    with pytest.raises(ValueError, match="expanding"), db.session() as session:
        by_names.rows(session, {"names": ["a", "b"]})


def test_a_skipped_python_default_is_refused(db: Database) -> None:
    values = _job()
    del values["status"]  # the model's default is Python-side: Prepared would not apply it
    with pytest.raises(ValueError, match="status"), db.session() as session:
        _INSERT.run(session, values)


def test_engine_listeners_see_the_statements(db: Database) -> None:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.session() as session:
            _INSERT.run(session, _job())
            _INSERT.run_many(session, [_job(), _job()])
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert sum("INSERT INTO jobs" in statement for statement in seen) == 2


def test_a_savepoint_and_the_next_transaction_use_their_own_connection_state(
    db: Database,
) -> None:
    kept, undone = _job(), _job()
    with db.session() as session:
        _INSERT.run(session, kept)
        savepoint = session.begin_nested()
        _INSERT.run(session, undone)
        savepoint.rollback()
        assert _BY_ID.one_or_none(session, {"id": undone["id"]}) is None
    with db.session() as session:
        assert _BY_ID.one_or_none(session, {"id": kept["id"]}) is not None
        later = _job(run_at=kept["run_at"] + timedelta(days=1))
        _INSERT.run(session, later)
    with db.read_session() as session:
        assert len(Prepared(select(Job.id)).scalars(session)) == 2


def test_update_returning_gives_the_new_values(db: Database) -> None:
    bump = Prepared(
        update(Job)
        .where(Job.id == bindparam("job_id"))
        .values(attempts=Job.attempts + 1)
        .returning(Job.attempts, Job.run_at)
    )
    values = _job(attempts=4)
    with db.session() as session:
        _INSERT.run(session, values)
        assert bump.rows(session, {"job_id": values["id"]}) == [(5, values["run_at"])]
        assert bump.rows(session, {"job_id": uuid.uuid4()}) == []
