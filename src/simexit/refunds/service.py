"""Refunds that are paid: where each goes, payouts from the ledger, pain.001 files, bank answers.

A case that settles with a refund leaves the amount on the ledger account `payout_due`
(`cases.flows`). From there:

1. `give_destination` records where it goes (as the pack allows), sealed and masked;
2. `open_due` makes a payout of each owed refund: `scheduled` when the destination is known,
   else `awaiting_destination`; a refund to another line of the subscriber is credited to that
   line at once, one to a card is queued for the payments gateway (`refunds.tasks`);
3. `export_batch` writes the scheduled bank payouts of one currency into one pain.001 file;
   they are `sent`;
4. `import_status_report` reads the bank's pain.002: `settled`, or `returned` (waiting for a new
   destination, paid again under the same id).

Every move posts its double entry (`payout_due` → `payout_in_transit` → `operator_bank`, or
back to `payout_due` when returned), so a case's entries still sum to zero, and writes an audit
row that names the masked destination only.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases.states import CaseStatus
from simexit.jobs import enqueue
from simexit.kit.money import Money
from simexit.kit.problems import FieldProblem, invalid
from simexit.lines.states import LineStatus
from simexit.models import Case, LedgerEntry, Line, Operator, Payout, PayoutBatch, RefundDestination
from simexit.policies.loader import PackRegistry
from simexit.principals import SYSTEM, Actor
from simexit.principals.scoping import by_id_in_scope
from simexit.refunds import notices, repository
from simexit.refunds.destinations import (
    BANK_KINDS,
    Allowed,
    Destination,
    DestinationKind,
    check_destination,
)
from simexit.refunds.errors import (
    BatchNotFound,
    CaseNotFound,
    InvalidStatusReportFile,
    NoDebtorAccount,
    NoRefundOwed,
    NothingToPay,
    OperatorNotFound,
    PayoutAlreadySent,
)
from simexit.refunds.pain001 import Batch, Debtor, Transfer, build
from simexit.refunds.sealing import Sealer
from simexit.refunds.states import OPEN_FOR_DESTINATION, PayoutMove, PayoutStatus, next_status
from simexit.refunds.status_reports import InvalidStatusReport, Outcome, parse

PAY_CARD_JOB = "refunds.pay_card"
MAX_PER_FILE = 5000
_NO_REFUND_STATES = frozenset(
    {CaseStatus.withdrawn, CaseStatus.rejected, CaseStatus.expired, CaseStatus.superseded}
)


class RefundContext(Protocol):
    """What refunds need of the process: the packs and the secret key (`cases.CaseContext`
    has both)."""

    @property
    def packs(self) -> PackRegistry: ...

    @property
    def secret_key(self) -> bytes: ...


def _case(session: Session, actor: Actor, case_id: uuid.UUID, *, for_update: bool = False) -> Case:
    statement, parameters = by_id_in_scope(Case, actor, for_update)
    parameters["id"] = case_id
    case: Case | None = session.scalars(statement, parameters).one_or_none()
    if case is None:
        raise CaseNotFound("no such case", field="case_id", case_id=str(case_id))
    return case


def operator_by_code(session: Session, code: str) -> Operator:
    operator: Operator | None = session.scalars(
        select(Operator).where(Operator.code == code)
    ).one_or_none()
    if operator is None:
        raise OperatorNotFound(f"no operator with code {code!r}", field="operator")
    return operator


def allowed_for(ctx: RefundContext, operator: Operator) -> Allowed:
    prepaid = ctx.packs.get(operator.policy_pack).document.prepaid
    return Allowed(
        methods=frozenset(prepaid.balance_on_cancel.value.methods),
        account_formats=frozenset(DestinationKind(f) for f in prepaid.refund_account_formats.value),
    )


@dataclass(frozen=True, slots=True)
class DestinationView:
    case_id: uuid.UUID
    kind: str | None
    masked: str | None
    payout_status: PayoutStatus | None


def give_destination(
    session: Session,
    ctx: RefundContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    values: Mapping[str, object],
    now: datetime,
    request_id: str | None = None,
) -> DestinationView:
    """Record where the case's refund is paid; refused when the pack does not allow the form,
    the details fail their checks, the case pays no refund, or the money has already left."""
    case = _case(session, actor, case_id, for_update=True)
    if not pays_refund(case):
        raise NoRefundOwed(
            "this case pays out no refund", field="case_id", settlement=case.settlement
        )
    operator = session.get(Operator, case.operator_id)
    assert operator is not None  # noqa: S101 - a case's operator exists (foreign key)
    destination, problems = check_destination(values, allowed_for(ctx, operator))
    if destination is not None and destination.kind is DestinationKind.line:
        problems.extend(_line_problems(session, case, destination))
    if destination is None or problems:
        raise invalid(problems)
    payout = repository.payout_of_case(session, case.id, for_update=True)
    if payout is not None and payout.status not in OPEN_FOR_DESTINATION:
        raise PayoutAlreadySent(
            f"the refund is already {payout.status.value}", field="case_id", status=payout.status
        )
    row = _store(session, ctx, case, destination, actor, now)
    if payout is not None:
        _move(session, payout, PayoutMove.destination_given, actor, now, request_id)
        _start_direct_payout(session, payout, destination, now)
    audit.record(
        session,
        operator_id=case.operator_id,
        actor=actor,
        action="refund.destination_given",
        subject_type="case",
        subject_id=case.id,
        at=now,
        changes={"kind": destination.kind.value, "masked": row.masked},
        request_id=request_id,
    )
    return DestinationView(
        case.id, row.kind, row.masked, payout.status if payout is not None else None
    )


def pays_refund(case: Case) -> bool:
    """Whether the case settles (or has settled) with a refund to pay out."""
    if case.status in _NO_REFUND_STATES or case.settlement not in {None, "refund"}:
        return False
    return case.settlement == "refund" or (
        case.preview is not None and case.preview.refund.minor > 0
    )


def case_by_reference(session: Session, actor: Actor, reference: str) -> uuid.UUID:
    statement = select(Case.id).where(Case.reference == reference)
    if actor.operator_id is not None:
        statement = statement.where(Case.operator_id == actor.operator_id)
    found: uuid.UUID | None = session.scalars(statement).one_or_none()
    if found is None:
        raise CaseNotFound("no such case", field="reference", reference=reference)
    return found


def destination_view(session: Session, actor: Actor, case_id: uuid.UUID) -> DestinationView:
    case = _case(session, actor, case_id)
    row = repository.destination_of(session, case.id)
    payout = repository.payout_of_case(session, case.id)
    return DestinationView(
        case.id,
        row.kind if row is not None else None,
        row.masked if row is not None else None,
        payout.status if payout else None,
    )


def _line_problems(session: Session, case: Case, destination: Destination) -> list[FieldProblem]:
    target = session.get(Line, uuid.UUID(destination.account))
    if (
        target is None
        or target.operator_id != case.operator_id
        or target.subscriber_id != case.subscriber_id
    ):
        return [
            FieldProblem(
                "account", "line_of_subscriber", "must be another line of the same subscriber"
            )
        ]
    if target.id == case.line_id or target.status is not LineStatus.active:
        return [
            FieldProblem(
                "account", "line_active", "must be an active line other than the one ending"
            )
        ]
    return []


def _store(
    session: Session,
    ctx: RefundContext,
    case: Case,
    destination: Destination,
    actor: Actor,
    now: datetime,
) -> RefundDestination:
    sealed = Sealer(ctx.secret_key).seal(destination, bound_to=str(case.id))
    row = repository.destination_of(session, case.id)
    if row is None:
        row = RefundDestination(case_id=case.id, operator_id=case.operator_id)
        session.add(row)
    row.kind = destination.kind.value
    row.masked = destination.masked
    row.sealed = sealed
    row.given_by = actor.label
    row.updated_at = now
    return row


def open_due(
    session: Session, ctx: RefundContext, *, operator_id: uuid.UUID, now: datetime
) -> list[Payout]:
    """A payout for each refund the ledger owes that has none yet."""
    opened = []
    for case_id, currency, amount in repository.owed_without_payout(session, operator_id):
        destination = repository.destination_of(session, case_id)
        usable = destination is not None and destination.sealed is not None
        payout = Payout(
            id=uuid.uuid4(),
            operator_id=operator_id,
            case_id=case_id,
            amount_minor=amount,
            currency=currency,
            status=PayoutStatus.scheduled if usable else PayoutStatus.awaiting_destination,
            files_sent=0,
            created_at=now,
            updated_at=now,
        )
        session.add(payout)
        session.flush()
        _audit_payout(session, payout, "payout.opened", SYSTEM, now, None)
        if usable:
            assert destination is not None  # noqa: S101 - usable says so
            _start_direct_payout(session, payout, _open(ctx, destination), now)
        opened.append(payout)
    return opened


def _open(ctx: RefundContext, row: RefundDestination) -> Destination:
    assert row.sealed is not None  # noqa: S101 - callers pass stored destinations only
    return Sealer(ctx.secret_key).open(row.sealed, bound_to=str(row.case_id))


def _start_direct_payout(
    session: Session, payout: Payout, destination: Destination, now: datetime
) -> None:
    """A refund to another line is credited now; one to a card goes to the payments gateway."""
    if payout.status is not PayoutStatus.scheduled:
        return
    if destination.kind is DestinationKind.line:
        target = session.get(Line, uuid.UUID(destination.account), with_for_update=True)
        if target is None or target.status is not LineStatus.active:
            payout.status = PayoutStatus.awaiting_destination
            payout.return_reason = "line_not_active"
            return
        target.balance_minor += payout.amount_minor
        target.updated_at = now
        post(session, payout, "refund_to_line", "payout_due", "prepaid_liability", now)
        _settle(session, payout, PayoutMove.paid_directly, SYSTEM, now, reference=str(target.id))
    elif destination.kind is DestinationKind.card:
        enqueue(
            session,
            PAY_CARD_JOB,
            now=now,
            operator_id=payout.operator_id,
            dedup_key=f"{PAY_CARD_JOB}:{payout.id}:{payout.files_sent}",
            payout_id=str(payout.id),
        )


def post(
    session: Session, payout: Payout, kind: str, debit: str, credit: str, now: datetime
) -> None:
    """One double entry of the payout's amount on its case."""
    for account, amount in ((debit, payout.amount_minor), (credit, -payout.amount_minor)):
        session.add(
            LedgerEntry(
                operator_id=payout.operator_id,
                case_id=payout.case_id,
                kind=kind,
                account=account,
                amount_minor=amount,
                currency=payout.currency,
                created_at=now,
            )
        )


