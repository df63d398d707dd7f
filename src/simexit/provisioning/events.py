"""BSS events on a line: a top-up, a bill issued or paid, a usage mark, a SIM swap, a new ICCID,
IMSI or EID. Each updates the line (its values checked by the same field rules as
provisioning), writes one audit row, and re-checks the line's blocked cases: a case blocked by
the policy gates (unpaid bills, say) is submitted again by simexit itself when the line no
longer blocks it, so nobody has to resubmit. The gates are the case service's own (`preview`,
`submit`); nothing of the policy is repeated here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases import service as case_service
from simexit.cases.context import CaseContext
from simexit.cases.service.common import request_for
from simexit.lines import repository as line_repository
from simexit.models import Case, Line
from simexit.policies.model import Outcome
from simexit.principals import SYSTEM, Actor
from simexit.provisioning import repository
from simexit.provisioning.errors import invalid
from simexit.provisioning.rules import MAX_AMOUNT_MINOR, FieldProblem, check_line
from simexit.provisioning.service import Tenant, line_keys_free, tenant

log = structlog.get_logger()


class EventType(StrEnum):
    top_up = "top_up"  # prepaid credit added: amount (+ bonus_amount), on
    bill_issued = "bill_issued"  # a new unpaid bill: amount
    bill_paid = "bill_paid"  # a payment of unpaid bills: amount
    activity = "activity"  # chargeable usage seen: on
    sim_swap = "sim_swap"  # a new card or profile: iccid (+ imsi, eid)
    identifiers_changed = "identifiers_changed"  # iccid, imsi and/or eid corrected


ACTION = {
    EventType.top_up: "line.topped_up",
    EventType.bill_issued: "line.bill_issued",
    EventType.bill_paid: "line.bill_paid",
    EventType.activity: "line.activity_marked",
    EventType.sim_swap: "line.sim_swapped",
    EventType.identifiers_changed: "line.identifiers_changed",
}
IDENTIFIERS = ("iccid", "imsi", "eid")


@dataclass(frozen=True, slots=True)
class LineEvent:
    type: EventType
    amount: object = None  # a decimal string in the line's currency
    bonus_amount: object = None  # the part of a top-up that is bonus credit
    on: object = None  # the day it happened (ISO date); today when not given
    iccid: object = None
    imsi: object = None
    eid: object = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class EventResult:
    line: Line
    changed: tuple[str, ...]
    cases_resubmitted: tuple[Case, ...]


def record_event(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    line_id: uuid.UUID,
    event: LineEvent,
    now: datetime,
    request_id: str | None = None,
) -> EventResult:
    where = tenant(session, ctx, actor, now)
    line = line_repository.get_line(session, actor, line_id, for_update=True)
    values = _new_values(session, line, event, where)
    changes: dict[str, Any] = {}
    for column, value in values.items():
        before = getattr(line, column)
        if before != value:
            setattr(line, column, value)
            changes[column] = [_plain(before), _plain(value)]
    if not changes:  # an activity mark older than the last one: nothing to record
        return EventResult(line, (), recheck_blocked_cases(session, ctx, line, now=now))
    line.updated_at = now
    audit.record(
        session,
        operator_id=line.operator_id,
        actor=actor,
        action=ACTION[event.type],
        subject_type="line",
        subject_id=line.id,
        at=now,
        changes=changes,
        note=event.note,
        request_id=request_id,
    )
    moved = recheck_blocked_cases(session, ctx, line, now=now)
    log.info("line.event", line_id=str(line.id), kind=event.type.value, moved=len(moved))
    return EventResult(line, tuple(changes), moved)


# The job that runs `recheck_blocked_cases` for one line (`provisioning.tasks`), for writers that
# change lines without an event: the bulk import.
RECHECK_JOB = "lines.recheck_blocked_cases"


def recheck_blocked_cases(
    session: Session, ctx: CaseContext, line: Line, *, now: datetime
) -> tuple[Case, ...]:
    """Submit again each blocked case of the line that the policy would no longer block."""
    session.flush()
    moved: list[Case] = []
    for case in repository.blocked_cases_of_line(session, line.id):
        decision = case_service.preview(
            session, ctx, actor=SYSTEM, line_id=line.id, request=request_for(case), now=now
        )
        if decision.outcome is Outcome.block:
            continue
        moved.append(case_service.submit(session, ctx, actor=SYSTEM, case_id=case.id, now=now))
    return tuple(moved)


def _new_values(session: Session, line: Line, event: LineEvent, where: Tenant) -> dict[str, Any]:
    """The columns the event sets, after the field rules; every problem at once as one 422."""
    problems: list[FieldProblem] = []
    day = _day(event, where, problems)
    values: dict[str, Any] = {}
    if event.type in {EventType.top_up, EventType.bill_issued, EventType.bill_paid}:
        amount = _amount(event.amount, "amount", where, problems, required=True)
        if event.type is EventType.top_up:
            bonus = _amount(event.bonus_amount, "bonus_amount", where, problems, required=False)
            if amount is not None:
                values["balance_minor"] = line.balance_minor + amount
                values["bonus_balance_minor"] = line.bonus_balance_minor + (bonus or 0)
                values["last_topup_on"] = day
        elif event.type is EventType.bill_issued and amount is not None:
            values["unpaid_bills_minor"] = line.unpaid_bills_minor + amount
        elif amount is not None:
            if amount > line.unpaid_bills_minor:
                problems.append(
                    FieldProblem(
                        "amount", "exceeds_unpaid_bills", "is more than the line's unpaid bills"
                    )
                )
            values["unpaid_bills_minor"] = max(line.unpaid_bills_minor - amount, 0)
    elif event.type is EventType.activity:
        last = line.last_chargeable_activity_on
        values["last_chargeable_activity_on"] = max(day, last) if last else day
    else:
        values.update(_identifiers(session, line, event, where, problems))
    problems.extend(_within_range(values))
    if problems:
        raise invalid(problems)
    return values


def _within_range(values: dict[str, Any]) -> list[FieldProblem]:
    """A sum of amounts may pass what a line can hold (`MAX_AMOUNT_MINOR`)."""
    money_columns = ("balance_minor", "bonus_balance_minor", "unpaid_bills_minor")
    if any(abs(values.get(c, 0)) > MAX_AMOUNT_MINOR for c in money_columns):
        return [FieldProblem("amount", "amount_range", "would take the line past what it can hold")]
    return []


def _day(event: LineEvent, where: Tenant, problems: list[FieldProblem]) -> date:
    if event.on in (None, ""):
        return where.today
    cleaned, found = check_line(
        {"last_topup_on": event.on}, where.facts, today=where.today, partial=True
    )
    problems.extend(_renamed(found, "on"))
    day = cleaned.get("last_topup_on")
    return day if isinstance(day, date) else where.today


def _amount(
    value: object, name: str, where: Tenant, problems: list[FieldProblem], *, required: bool
) -> int | None:
    if value in (None, ""):
        if required:
            problems.append(FieldProblem(name, "required", "is required"))
        return None
    cleaned, found = check_line({"balance": value}, where.facts, today=where.today, partial=True)
    problems.extend(_renamed(found, name))
    minor = cleaned.get("balance_minor")
    if isinstance(minor, int) and minor == 0 and required:
        problems.append(FieldProblem(name, "positive", "must be more than zero"))
        return None
    return minor if isinstance(minor, int) else None


def _identifiers(
    session: Session, line: Line, event: LineEvent, where: Tenant, problems: list[FieldProblem]
) -> dict[str, Any]:
    given = {
        name: value
        for name, value in (("iccid", event.iccid), ("imsi", event.imsi), ("eid", event.eid))
        if value not in (None, "")
    }
    if event.type is EventType.sim_swap and "iccid" not in given and "eid" not in given:
        problems.append(FieldProblem("iccid", "required", "a SIM swap needs the new iccid"))
    elif not given:
        problems.append(FieldProblem("iccid", "required", "give at least one of iccid, imsi, eid"))
    cleaned, found = check_line(given, where.facts, today=where.today, partial=True)
    problems.extend(found)
    if not problems:
        line_keys_free(session, line.operator_id, cleaned, line.id)
    return cleaned


def _renamed(problems: list[FieldProblem], name: str) -> list[FieldProblem]:
    return [FieldProblem(name, p.rule, p.detail, p.params) for p in problems]


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value
