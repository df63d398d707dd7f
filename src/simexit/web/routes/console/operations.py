"""Console operations: SIM cards still to come back, failed work and dead jobs, the message sink."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from simexit.audit import service as audit
from simexit.cases import repository
from simexit.errors import DomainError, NotFound
from simexit.jobs import admin as jobs_admin
from simexit.lines import service as lines_service
from simexit.models import Line
from simexit.notifications.service import list_sink_messages
from simexit.transactions import run_read, run_write
from simexit.web.deps import PageDep, StaffDep, StaffPostDep
from simexit.web.forms import WebForm, trimmed_or_none
from simexit.web.routes.common import now
from simexit.web.routes.console.cases import NOT_PERMITTED
from simexit.web.routes.console.permissions import JOB_RETRY_ROLES, staff_actor
from simexit.web.security import SecureRoute
from simexit.web.texts import JOB_STATUS, MESSAGE_CHANNEL, MESSAGE_KIND, label

router = APIRouter(route_class=SecureRoute, include_in_schema=False)


class SimReturnForm(WebForm):
    note: Annotated[str | None, trimmed_or_none(500)] = None


@router.get(
    "/console/sim-returns",
    name="console:sim_returns",
    response_class=HTMLResponse,
    response_model=None,
)
async def sim_returns(page: PageDep, staff: StaffDep) -> Response:
    def read(db: DbSession) -> list[Line]:
        return list(
            db.scalars(
                select(Line)
                .where(
                    Line.operator_id == staff.operator_id,
                    Line.sim_return_required.is_(True),
                    Line.sim_returned_at.is_(None),
                )
                .order_by(Line.terminated_on, Line.msisdn)
            )
        )

    rows = await run_read(page.db, read)
    return page.render(
        "console/sim_returns.html",
        {"staff": staff, "rows": rows, "done": page.request.query_params.get("done", "")},
        t=page.texts(staff.language),
    )


@router.post("/console/sim-returns/{line_id}", name="console:sim_return", response_model=None)
async def sim_return(post: StaffPostDep, line_id: uuid.UUID) -> Response:
    form = post.parse(SimReturnForm)
    note = form.note if isinstance(form, SimReturnForm) else None  # nothing can be refused
    actor = staff_actor(post.staff)

    def record(db: DbSession) -> str:
        line = lines_service.record_sim_return(
            db, actor=actor, line_id=line_id, now=now(), note=note
        )
        return line.msisdn

    try:
        msisdn = await run_write(post.db, record)
    except NotFound:
        return post.not_found()
    except DomainError as error:
        return post.error(error.message, status_code=409)
    return post.redirect("console:sim_returns", query={"done": msisdn})


@router.get("/console/jobs", name="console:jobs", response_class=HTMLResponse, response_model=None)
async def jobs(page: PageDep, staff: StaffDep) -> Response:
    def read(db: DbSession) -> tuple[Any, Any, Any]:
        failed = repository.list_cases(
            db, staff_actor(staff), statuses=["failed"], order="due", limit=100
        )
        mine = staff.operator_id
        dead = jobs_admin.list_jobs(db, status="dead", limit=100, scope=mine)
        return failed, dead, jobs_admin.count_by_status(db, scope=mine)

    failed, dead, counts = await run_read(page.db, read)
    return page.render(
        "console/jobs.html",
        {
            "staff": staff,
            "failed": failed,
            "dead": dead,
            "counts": counts,
            "job_status": JOB_STATUS,
            "label": label,
            "may_retry": staff.role in JOB_RETRY_ROLES,
        },
        t=page.texts(staff.language),
    )


@router.post("/console/jobs/{job_id}/retry", name="console:job_retry", response_model=None)
async def job_retry(post: StaffPostDep, job_id: uuid.UUID) -> Response:
    if post.staff.role not in JOB_RETRY_ROLES:
        return post.error(post.t(NOT_PERMITTED), status_code=403)
    try:
        await run_write(
            post.db,
            lambda db: audit.retry_job_audited(
                db,
                job_id=job_id,
                now=now(),
                scope=post.staff.operator_id,
                actor=staff_actor(post.staff),
            ),
        )
    except NotFound:
        return post.not_found()
    except DomainError as error:
        return post.error(error.message, status_code=409)
    return post.redirect("console:jobs")


@router.get(
    "/console/messages",
    name="console:messages",
    response_class=HTMLResponse,
    response_model=None,
)
async def messages(page: PageDep, staff: StaffDep) -> Response:
    rows = await run_read(
        page.db, lambda db: list_sink_messages(db, operator_id=staff.operator_id, limit=100)
    )
    return page.render(
        "console/messages.html",
        {
            "staff": staff,
            "rows": rows,
            "channels": MESSAGE_CHANNEL,
            "kinds": MESSAGE_KIND,
            "label": label,
        },
        t=page.texts(staff.language),
    )