def _move(
    session: Session,
    payout: Payout,
    move: PayoutMove,
    actor: Actor,
    now: datetime,
    request_id: str | None,
) -> None:
    before = payout.status
    payout.status = next_status(payout.status, move)
    payout.updated_at = now
    if payout.status is not before:
        _audit_payout(
            session, payout, f"payout.{payout.status.value}", actor, now, request_id, before
        )


def _settle(
    session: Session,
    payout: Payout,
    move: PayoutMove,
    actor: Actor,
    now: datetime,
    *,
    reference: str | None = None,
    request_id: str | None = None,
) -> None:
    payout.settled_at = now
    payout.provider_reference = reference or payout.provider_reference
    _move(session, payout, move, actor, now, request_id)


def record_card_payout(session: Session, payout: Payout, *, reference: str, now: datetime) -> None:
    """The payments gateway paid the card refund (`refunds.tasks`)."""
    if payout.status is not PayoutStatus.scheduled:
        return
    post(session, payout, "refund_paid", "payout_due", "operator_bank", now)
    _settle(session, payout, PayoutMove.paid_directly, SYSTEM, now, reference=reference)
    notices.tell_subscriber(session, payout, notices.SETTLED, event=reference, now=now)


def _audit_payout(
    session: Session,
    payout: Payout,
    action: str,
    actor: Actor,
    now: datetime,
    request_id: str | None,
    before: PayoutStatus | None = None,
) -> None:
    changes: dict[str, object] = {
        "status": payout.status.value,
        "amount": Money(payout.amount_minor, payout.currency).as_str(),
        "currency": payout.currency,
    }
    if before is not None:
        changes["from"] = before.value
    if payout.return_reason:
        changes["return_reason"] = payout.return_reason
    audit.record(
        session,
        operator_id=payout.operator_id,
        actor=actor,
        action=action,
        subject_type="payout",
        subject_id=payout.id,
        at=now,
        changes=changes,
        request_id=request_id,
    )


