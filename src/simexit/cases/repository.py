"""Every query for cases and the lines they act on, scoped to the principal's tenant.

A principal that may not see a row gets "not found", never "forbidden", so ids can't be probed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from simexit.cases.errors import CaseNotFound
from simexit.cases.outcomes import OutcomeFact
from simexit.cases.states import OPEN, CaseStatus
from simexit.cases.teardown import StepRecord
from simexit.errors import NotFound
from simexit.lines.errors import LineNotFound
from simexit.models import (
    Case,
    Line,
    PortOut,
    ReferenceCounter,
    StaffUser,
    Subscriber,
    TeardownStep,
    Verification,
)
from simexit.operators.repository import OperatorInfo, operator_info
from simexit.prepared import Prepared
from simexit.principals import Actor
from simexit.principals.scoping import by_id_in_scope, scope
from simexit.verification.states import VerificationStatus


def get_case(
    session: Session, actor: Actor, case_id: uuid.UUID, *, for_update: bool = False
) -> Case:
    statement, parameters = by_id_in_scope(Case, actor, for_update)
    parameters["id"] = case_id
    case: Case | None = session.scalars(statement, parameters).one_or_none()
    if case is None:
        raise CaseNotFound("no such case", field="case_id", case_id=str(case_id))
    return case


def get_case_by_reference(session: Session, actor: Actor, reference: str) -> Case:
    statement = scope(select(Case).where(Case.reference == reference), actor, Case)
    case: Case | None = session.scalars(statement).one_or_none()
    if case is None:
        raise CaseNotFound("no such case", field="reference", reference=reference)
    return case


_OPEN_CASE_OF_LINE = select(Case.id).where(
    Case.line_id == bindparam("line_id"),
    Case.type == bindparam("case_type"),
    Case.status.in_([s.value for s in OPEN]),
)


def open_case_for(session: Session, line_id: uuid.UUID, case_type: str) -> Case | None:
    """The line's open case of this type. Looked for by id first: usually there is none, and
    then no entity is loaded."""
    found = (
        session.connection()
        .execute(_OPEN_CASE_OF_LINE, {"line_id": line_id, "case_type": case_type})
        .scalar_one_or_none()
    )
    return session.get(Case, found) if found is not None else None


def list_cases(
    session: Session,
    actor: Actor,
    *,
    statuses: Sequence[str] = (),
    case_type: str | None = None,
    line_id: uuid.UUID | None = None,
    due_before: date | None = None,
    after: tuple[datetime, uuid.UUID] | None = None,
    order: str = "created",
    limit: int = 50,
) -> list[Case]:
    """Cursor-paginated: `after` is the (created_at, id) of the last row seen; stable under inserts."""
    statement = scope(select(Case), actor, Case)
    if statuses:
        statement = statement.where(Case.status.in_(list(statuses)))
    if case_type:
        statement = statement.where(Case.type == case_type)
    if line_id:
        statement = statement.where(Case.line_id == line_id)
    if due_before:
        statement = statement.where(Case.sla_due_date <= due_before)
    if order == "due":
        statement = statement.order_by(
            Case.sla_due_date.is_(None), Case.sla_due_date, Case.created_at, Case.id
        )
        return list(session.scalars(statement.limit(limit)))
    if after is not None:
        created, last_id = after
        statement = statement.where(
            or_(Case.created_at < created, and_(Case.created_at == created, Case.id < last_id))
        )
    statement = statement.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)
    return list(session.scalars(statement))


def count_by_status(session: Session, operator_id: uuid.UUID | None = None) -> dict[str, int]:
    statement = select(Case.status, func.count()).group_by(Case.status)
    if operator_id is not None:
        statement = statement.where(Case.operator_id == operator_id)
    return {str(status): int(count) for status, count in session.execute(statement).all()}


def cases_due_for_execution(
    session: Session, *, today_by_operator: dict[uuid.UUID, date], limit: int
) -> list[Case]:
    found: list[Case] = []
    for operator_id, today in today_by_operator.items():
        found.extend(
            session.scalars(
                select(Case)
                .where(
                    Case.operator_id == operator_id,
                    Case.status == CaseStatus.approved,
                    Case.effective_date <= today,
                    # A port-out waits for the recipient's completion, never for a date.
                    Case.type != "port_out",
                )
                .limit(limit)
            )
        )
    return found[:limit]


def stale_drafts(
    session: Session, *, older_than: datetime, limit: int, operator_ids: list[uuid.UUID]
) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .where(
                Case.operator_id.in_(operator_ids),
                Case.status.in_([CaseStatus.draft, CaseStatus.awaiting_verification]),
                Case.status_changed_at < older_than,
            )
            .limit(limit)
        )
    )


def latest_verification(
    session: Session, case_id: uuid.UUID, *, for_update: bool = False
) -> Verification | None:
    statement = (
        select(Verification)
        .where(Verification.case_id == case_id)
        .order_by(Verification.created_at.desc())
        .limit(1)
    )
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).first()


def verification(session: Session, verification_id: uuid.UUID) -> Verification | None:
    return session.get(Verification, verification_id)


def verification_for_update(session: Session, verification_id: uuid.UUID) -> Verification | None:
    """One check by id, locked; callers then load its case within the actor's scope."""
    found: Verification | None = session.scalars(
        select(Verification).where(Verification.id == verification_id).with_for_update()
    ).one_or_none()
    return found


