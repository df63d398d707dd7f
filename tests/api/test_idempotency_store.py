"""The one idempotency store on real databases, driven through `Transaction.run` without HTTP:
the principal is the caller, a key means one effect until it expires, whatever else runs."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.responses import JSONResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request

from simexit.api import idempotency
from simexit.api.errors import ApiError
from simexit.api.transaction import Reply, Transaction
from simexit.audit import service as audit
from simexit.cases import service as case_service
from simexit.db import Database
from simexit.models import AuditEvent, Case, IdempotencyKey, Operator
from simexit.policies.loader import load_registry
from simexit.policies.model import Channel, RequestType
from simexit.principals import Actor, ActorType
from simexit.runtime import Runtime
from tests.api.conftest import build_runtime
from tests.cases.conftest import World, build_world
from tests.fixtures.factories import create_line, create_reseller, create_subscriber

CASES_PATH = "/v1/cases"


def _request(path: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "scheme": "http",
            "server": ("test", 80),
            "query_string": b"",
            "headers": [],
        }
    )


def _call(
    runtime: Runtime, actor: Actor, key: str, body: dict[str, Any], now: datetime
) -> Transaction:
    raw = json.dumps(body).encode()
    return Transaction(
        runtime=runtime,
        caller=actor,
        now=now,
        request=_request(CASES_PATH),
        idempotency_key=key,
        fingerprint=idempotency.fingerprint("POST", CASES_PATH, raw),
    )


def _open_effect(runtime: Runtime, actor: Actor, line_id: uuid.UUID) -> Any:
    def effect(session: Session, now: datetime) -> Reply:
        result = case_service.open_case(
            session,
            runtime.cases,
            actor=actor,
            line_id=line_id,
            case_type=RequestType.terminate,
            channel=Channel.api,
            now=now,
        )
        return Reply({"id": str(result.case.id)}, 201 if result.created else 200)

    return effect


def _open(
    runtime: Runtime, actor: Actor, line_id: uuid.UUID, key: str, now: datetime
) -> JSONResponse:
    call = _call(runtime, actor, key, {"line_id": str(line_id)}, now)
    return call.run(_open_effect(runtime, actor, line_id))


def _json(response: JSONResponse) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(bytes(response.body))
    return body


def _count(db: Database, model: type[Any], *where: Any) -> int:
    with db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@dataclass
class Tenancy:
    """One operator with a line of its own and a line its reseller sold, and both callers."""

    world: World
    reseller_line_id: uuid.UUID
    operator_key: Actor
    reseller_key: Actor


@pytest.fixture
def runtime(db: Database) -> Runtime:
    return build_runtime(db)


@pytest.fixture
def tenancy(db: Database) -> Tenancy:
    world = build_world(db, load_registry())
    with db.session() as session:
        operator = session.get(Operator, world.operator_id)
        assert operator is not None
        reseller = create_reseller(session, operator=operator)
        subscriber = create_subscriber(session, operator=operator, phone="+4741111111")
        sold = create_line(
            session, operator=operator, subscriber=subscriber, reseller_id=reseller.id
        )
    operator_key = Actor(ActorType.integrator, "key_operator", operator_id=world.operator_id)
    reseller_key = Actor(
        ActorType.integrator, "key_reseller", operator_id=world.operator_id, reseller_id=reseller.id
    )
    return Tenancy(world, sold.id, operator_key, reseller_key)


class TestCaseOpeningThroughTheStore:
    def test_reseller_and_operator_use_one_key_on_different_lines(
        self, runtime: Runtime, db: Database, tenancy: Tenancy, now: datetime
    ) -> None:
        by_operator = _open(runtime, tenancy.operator_key, tenancy.world.line_id, "k", now)
        by_reseller = _open(runtime, tenancy.reseller_key, tenancy.reseller_line_id, "k", now)
        assert (by_operator.status_code, by_reseller.status_code) == (201, 201)
        assert _json(by_operator)["id"] != _json(by_reseller)["id"]
        assert _count(db, Case) == 2
        assert _count(db, IdempotencyKey, IdempotencyKey.key == "k") == 2

    def test_replay_returns_the_case_without_a_second_case_or_audit_row(
        self, runtime: Runtime, db: Database, tenancy: Tenancy, now: datetime
    ) -> None:
        first = _open(runtime, tenancy.reseller_key, tenancy.reseller_line_id, "k", now)
        again = _open(runtime, tenancy.reseller_key, tenancy.reseller_line_id, "k", now)
        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert _json(again) == _json(first)
        assert _count(db, Case) == 1
        assert _count(db, AuditEvent, AuditEvent.action == "case.opened") == 1

    def test_same_key_other_body_is_the_422(
        self, runtime: Runtime, db: Database, tenancy: Tenancy, now: datetime
    ) -> None:
        _open(runtime, tenancy.operator_key, tenancy.world.line_id, "k", now)
        with pytest.raises(ApiError) as refused:
            _open(runtime, tenancy.operator_key, tenancy.reseller_line_id, "k", now)
        assert (refused.value.api_code, refused.value.api_status) == ("idempotency_key_reused", 422)
        assert refused.value.field == "Idempotency-Key"
        assert _count(db, Case) == 1

    def test_the_key_is_free_again_after_its_ttl(
        self, runtime: Runtime, db: Database, tenancy: Tenancy, now: datetime
    ) -> None:
        _open(runtime, tenancy.operator_key, tenancy.world.line_id, "k", now)
        with pytest.raises(ApiError):
            _open(
                runtime,
                tenancy.operator_key,
                tenancy.reseller_line_id,
                "k",
                now + idempotency.TTL - timedelta(seconds=1),
            )
        later = _open(
            runtime, tenancy.operator_key, tenancy.reseller_line_id, "k", now + idempotency.TTL
        )
        assert later.status_code == 201
        assert "idempotent-replayed" not in later.headers
        assert _count(db, Case) == 2
        assert _count(db, IdempotencyKey) == 1  # the expired row went with the next keyed call

    def test_ten_concurrent_callers_with_one_key_make_one_case(
        self, runtime: Runtime, db: Database, tenancy: Tenancy, now: datetime
    ) -> None:
        barrier = threading.Barrier(10)
        answers: list[tuple[int, str]] = []
        lock = threading.Lock()

        def call() -> None:
            barrier.wait()
            try:
                response = _open(runtime, tenancy.reseller_key, tenancy.reseller_line_id, "r", now)
                answer = (response.status_code, _json(response)["id"])
            except ApiError as error:
                answer = (error.api_status, error.api_code)
            with lock:
                answers.append(answer)

        threads = [threading.Thread(target=call) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(answers) == 10
        opened = {value for status, value in answers if status == 201}
        assert len(opened) == 1, answers
        assert all(
            value == "idempotency_in_progress" for status, value in answers if status != 201
        ), answers
        assert _count(db, Case) == 1
        assert _count(db, AuditEvent, AuditEvent.action == "case.opened") == 1


# --- property: one effect per (principal, key) within the TTL -------------------------------

PRINCIPALS = 3
Step = tuple[int, str, str, int]  # principal, key, body, hours the clock moves first
STEPS = st.lists(
    st.tuples(
        st.integers(0, PRINCIPALS - 1),
        st.sampled_from(["a", "b"]),
        st.sampled_from(["x", "y"]),
        st.sampled_from([0, 0, 0, 1, 23, 24]),
    ),
    min_size=1,
    max_size=12,
)


def _probe(operator_id: uuid.UUID, actor: Actor, key: str, body: str, *, run: int) -> Any:
    """An effect that writes one audit row (the effect counted) and answers which run it was."""

    def effect(session: Session, at: datetime) -> Reply:
        audit.record(
            session,
            operator_id=operator_id,
            actor=actor,
            action="probe.ran",
            subject_type="probe",
            subject_id=f"{actor.id}:{key}",
            at=at,
            changes={"body": body},
        )
        return Reply({"body": body, "run": run}, 201)

    return effect


def test_one_effect_per_principal_and_key(
    runtime: Runtime, db: Database, tenancy: Tenancy, now: datetime
) -> None:
    """Random callers, keys, bodies and clock moves, against a model of the documented rules:
    a live key with the same body replays the first answer, with another body is refused, and
    an expired or new key runs the effect (here an audit row, a real write) exactly once."""
    operator_id = tenancy.world.operator_id

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=STEPS)
    def run(steps: list[Step]) -> None:
        run_id = uuid.uuid4().hex[:8]  # a fresh set of callers per example: no shared rows
        callers = [
            Actor(ActorType.integrator, f"key_{run_id}{n}", operator_id=operator_id)
            for n in range(PRINCIPALS)
        ]
        clock = now
        live: dict[tuple[int, str], tuple[str, datetime, dict[str, Any]]] = {}
        effects: dict[tuple[int, str], int] = {}
        for principal, key, body, hours in steps:
            clock += timedelta(hours=hours)
            actor, slot = callers[principal], (principal, key)
            runs = effects.get(slot, 0)
            effect = _probe(operator_id, actor, key, body, run=runs + 1)
            call = _call(runtime, actor, key, {"body": body}, clock)
            stored = live.get(slot)
            if stored is not None and stored[1] > clock:
                if stored[0] != body:
                    with pytest.raises(ApiError) as refused:
                        call.run(effect)
                    assert refused.value.api_code == "idempotency_key_reused"
                    continue
                replay = call.run(effect)
                assert replay.headers["idempotent-replayed"] == "true"
                assert _json(replay) == stored[2]
                continue
            fresh = call.run(effect)
            assert "idempotent-replayed" not in fresh.headers
            effects[slot] = runs + 1
            live[slot] = (body, clock + idempotency.TTL, _json(fresh))
        with db.read_session() as session:
            for n, actor in enumerate(callers):
                for key in ("a", "b"):
                    ran = session.scalar(
                        select(func.count())
                        .select_from(AuditEvent)
                        .where(AuditEvent.subject_id == f"{actor.id}:{key}")
                    )
                    assert ran == effects.get((n, key), 0)

    run()
