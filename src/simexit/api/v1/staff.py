"""Staff users of the caller's operator: create, list, read, change, disable, reset a password.

Admin scope only (`access.scopes.require_admin`). A password is checked and hashed (argon2) in
the thread pool before the write transaction opens; it is never returned, logged or audited.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from simexit.api.deps import ActorDep, ReadSessionDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.admin import Cursor, Limit, admin_operator, decode_cursor
from simexit.api.v1.admin_schemas import (
    PasswordReset,
    Role,
    StaffCreate,
    StaffList,
    StaffRead,
    StaffUpdate,
)
from simexit.api.v1.paging import page_of
from simexit.principals import StaffRole
from simexit.staff import service
from simexit.transactions import run_blocking, run_read

router = APIRouter(prefix="/v1/staff", tags=["staff"])


@router.post(
    "",
    name="create_staff",
    status_code=201,
    response_model=StaffRead,
    responses=responses(401, 403, 409, 422),
)
async def create_staff(body: StaffCreate, call: TransactionDep) -> JSONResponse:
    """A staff user who signs in to the console with this e-mail address and password."""
    # The key is checked (in the thread pool) before any argon2 work is spent on the request.
    operator_id = await run_blocking(lambda: admin_operator(call.actor))
    hasher = call.runtime.passwords
    password = await run_blocking(
        lambda: service.prepare_password(body.password, email=body.email, hasher=hasher.hash)
    )
    new = service.NewStaff(
        email=body.email,
        full_name=body.full_name,
        role=StaffRole(body.role),
        language=body.language,
    )

    def effect(session: Session, now: datetime) -> Reply:
        staff = service.create_staff(
            session,
            actor=call.actor,
            operator_id=operator_id,
            new=new,
            password=password,
            now=now,
            request_id=call.request_id,
        )
        return Reply(StaffRead.of(staff), 201, f"/v1/staff/{staff.id}")

    return await call.respond(effect)


@router.get("", name="list_staff", response_model=StaffList, responses=responses(401, 403, 422))
def list_staff(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    role: Role | None = None,
    include_disabled: bool = True,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> StaffList:
    """Newest first."""
    operator_id = admin_operator(actor)
    rows = service.list_staff(
        session,
        operator_id,
        role=StaffRole(role) if role else None,
        include_disabled=include_disabled,
        after=decode_cursor(cursor),
        limit=limit + 1,
    )
    page, next_cursor, next_url = page_of(request, rows, limit)
    return StaffList(items=[StaffRead.of(s) for s in page], next_cursor=next_cursor, next=next_url)


@router.get(
    "/{staff_id}",
    name="get_staff",
    response_model=StaffRead,
    responses=responses(401, 403, 404, 422),
)
def get_staff(staff_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep) -> StaffRead:
    return StaffRead.of(service.get_staff(session, admin_operator(actor), staff_id))


@router.patch(
    "/{staff_id}",
    name="update_staff",
    response_model=StaffRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def update_staff(
    staff_id: uuid.UUID, body: StaffUpdate, call: TransactionDep
) -> JSONResponse:
    """Change the name, role or language; a field left out (or null) stays as it is."""
    change = service.StaffChange(
        full_name=body.full_name,
        role=StaffRole(body.role) if body.role else None,
        language=body.language,
    )

    def effect(session: Session, now: datetime) -> Reply:
        staff = service.update_staff(
            session,
            actor=call.actor,
            operator_id=admin_operator(call.actor),
            staff_id=staff_id,
            change=change,
            now=now,
            request_id=call.request_id,
        )
        return Reply(StaffRead.of(staff))

    return await call.respond(effect)


@router.post(
    "/{staff_id}/disable",
    name="disable_staff",
    response_model=StaffRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def disable_staff(staff_id: uuid.UUID, call: TransactionDep) -> JSONResponse:
    """The user can no longer sign in, and every web session of theirs ends now. Idempotent."""

    def effect(session: Session, now: datetime) -> Reply:
        staff = service.disable_staff(
            session,
            actor=call.actor,
            operator_id=admin_operator(call.actor),
            staff_id=staff_id,
            now=now,
            request_id=call.request_id,
        )
        return Reply(StaffRead.of(staff))

    return await call.respond(effect)


@router.post(
    "/{staff_id}/reset-password",
    name="reset_staff_password",
    response_model=StaffRead,
    responses=responses(401, 403, 404, 422),
)
async def reset_staff_password(
    staff_id: uuid.UUID, body: PasswordReset, call: TransactionDep
) -> JSONResponse:
    """Set a new password (the rule as on creation); the user's web sessions end."""
    operator_id = await run_blocking(lambda: admin_operator(call.actor))
    email = await run_read(
        call.runtime.db, lambda session: service.email_of(session, operator_id, staff_id)
    )
    hasher = call.runtime.passwords
    password = await run_blocking(
        lambda: service.prepare_password(body.password, email=email, hasher=hasher.hash)
    )

    def effect(session: Session, now: datetime) -> Reply:
        staff = service.reset_password(
            session,
            actor=call.actor,
            operator_id=operator_id,
            staff_id=staff_id,
            password=password,
            now=now,
            request_id=call.request_id,
        )
        return Reply(StaffRead.of(staff))

    return await call.respond(effect)