_PASSED_METHOD = Prepared(
    select(Verification.method)
    .where(
        Verification.case_id == bindparam("case_id"),
        Verification.status == VerificationStatus.passed,
    )
    .order_by(Verification.verified_at.desc())
    .limit(1)
)


def passed_verification_method(session: Session, case_id: uuid.UUID) -> str | None:
    """The method of the case's latest passed identity check, or None if none passed."""
    found = _PASSED_METHOD.scalars(session, {"case_id": case_id})
    return str(found[0]) if found else None


def verifications_of(session: Session, case_id: uuid.UUID) -> list[Verification]:
    return list(
        session.scalars(
            select(Verification)
            .where(Verification.case_id == case_id)
            .order_by(Verification.created_at)
        )
    )


def speak_to_subscriber_in(session: Session, subscriber_id: uuid.UUID, language: str) -> int:
    """The subscriber's open cases send their next messages in `language`; how many changed."""
    result = session.execute(
        update(Case)
        .where(
            Case.subscriber_id == subscriber_id,
            Case.status.in_([s.value for s in OPEN]),
            Case.language != language,
        )
        .values(language=language)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def pending_port_out(session: Session, line_id: uuid.UUID) -> tuple[PortOut, Case | None] | None:
    """The line's pending port-out and the case that carries it out, if any."""
    port = session.scalars(
        select(PortOut)
        .where(PortOut.line_id == line_id, PortOut.status == "pending")
        .order_by(PortOut.requested_at.desc())
        .limit(1)
    ).first()
    if port is None:
        return None
    return port, (session.get(Case, port.case_id) if port.case_id is not None else None)


def completed_port_of_case(session: Session, case_id: uuid.UUID) -> PortOut | None:
    """The completed port-out a `port_out` case carries out, if the recipient completed one."""
    return session.scalars(
        select(PortOut).where(PortOut.case_id == case_id, PortOut.status == "completed").limit(1)
    ).first()


def operator(session: Session, operator_id: uuid.UUID) -> OperatorInfo:
    try:
        return operator_info(session, operator_id)
    except NotFound:
        raise LineNotFound("no such operator", field="operator_id") from None


_BUMP_COUNTER = Prepared(
    update(ReferenceCounter)
    .where(
        ReferenceCounter.operator_id == bindparam("counter_operator_id"),
        ReferenceCounter.year == bindparam("counter_year"),
    )
    .values(last_value=ReferenceCounter.last_value + 1)
    .returning(ReferenceCounter.last_value)
)
_CREATE_COUNTER = Prepared(
    sqlite_insert(ReferenceCounter)
    .values(
        operator_id=bindparam("counter_operator_id"),
        year=bindparam("counter_year"),
        last_value=0,
    )
    .on_conflict_do_nothing(index_elements=["operator_id", "year"])
)
_COUNTER_VALUE = select(ReferenceCounter.last_value).where(
    ReferenceCounter.operator_id == bindparam("counter_operator_id"),
    ReferenceCounter.year == bindparam("counter_year"),
)
# One round trip: the next number, or NULL when the sequence does not exist (yet, or any more).
_NEXTVAL = text(
    "SELECT CASE WHEN to_regclass(CAST(:sequence AS text)) IS NULL THEN NULL "
    "ELSE nextval(CAST(CAST(:sequence AS text) AS regclass)) END"
)
_ACCEPT_CATALOGUE_CHANGES = text("LOCK TABLE reference_counters IN ACCESS SHARE MODE")
_CREATION_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:sequence))")


