"""The console's queue for hundreds of cases: search, filters, cursor pages, the SLA clock, the
reason each case waits, claim and assign, "next case", and one decision for many cases."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session as DbSession
from starlette.datastructures import QueryParams

from simexit.cases import repository
from simexit.cases import service as cases
from simexit.cases.errors import AssigneeNotFound
from simexit.cases.repository import QueueAfter, QueueQuery, QueueRow
from simexit.cases.service.common import today_for
from simexit.cases.service.review import REJECTION_REASONS
from simexit.cases.sla import sla_clock
from simexit.errors import DomainError, NotFound
from simexit.models import StaffUser
from simexit.principals import StaffRole
from simexit.staff import repository as staff_repository
from simexit.transactions import run_read, run_write
from simexit.web.deps import PageDep, StaffDep, StaffPost, StaffPostDep
from simexit.web.forms import FormErrors, WebForm, trimmed, trimmed_or_none
from simexit.web.i18n import N_, Texts
from simexit.web.rendering import is_htmx
from simexit.web.routes.common import now
from simexit.web.routes.console.cases import (
    NEXT_STATUSES,
    NOT_PERMITTED,
    ConsoleAction,
    NotPermitted,
    RejectForm,
    decide,
    decided_notice,
)
from simexit.web.routes.console.permissions import ASSIGNING_ROLES, staff_actor
from simexit.web.routes.console.sla import clock_text
from simexit.web.routes.console.why import short_reason
from simexit.web.security import SecureRoute
from simexit.web.texts import CASE_TYPE, CHANNEL, REASONS, REJECTION, ROLE, STATUS, label
from simexit.web.views import OPEN_FOR_SLA

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

QUEUE_STATUSES = (
    "in_review",
    "information_required",
    "blocked",
    "submitted",
    "failed",
    "approved",
    "awaiting_verification",
)
PAGE_SIZE = 50
BULK_MAX = 100
NO_CASES_CHOSEN = N_("Choose at least one case.")
TOO_MANY_CASES = N_("Choose at most {limit} cases at once.")
NOTHING_TO_DO = N_("Nothing waits for you in the queue now.")

# The position in the due order as `<due YYYYMMDD, 00000000 for none>-<created, microseconds
# since the epoch, 16 digits>-<id, 32 hex digits>` (the API's cursor with the due day in front).
CURSOR_RE = re.compile(r"^([0-9]{8})-([0-9]{16})-([0-9a-f]{32})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(row: QueueRow) -> str:
    case = row.case
    due = case.sla_due_date.strftime("%Y%m%d") if case.sla_due_date else "00000000"
    micros = (case.created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{due}-{micros:016d}-{case.id.hex}"


def decode_cursor(raw: str | None) -> QueueAfter | None:
    """The position a cursor names; None (the first page) for anything unreadable."""
    found = CURSOR_RE.fullmatch(raw or "")
    if found is None:
        return None
    due_text, micros, row_id = found.groups()
    try:
        due = None if due_text == "00000000" else datetime.strptime(due_text, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        return None
    return due, _EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(hex=row_id)


@dataclass(frozen=True)
class Filters:
    """The queue's query string, read leniently: an unknown value narrows nothing."""

    q: str
    status: str
    type: str
    reason: str
    channel: str
    overdue: bool
    assignee: str  # "", "me", "none" or a staff id
    due_before: str
    cursor: str

    @classmethod
    def of(cls, query: QueryParams) -> Filters:
        def get(name: str, allowed: Any = None, limit: int = 100) -> str:
            value = query.get(name, "").strip()[:limit]
            return value if allowed is None or value in allowed else ""

        return cls(
            q=get("q"),
            status=get("status", STATUS),
            type=get("type", CASE_TYPE),
            reason=get("reason", REASONS),
            channel=get("channel", CHANNEL),
            overdue=query.get("overdue") == "1",
            assignee=get("assignee", limit=40),
            due_before=get("due_before", limit=10),
            cursor=get("cursor", limit=60),
        )

    def query(self, staff: StaffUser, today: date) -> QueueQuery:
        try:
            due_before = date.fromisoformat(self.due_before) if self.due_before else None
        except ValueError:
            due_before = None
        assignee_id: uuid.UUID | None = None
        if self.assignee == "me":
            assignee_id = staff.id
        elif self.assignee not in {"", "none"}:
            try:
                assignee_id = uuid.UUID(self.assignee)
            except ValueError:
                assignee_id = None
        return QueueQuery(
            statuses=[self.status] if self.status else list(QUEUE_STATUSES),
            case_type=self.type or None,
            search=self.q or None,
            reason_code=self.reason or None,
            channel=self.channel or None,
            overdue_on=today if self.overdue else None,
            overdue_statuses=[s.value for s in OPEN_FOR_SLA],
            assignee_id=assignee_id,
            unassigned=self.assignee == "none",
            due_before=due_before,
        )

    def params(self, **changes: str) -> dict[str, str]:
        """The non-empty filters as query parameters, with `changes` applied."""
        values = {
            "q": self.q,
            "status": self.status,
            "type": self.type,
            "reason": self.reason,
            "channel": self.channel,
            "overdue": "1" if self.overdue else "",
            "assignee": self.assignee,
            "due_before": self.due_before,
            **changes,
        }
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class QueueLine:
    """One row of the queue as the table shows it."""

    row: QueueRow
    clock: str
    due_title: str
    overdue: bool
    why: list[str]


