"""Test clocks (`/v1/test-clocks`): a sandbox operator's own time, moved forward on request.

As Stripe's test clocks: a clock is frozen at a time, only moves forward, and everything of its
operator reads it (`operators.clocks`). An advance then runs the scheduler's due work for that
operator before it answers (`testclocks.due`), and says what it left pending for the worker.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from simexit.api.deps import ActorDep, ReadSessionDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.schemas import Input
from simexit.api.validators import BoundedTimestamp, ShortText
from simexit.models import TestClock
from simexit.testclocks import due, service
from simexit.testclocks.service import Advance

router = APIRouter(prefix="/v1/test-clocks", tags=["test clocks"])


class TestClockCreate(Input):
    __test__ = False
    name: ShortText = "test clock"
    frozen_time: BoundedTimestamp | None = Field(
        None, description="Where the clock starts (with a time zone); now when left out."
    )


def _exactly_one(schema: dict[str, Any]) -> None:
    """Exactly one of `to` and `days`, neither of them null, in the published schema."""
    schema["oneOf"] = [{"required": ["to"]}, {"required": ["days"]}]
    for name in ("to", "days"):
        field = schema["properties"][name]
        kept = [branch for branch in field.pop("anyOf") if branch.get("type") != "null"]
        field.update({key: value for key, value in kept[0].items() if key not in field})
        field.pop("default", None)


class TestClockAdvance(Input):
    """Exactly one of `to` and `days` (the schema's `oneOf`; the service names the field)."""

    __test__ = False
    model_config = ConfigDict(extra="forbid", json_schema_extra=_exactly_one)
    to: BoundedTimestamp | None = Field(
        None, description="The new time, after the clock's (with a time zone)."
    )
    days: int | None = Field(None, ge=1, le=3660, description="Or: this many days forward.")


class TestClockRead(BaseModel):
    __test__ = False
    id: uuid.UUID
    operator_id: uuid.UUID
    name: str
    frozen_time: datetime
    created_at: datetime
    status: str

    @classmethod
    def of(cls, clock: TestClock) -> TestClockRead:
        return cls(
            id=clock.id,
            operator_id=clock.operator_id,
            name=clock.name,
            frozen_time=clock.frozen_time,
            created_at=clock.created_at,
            status=clock.status,
        )


class DueWorkRead(BaseModel):
    scans: list[str] = Field(description="The operator's scans that ran at the new time.")
    scans_failed: list[str]
    jobs_run: int
    jobs_pending: int = Field(
        description=f"Due jobs left for the worker (an advance runs at most "
        f"{due.MAX_JOBS_PER_ADVANCE})."
    )


class TestClockAdvanced(BaseModel):
    __test__ = False
    clock: TestClockRead
    moved_from: datetime
    due_work: DueWorkRead | None = Field(
        None,
        description="What ran; null in a replay of an Idempotency-Key (it ran the first time).",
    )


_WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:test-clock"


@router.post(
    "",
    name="create_test_clock",
    status_code=201,
    response_model=TestClockRead,
    responses=responses(401, 403, 409, 422),
)
async def create_test_clock(body: TestClockCreate, call: TransactionDep) -> JSONResponse:
    """A clock for your sandbox operator (admin scope), frozen at `frozen_time` or now."""

    def effect(session: Session, now: datetime) -> Reply:
        clock = service.create_clock(
            session,
            actor=call.actor,
            now=now,
            name=body.name,
            frozen_time=body.frozen_time,
            request_id=call.request_id,
        )
        return Reply(TestClockRead.of(clock), 201, location=f"/v1/test-clocks/{clock.id}")

    return await call.respond(effect)


@router.get(
    "/{clock_id}",
    name="get_test_clock",
    response_model=TestClockRead,
    responses=responses(401, 403, 404),
)
def get_test_clock(clock_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep) -> TestClockRead:
    """Your operator's clock: its frozen time."""
    return TestClockRead.of(service.show_clock(session, actor=actor, clock_id=clock_id))


@router.post(
    "/{clock_id}/advance",
    name="advance_test_clock",
    response_model=TestClockAdvanced,
    responses=responses(401, 403, 404, 409, 422),
)
async def advance_test_clock(
    clock_id: uuid.UUID, body: TestClockAdvance, call: TransactionDep
) -> JSONResponse:
    """Move the clock forward (`to` a later time, or `days`), then run the scheduler's work that
    came due for your operator: effective dates, SLA alerts, quarantine ends, reminders,
    retention, and their jobs. Backwards is 422 `test_clock_not_forward`; a production operator
    is 409 `operator_not_sandbox`."""
    advanced: list[TestClockAdvanced] = []

    def effect(session: Session, _clock_time: datetime) -> Reply:
        # The advance is stamped with the wall clock's time; it moves the operator's own.
        advance = service.advance_clock(
            session,
            actor=call.actor,
            clock_id=clock_id,
            now=call.now,
            to=body.to,
            days=body.days,
            request_id=call.request_id,
        )
        read = _advanced(advance)
        advanced.append(read)
        return Reply(read)

    answer = await call.respond(effect)
    if not advanced or answer.status_code >= 400:
        return answer  # a refusal, or the replay of an earlier advance
    read = advanced[0]
    runtime = call.runtime
    # The handlers need the case context and transports; a server without a worker thread (or a
    # test's app) has not installed them yet.
    await run_in_threadpool(runtime.prepare_jobs_once)
    work = await run_in_threadpool(
        due.run_due_work,
        runtime.db,
        operator_id=read.clock.operator_id,
        clock_time=read.clock.frozen_time,
        wall=call.now,
        worker_id=_WORKER_ID,
    )
    read.due_work = DueWorkRead(
        scans=list(work.scans),
        scans_failed=list(work.scans_failed),
        jobs_run=work.jobs_run,
        jobs_pending=work.jobs_pending,
    )
    return JSONResponse(read.model_dump(mode="json"))


def _advanced(advance: Advance) -> TestClockAdvanced:
    return TestClockAdvanced(clock=TestClockRead.of(advance.clock), moved_from=advance.moved_from)