def next_reference_number(session: Session, operator_id: uuid.UUID, year: int) -> int:
    """The next number of the operator's case references for `year`: unique and increasing.

    On PostgreSQL it comes from a sequence per operator and year (`nextval` holds no lock to
    commit, so an operator's concurrent openers never wait on each other; a rolled-back case
    leaves a gap, see docs/adr/0006-case-references-may-have-gaps.md). On SQLite, whose writers
    take turns anyway, it is the counter row bumped in the case's own transaction, which stays
    gap-free."""
    key = {"counter_operator_id": operator_id, "counter_year": year}
    if session.get_bind().dialect.name == "postgresql":
        sequence = f"case_reference_{operator_id.hex}_{year}"
        number = session.execute(_NEXTVAL, {"sequence": sequence}).scalar_one()
        if number is None:  # the operator's first case of the year
            _create_sequence(session, key, sequence)
            number = session.execute(_NEXTVAL, {"sequence": sequence}).scalar_one()
        return int(number)
    bumped = _BUMP_COUNTER.scalars(session, key)
    if not bumped:
        _CREATE_COUNTER.run(session, key)
        bumped = _BUMP_COUNTER.scalars(session, key)
    (value,) = bumped
    return int(value)


def _create_sequence(session: Session, key: dict[str, object], sequence: str) -> None:
    """Create the operator's sequence for the year, starting after the year's counter row where
    one was kept before sequences (an upgraded database).

    DDL on a connection of its own, committed at once: the sequence outlives this case's
    transaction whatever happens to it. Racing creators take turns on an advisory lock, so the
    second one finds the sequence instead of failing on the catalogue."""
    with session.get_bind().engine.begin() as connection:
        connection.execute(_CREATION_LOCK, {"sequence": sequence})
        start = connection.execute(_COUNTER_VALUE, key).scalar()
        connection.exec_driver_sql(
            f"CREATE SEQUENCE IF NOT EXISTS {sequence} START WITH {(start or 0) + 1}"
        )
    # PostgreSQL reads other sessions' catalogue changes when it next takes a relation lock;
    # until then this session's name look-up may still miss the new sequence.
    session.execute(_ACCEPT_CATALOGUE_CHANGES)


def teardown_rows(session: Session, case_id: uuid.UUID) -> dict[str, TeardownStep]:
    """The recorded teardown steps of a case, by step name (loaded for change)."""
    rows = session.scalars(select(TeardownStep).where(TeardownStep.case_id == case_id))
    return {r.step: r for r in rows}


def teardown_records(session: Session, case_id: uuid.UUID) -> dict[str, StepRecord]:
    """The recorded teardown steps of a case, by step name, as plain values."""
    return {
        name: StepRecord(r.step, r.status, r.attempts, r.outcome, r.detail, r.updated_at)
        for name, r in teardown_rows(session, case_id).items()
    }


def latest_completed(session: Session, *, line_id: uuid.UUID, case_type: str) -> Case | None:
    """The line's most recently completed case of this type."""
    return session.scalars(
        select(Case)
        .where(Case.line_id == line_id, Case.type == case_type, Case.status == CaseStatus.completed)
        .order_by(Case.completed_at.desc())
        .limit(1)
    ).first()


# -- the console's queue ------------------------------------------------------------------------

# The position after a row of the due-date order: (sla_due_date or None, created_at, id).
QueueAfter = tuple[date | None, datetime, uuid.UUID]
UNASSIGNED = "none"


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """What the agent narrowed the queue to; empty fields narrow nothing."""

    statuses: Sequence[str] = ()
    case_type: str | None = None
    search: str | None = None  # a reference, a number (or its digits), part of a name
    reason_code: str | None = None
    channel: str | None = None
    overdue_on: date | None = None  # only cases whose answer was due before this day
    overdue_statuses: Sequence[str] = ()
    assignee_id: uuid.UUID | None = None
    unassigned: bool = False
    due_before: date | None = None


@dataclass(frozen=True, slots=True)
class QueueRow:
    case: Case
    msisdn: str
    subscriber_name: str | None
    assignee_name: str | None


_NUMBER_CHARACTERS = frozenset("0123456789 +-()")


def _number_digits(term: str) -> str | None:
    """The digits of a term written as a phone number (`+47 900 00 123`), else None."""
    if not term or any(ch not in _NUMBER_CHARACTERS for ch in term):
        return None
    digits = "".join(ch for ch in term if ch.isdigit())
    return digits if len(digits) >= 3 else None


def _searched(statement: Select[Any], search: str) -> Select[Any]:
    """Cases whose reference starts with, whose number contains the digits of (when `search` is
    written as a number), or whose subscriber's name contains `search` (case-insensitively)."""
    term = search.strip()
    matches = [
        Case.reference.startswith(term.upper(), autoescape=True),
        func.lower(Subscriber.full_name).contains(term.lower(), autoescape=True),
    ]
    digits = _number_digits(term)
    if digits is not None:
        matches.append(Line.msisdn.contains(digits, autoescape=True))
    return statement.where(or_(*matches))