def queue_line(t: Texts, row: QueueRow, *, timezone: str, moment: datetime) -> QueueLine:
    case = row.case
    clock = sla_clock(case.sla_due_date, timezone=timezone, now=moment)
    running = clock is not None and case.status in OPEN_FOR_SLA
    currency = case.preview.currency if case.preview is not None else None
    findings = case.blockers if case.status == "blocked" else case.review_reasons
    return QueueLine(
        row=row,
        clock=clock_text(t, clock) if clock is not None and running else "",
        due_title=(
            t(
                N_("Answer due by {date} 24:00 ({zone})"),
                date=t.date(case.sla_due_date),
                zone=timezone,
            )
            if case.sla_due_date
            else ""
        ),
        overdue=bool(clock is not None and running and clock.overdue),
        why=[short_reason(t, f, currency) for f in findings],
    )


@router.get("/console", name="console:queue", response_class=HTMLResponse, response_model=None)
async def queue(page: PageDep, staff: StaffDep) -> Response:
    filters = Filters.of(page.request.query_params)
    moment = now()

    t = page.texts(staff.language)

    def read(db: DbSession) -> tuple[list[QueueRow], str, list[StaffUser], str | None]:
        operator = repository.operator(db, staff.operator_id)
        rows = repository.queue_page(
            db,
            staff_actor(staff),
            filters.query(staff, today_for(operator, moment)),
            after=decode_cursor(filters.cursor),
            limit=PAGE_SIZE + 1,
        )
        colleagues = repository.staff_of_operator(db, staff.operator_id)
        return (
            rows,
            operator.timezone,
            colleagues,
            decided_notice(db, page, staff, t, on_next=False),
        )

    rows, timezone, colleagues, decided = await run_read(page.db, read)
    shown, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    next_url = None
    if more:
        target = page.request.url.replace_query_params(
            **filters.params(cursor=encode_cursor(shown[-1]))
        )
        next_url = f"{target.path}?{target.query}"
    first_url = None
    if filters.cursor:
        target = page.request.url.replace_query_params(**filters.params(cursor=""))
        first_url = f"{target.path}?{target.query}" if target.query else target.path
    return page.render(
        "console/_queue_table.html" if is_htmx(page.request) else "console/queue.html",
        {
            "staff": staff,
            "lines": [queue_line(t, r, timezone=timezone, moment=moment) for r in shown],
            "f": filters,
            "statuses": STATUS,
            "types": CASE_TYPE,
            "reasons": REASONS,
            "channels": CHANNEL,
            "rejection": REJECTION,
            "rejection_reasons": sorted(REJECTION_REASONS),
            "colleagues": colleagues,
            "label": label,
            "role": label(t, ROLE, staff.role),
            "next_url": next_url,
            "first_url": first_url,
            "timezone": timezone,
            "decided": decided,
        },
        t=t,
    )


@router.get("/console/next", name="console:next", response_model=None)
async def next_case(page: PageDep, staff: StaffDep) -> Response:
    """The earliest due case that is the agent's or nobody's, or the queue if none waits."""
    found = await run_read(
        page.db,
        lambda db: repository.next_in_queue(
            db, staff_actor(staff), statuses=NEXT_STATUSES, staff_id=staff.id
        ),
    )
    if found is None:
        return page.redirect("console:queue", query={"empty": "1"})
    return page.redirect("console:case", case_id=found)


# -- claim and assign ---------------------------------------------------------------------------


class AssignForm(WebForm):
    # "me" claims; "" hands the case back; a staff id assigns (supervisors and admins).
    assignee: Annotated[str, trimmed(40)] = "me"
    back: Annotated[str | None, trimmed_or_none(10)] = None