# -- payment files -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportedBatch:
    batch: PayoutBatch
    document: bytes


def export_batch(
    session: Session,
    ctx: RefundContext,
    *,
    actor: Actor,
    operator: Operator,
    currency: str,
    debtor: Debtor | None,
    execution_date: date,
    now: datetime,
    request_id: str | None = None,
) -> ExportedBatch:
    """The scheduled bank payouts of the operator in `currency` as one pain.001 file."""
    if debtor is None:
        raise NoDebtorAccount(
            "the operator's payments gateway names no account to pay refunds from",
            field="currency",
            currency=currency,
        )
    open_due(session, ctx, operator_id=operator.id, now=now)
    kinds = [kind.value for kind in BANK_KINDS]
    due = repository.scheduled_bank_payouts(
        session, operator.id, currency, kinds, limit=MAX_PER_FILE
    )
    if not due:
        raise NothingToPay(
            f"no scheduled bank refunds in {currency}", field="currency", currency=currency
        )
    batch_id = uuid.uuid4()
    message_id = f"SX{now:%Y%m%d%H%M%S}{batch_id.hex[:12].upper()}"
    transfers = [
        Transfer(
            end_to_end_id=payout.id.hex,
            amount=Money(payout.amount_minor, payout.currency),
            creditor=_open(ctx, destination),
            remittance=f"Refund {_reference(session, payout)}",
        )
        for payout, destination in due
    ]
    document = build(Batch(message_id, now, execution_date, debtor, transfers))
    batch = PayoutBatch(
        id=batch_id,
        operator_id=operator.id,
        message_id=message_id,
        currency=currency,
        transfer_count=len(transfers),
        total_minor=sum(p.amount_minor for p, _ in due),
        execution_date=execution_date,
        sha256=hashlib.sha256(document).hexdigest(),
        file_sealed=Sealer(ctx.secret_key).seal_bytes(document, bound_to=str(batch_id)),
        created_by=actor.label,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    for payout, _destination in due:
        payout.batch_id = batch.id
        payout.files_sent += 1
        payout.return_reason = None
        post(session, payout, "refund_sent", "payout_due", "payout_in_transit", now)
        _move(session, payout, PayoutMove.batched, actor, now, request_id)
    audit.record(
        session,
        operator_id=operator.id,
        actor=actor,
        action="payout_batch.created",
        subject_type="payout_batch",
        subject_id=batch.id,
        at=now,
        changes={
            "message_id": message_id,
            "currency": currency,
            "transfers": batch.transfer_count,
            "total": Money(batch.total_minor, currency).as_str(),
            "sha256": batch.sha256,
        },
        request_id=request_id,
    )
    return ExportedBatch(batch, document)


def _reference(session: Session, payout: Payout) -> str:
    case = session.get(Case, payout.case_id)
    return case.reference if case is not None else payout.id.hex


def batch_document(
    session: Session, ctx: RefundContext, actor: Actor, batch_id: uuid.UUID
) -> bytes:
    """The pain.001 file of a batch, byte for byte as it was written."""
    batch = repository.batch_in_scope(session, actor, batch_id)
    if batch is None:
        raise BatchNotFound("no such payout batch", field="batch_id")
    return Sealer(ctx.secret_key).open_bytes(batch.file_sealed, bound_to=str(batch.id))


@dataclass
class ReportOutcome:
    message_id: str
    batch_id: uuid.UUID
    settled: int = 0
    returned: int = 0
    pending: int = 0
    unchanged: int = 0
    unknown: list[str] = field(default_factory=list)


def import_status_report(
    session: Session,
    *,
    actor: Actor,
    operator_id: uuid.UUID,
    data: bytes,
    now: datetime,
    request_id: str | None = None,
) -> ReportOutcome:
    """Settle or return the payouts of one file by the bank's pain.002. Importing the same
    report again changes nothing."""
    try:
        report = parse(data)
    except InvalidStatusReport as error:
        raise InvalidStatusReportFile(str(error), field="file") from None
    batch = repository.batch_by_message_id(session, operator_id, report.original_message_id)
    if batch is None:
        raise BatchNotFound(
            "no payout file of this operator has the report's original message id",
            field="OrgnlMsgId",
            message_id=report.original_message_id,
        )
    payouts = {p.id.hex: p for p in repository.payouts_of_batch(session, batch.id)}
    outcome = ReportOutcome(report.message_id, batch.id)
    if report.rejects_whole_file:
        statuses = [(key, Outcome.returned, report.group_status) for key in payouts]
    else:
        statuses = [(t.end_to_end_id, t.outcome, t.reason) for t in report.transfers]
    for end_to_end_id, result, reason in statuses:
        payout = payouts.get(end_to_end_id)
        if payout is None:
            outcome.unknown.append(end_to_end_id)
            continue
        _apply_status(session, payout, result, reason, actor, now, request_id, outcome)
    batch.last_report_id = report.message_id
    audit.record(
        session,
        operator_id=operator_id,
        actor=actor,
        action="payout_batch.status_report",
        subject_type="payout_batch",
        subject_id=batch.id,
        at=now,
        changes={
            "report": report.message_id,
            "settled": outcome.settled,
            "returned": outcome.returned,
            "pending": outcome.pending,
            "unknown": len(outcome.unknown),
        },
        request_id=request_id,
    )
    return outcome


def _apply_status(
    session: Session,
    payout: Payout,
    result: Outcome,
    reason: str | None,
    actor: Actor,
    now: datetime,
    request_id: str | None,
    outcome: ReportOutcome,
) -> None:
    if result is Outcome.pending:
        outcome.pending += 1
        return
    if payout.status is not PayoutStatus.sent:
        outcome.unchanged += 1  # a report read twice, or one about an earlier file
        return
    event = f"{outcome.batch_id}:{payout.id.hex}"  # a payout is in each file once
    if result is Outcome.settled:
        post(session, payout, "refund_paid", "payout_in_transit", "operator_bank", now)
        _settle(session, payout, PayoutMove.accepted, actor, now, request_id=request_id)
        notices.tell_subscriber(session, payout, notices.SETTLED, event=event, now=now)
        outcome.settled += 1
        return
    payout.return_reason = reason or "RJCT"
    post(session, payout, "refund_returned", "payout_in_transit", "payout_due", now)
    _move(session, payout, PayoutMove.returned, actor, now, request_id)
    notices.tell_subscriber(session, payout, notices.RETURNED, event=event, now=now)
    outcome.returned += 1