def queue_statement(
    actor: Actor, query: QueueQuery, *, after: QueueAfter | None = None, limit: int = 50
) -> Select[Any]:
    """The queue in due order (earliest answer first, undated last, then oldest): one page of
    (case, number, subscriber's name, assignee's name) after the position `after`."""
    joined = cast(
        "Select[Any]",
        select(Case, Line.msisdn, Subscriber.full_name, StaffUser.full_name)
        .join(Line, Line.id == Case.line_id)
        .join(Subscriber, Subscriber.id == Case.subscriber_id)
        .outerjoin(StaffUser, StaffUser.id == Case.assignee_id),
    )
    statement = scope(joined, actor, Case)
    if query.statuses:
        statement = statement.where(Case.status.in_(list(query.statuses)))
    if query.case_type:
        statement = statement.where(Case.type == query.case_type)
    if query.reason_code:
        statement = statement.where(Case.reason_code == query.reason_code)
    if query.channel:
        statement = statement.where(Case.channel == query.channel)
    if query.overdue_on is not None:
        statement = statement.where(
            Case.sla_due_date < query.overdue_on,
            Case.status.in_(list(query.overdue_statuses)),
        )
    if query.due_before is not None:
        statement = statement.where(Case.sla_due_date <= query.due_before)
    if query.unassigned:
        statement = statement.where(Case.assignee_id.is_(None))
    elif query.assignee_id is not None:
        statement = statement.where(Case.assignee_id == query.assignee_id)
    if query.search and query.search.strip():
        statement = _searched(statement, query.search)
    if after is not None:
        statement = statement.where(_after_in_due_order(after))
    return statement.order_by(
        Case.sla_due_date.is_(None), Case.sla_due_date, Case.created_at, Case.id
    ).limit(limit)


def queue_page(
    session: Session,
    actor: Actor,
    query: QueueQuery,
    *,
    after: QueueAfter | None = None,
    limit: int = 50,
) -> list[QueueRow]:
    """One page of the queue (`queue_statement`); fetch `limit + 1` to know whether more
    follow."""
    statement = queue_statement(actor, query, after=after, limit=limit)
    return [
        QueueRow(case, msisdn, name, assignee)
        for case, msisdn, name, assignee in session.execute(statement).all()
    ]


def _after_in_due_order(after: QueueAfter) -> ColumnElement[bool]:
    due, created, last_id = after
    later_same_due = or_(
        Case.created_at > created, and_(Case.created_at == created, Case.id > last_id)
    )
    if due is None:  # undated rows come last: only later undated ones follow
        return and_(Case.sla_due_date.is_(None), later_same_due)
    return or_(
        Case.sla_due_date.is_(None),
        Case.sla_due_date > due,
        and_(Case.sla_due_date == due, later_same_due),
    )


def next_in_queue(
    session: Session,
    actor: Actor,
    *,
    statuses: Sequence[str],
    staff_id: uuid.UUID,
    exclude: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """The case an agent should take next: the earliest due one that is theirs or nobody's."""
    statement = scope(select(Case.id), actor, Case).where(
        Case.status.in_(list(statuses)),
        or_(Case.assignee_id.is_(None), Case.assignee_id == staff_id),
    )
    if exclude is not None:
        statement = statement.where(Case.id != exclude)
    statement = statement.order_by(
        Case.sla_due_date.is_(None), Case.sla_due_date, Case.created_at, Case.id
    ).limit(1)
    found: uuid.UUID | None = session.scalars(statement).first()
    return found


def staff_of_operator(session: Session, operator_id: uuid.UUID) -> list[StaffUser]:
    """Who a case of the operator may be assigned to: its staff that are not disabled."""
    return list(
        session.scalars(
            select(StaffUser)
            .where(StaffUser.operator_id == operator_id, StaffUser.disabled_at.is_(None))
            .order_by(StaffUser.full_name, StaffUser.id)
        )
    )


def outcome_facts(session: Session, actor: Actor, *, since: datetime) -> list[OutcomeFact]:
    """The operator's cases opened since `since`, as the outcomes summary reads them (columns
    only, no entities: a year of cases is a few thousand small rows)."""
    statement = cast(
        "Select[Any]",
        select(
            Case.type,
            Case.status,
            Case.reason_code,
            Case.channel,
            Line.product_name,
            Line.plan,
            Case.created_at,
            Case.submitted_at,
            Case.decided_at,
            Case.blockers,
        ).join(Line, Line.id == Case.line_id),
    )
    statement = scope(statement, actor, Case).where(Case.created_at >= since)
    return [
        OutcomeFact(
            type=str(kind),
            status=str(status),
            reason_code=reason,
            channel=channel,
            product=product or str(plan),
            created_at=created,
            submitted_at=submitted,
            decided_at=decided,
            blocker_codes=tuple(f.code for f in blockers or ()),
        )
        for kind, status, reason, channel, product, plan, created, submitted, decided, blockers in (
            session.execute(statement).all()
        )
    ]