def _assign(db: DbSession, post: StaffPost, case_id: uuid.UUID, form: AssignForm) -> None:
    staff = post.staff
    if form.assignee == "me":
        assignee: StaffUser | None = staff
    elif form.assignee == "":
        assignee = None
    else:
        if StaffRole(staff.role) not in ASSIGNING_ROLES:
            raise NotPermitted
        try:
            wanted = uuid.UUID(form.assignee)
        except ValueError:
            wanted = None
        assignee = (
            staff_repository.get(db, staff.operator_id, wanted, for_update=False)
            if wanted is not None
            else None
        )
        if assignee is None:
            raise AssigneeNotFound(N_("Choose a staff member of this operator."))
    current = repository.get_case(db, staff_actor(staff), case_id)
    if (
        assignee is None
        and current.assignee_id not in {None, staff.id}
        and StaffRole(staff.role) not in ASSIGNING_ROLES
    ):
        raise NotPermitted  # an agent hands back only their own cases
    cases.assign(db, actor=staff_actor(staff), case_id=case_id, assignee=assignee, now=now())


@router.post("/console/cases/{case_id}/assign", name="console:assign", response_model=None)
async def assign(post: StaffPostDep, case_id: uuid.UUID) -> Response:
    form = post.parse(AssignForm)
    if isinstance(form, FormErrors):
        return post.error(form.text(post.t), status_code=400)
    try:
        await run_write(post.db, lambda db: _assign(db, post, case_id, form))
    except NotPermitted:
        return post.error(post.t(NOT_PERMITTED), status_code=403)
    except NotFound:
        return post.not_found()
    except DomainError as error:  # a closed case (409), no such colleague (422)
        return post.error(post.t(error.message), status_code=error.status)
    if form.back == "queue":
        return post.redirect("console:queue")
    return post.redirect("console:case", case_id=case_id)


# -- one decision for many cases ----------------------------------------------------------------


class BulkForm(WebForm):
    action: Annotated[str, trimmed(20)] = ""
    reason: Annotated[str, trimmed(40)] = ""
    note: Annotated[str | None, trimmed_or_none(2000)] = None


@dataclass(frozen=True)
class BulkOutcome:
    case_id: uuid.UUID
    reference: str
    done: bool
    message: str


def _reference(db: DbSession, staff: StaffUser, case_id: uuid.UUID) -> str:
    try:
        return repository.get_case(db, staff_actor(staff), case_id).reference
    except NotFound:
        return str(case_id)


async def _decide_one(
    post: StaffPost, case_id: uuid.UUID, action: ConsoleAction, form: RejectForm
) -> BulkOutcome:
    """One case of a bulk decision, in its own transaction through the same call as a single
    decision (so each leaves its own audit row, and one refusal leaves the others decided)."""
    t = post.t
    try:
        await run_write(post.db, lambda db: decide(db, post, case_id, action, form))
    except NotPermitted:
        message, done = t(NOT_PERMITTED), False
    except NotFound:
        message, done = t(N_("No such case.")), False
    except DomainError as error:
        message, done = t(error.message), False
    else:
        message = t(N_("Approved")) if action is ConsoleAction.approve else t(N_("Not approved"))
        done = True
    reference = await run_read(post.db, lambda db: _reference(db, post.staff, case_id))
    return BulkOutcome(case_id, reference, done, message)


def _case_ids(raw: list[Any]) -> list[uuid.UUID] | None:
    found: list[uuid.UUID] = []
    for value in raw:
        try:
            case_id = uuid.UUID(str(value))
        except ValueError:
            return None
        if case_id not in found:
            found.append(case_id)
    return found


@router.post("/console/bulk", name="console:bulk", response_class=HTMLResponse, response_model=None)
async def bulk(post: StaffPostDep) -> Response:
    form = post.parse(BulkForm)
    t = post.texts(post.staff.language)
    if isinstance(form, FormErrors):
        return post.error(form.text(t), status_code=400)
    action = ConsoleAction.of(form.action)
    if action not in {ConsoleAction.approve, ConsoleAction.reject}:
        return post.error(t(N_("Choose approve or reject.")), status_code=400)
    case_ids = _case_ids(post.form.getlist("case_id"))
    if not case_ids:
        return post.error(t(NO_CASES_CHOSEN), status_code=400)
    if len(case_ids) > BULK_MAX:
        return post.error(t(TOO_MANY_CASES, limit=BULK_MAX), status_code=400)
    if action is ConsoleAction.reject and form.reason not in REJECTION_REASONS:
        return post.error(t(N_("Choose a reason for rejecting.")), status_code=400)
    decision = RejectForm(note=form.note, reason=form.reason)
    outcomes = [await _decide_one(post, case_id, action, decision) for case_id in case_ids]
    done = sum(1 for o in outcomes if o.done)
    return post.render(
        "console/bulk.html",
        {
            "staff": post.staff,
            "outcomes": outcomes,
            "done": done,
            "failed": len(outcomes) - done,
        },
        t=t,
    )
