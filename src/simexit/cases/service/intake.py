"""Intake: preview, open, identity verification and submission."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from simexit.access.scopes import require_attest
from simexit.audit import service as audit
from simexit.cases import repository
from simexit.cases.context import CaseContext
from simexit.cases.errors import (
    ConsentRequired,
    DocumentMismatch,
    IdentityMethodRequired,
    IdentityNotVerified,
    MethodNotAllowed,
    MrzInvalid,
    NumberReleased,
    VerificationMissing,
)
from simexit.cases.service.common import apply, decide, notify, request_for, today_for
from simexit.cases.service.execution import on_approved
from simexit.cases.service.settlement_request import check_settlement_request
from simexit.cases.states import CaseStatus, Trigger
from simexit.lines import repository as line_repository
from simexit.lines.errors import NotPermitted
from simexit.lines.states import LineStatus
from simexit.models import Case, Line, Verification
from simexit.policies.model import (
    CaseRequest,
    Channel,
    Decision,
    Finding,
    Outcome,
    RequestType,
    SettlementChoice,
)
from simexit.principals import Actor, ActorType
from simexit.verification import codes, secrets
from simexit.verification.methods import ATTESTED_METHODS, CODE_METHODS, Method, methods_from_pack
from simexit.verification.mrz import MrzDocument, MrzRefused, read_mrz
from simexit.verification.states import VerificationStatus

# Channels where the subscriber acts alone and must give consent in their own words.
SELF_SERVICE_CHANNELS = frozenset({Channel.web, Channel.app, Channel.api, Channel.reseller})


@dataclass(frozen=True, slots=True)
class OpenResult:
    case: Case
    created: bool


def preview(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    line_id: uuid.UUID,
    request: CaseRequest,
    now: datetime,
) -> Decision:
    """The consequences of a request, computed without writing anything."""
    line = line_repository.get_line(session, actor, line_id)
    operator = repository.operator(session, line.operator_id)
    return decide(session, ctx, line=line, request=request, today=today_for(operator, now))


def open_case(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    line_id: uuid.UUID,
    case_type: RequestType,
    channel: Channel,
    now: datetime,
    reason_code: str | None = None,
    comment: str | None = None,
    requested_date: date | None = None,
    settlement: SettlementChoice | None = None,
    transfer_to_msisdn: str | None = None,
    suspend_until: date | None = None,
    idempotency_key: str | None = None,
    language: str | None = None,
    parent: Case | None = None,
) -> OpenResult:
    """Open a draft, or return the line's case of this type that is still open.

    Repeats are settled before this runs, not here: the API's per-caller store
    (`simexit.api.idempotency`) answers a repeated `Idempotency-Key` with the stored response, and
    the one-open-case-per-line-and-type index answers a second opener of the same request.
    `idempotency_key` is only recorded on the case, so that an integrator's request can be traced
    to it; nothing looks cases up by it, and it is unique to nobody."""
    # Lock the line first: openers of the same line queue here instead of racing on the index.
    line = line_repository.get_line(session, actor, line_id, for_update=True)
    if line.status == LineStatus.number_released:
        raise NumberReleased(
            "the line's number was released; the line has no subscriber to act for",
            field="line_id",
        )
    existing = repository.open_case_for(session, line.id, case_type.value)
    if existing is not None:
        return OpenResult(existing, created=False)

    operator = repository.operator(session, line.operator_id)
    subscriber = line_repository.contact(session, line.subscriber_id)
    request = CaseRequest(
        type=case_type,
        channel=channel,
        requested_date=requested_date,
        settlement=settlement,
        transfer_to_msisdn=transfer_to_msisdn,
        suspend_until=suspend_until,
    )
    decision = decide(session, ctx, line=line, request=request, today=today_for(operator, now))
    check_settlement_request(session, line, decision, settlement, transfer_to_msisdn)
    year = today_for(operator, now).year
    number = repository.next_reference_number(session, operator.id, year)
    case = Case(
        id=uuid.uuid4(),
        operator_id=operator.id,
        line_id=line.id,
        subscriber_id=line.subscriber_id,
        reseller_id=line.reseller_id,
        parent_case_id=parent.id if parent else None,
        reference=f"{operator.reference_prefix}-{year}-{number:06d}",
        type=case_type.value,
        channel=channel.value,
        status=CaseStatus.draft,
        reason_code=reason_code,
        comment=comment,
        requested_date=requested_date,
        settlement=settlement.value if settlement else None,
        transfer_to_msisdn=transfer_to_msisdn,
        suspend_until=suspend_until,
        preview=decision,
        effective_date=decision.effective_date,
        billing_end_date=decision.billing_end_date,
        blockers=(),
        review_reasons=(),
        idempotency_key=idempotency_key,
        language=language or subscriber.language,
        created_at=now,
        status_changed_at=now,
    )
    session.add(case)
    # Written now, not at the commit: the portal asks for the code, and a resubmission attests and
    # submits, in this same transaction, and they find the case by id through SQL.
    session.flush()
    audit.record(
        session,
        operator_id=case.operator_id,
        actor=actor,
        action="case.opened",
        subject_type="case",
        subject_id=case.id,
        at=now,
        changes={
            "status": [None, case.status],
            "type": case.type,
            "channel": case.channel,
            "reference": case.reference,
            "parent_case_id": str(parent.id) if parent else None,
        },
    )
    return OpenResult(case, created=True)


def identity_required(session: Session, ctx: CaseContext, case: Case) -> bool:
    """Whether the pack's rule for the case's channel and type takes only its listed methods."""
    operator = repository.operator(session, case.operator_id)
    pack = ctx.packs.get(operator.policy_pack)
    for rule in pack.document.cancellation.channels.value:
        if rule.channel.value == case.channel and case.type in {
            t.value for t in rule.request_types
        }:
            return rule.identity_required
    return False


def require_listed_method(session: Session, ctx: CaseContext, case: Case, method: Method) -> None:
    """Refuse a method the channel does not take, naming the ones it does (422)."""
    allowed = allowed_methods(case)
    if method in allowed or not identity_required(session, ctx, case):
        return
    needed = ", ".join(m.value for m in allowed)
    raise IdentityMethodRequired(
        f"this request needs {needed} to prove who you are; {method.value} is not accepted here",
        field="method",
        needed=needed,
        offered=allowed[0].value,
    )


def allowed_methods(case: Case) -> tuple[Method, ...]:
    """The identity methods the operator's pack accepts for this case's request and channel."""
    names = case.preview.identity_methods if case.preview is not None else ()
    return methods_from_pack(names) or (Method.sms_otp,)


def start_verification(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    method: Method,
    now: datetime,
) -> IssuedCode:
    """Send a one-time code by SMS or e-mail. Any earlier pending code of the case stops working.

    The code is returned only so that in-process callers (tests, the demo sink) can use it; the
    API never shows it, and only its keyed hash is stored."""
    case = repository.get_case(session, actor, case_id, for_update=True)
    if method not in CODE_METHODS:
        raise MethodNotAllowed(
            f"{method.value} is checked by an agent, not by a code",
            field="method",
            method=method.value,
        )
    require_listed_method(session, ctx, case, method)
    subscriber = line_repository.subscriber(session, case.subscriber_id)
    destination = subscriber.phone_e164 if method is Method.sms_otp else subscriber.email
    if not destination:
        raise MethodNotAllowed(
            f"no {'phone number' if method is Method.sms_otp else 'e-mail address'} is on file for this subscriber",
            field="method",
        )
    if method is Method.sms_otp:
        line = session.get(Line, case.line_id)
        if (
            line is not None
            and line.status == LineStatus.suspended
            and "lost_stolen" in (line.suspension_flags or [])
        ):
            # A code to the SIM of a lost phone would go to whoever found it.
            destination = subscriber.phone_e164 if subscriber.phone_e164 != line.msisdn else None
            if not destination:
                raise MethodNotAllowed(
                    "the SIM is reported lost: use e-mail or an ID check", field="method"
                )
    previous = repository.latest_verification(session, case.id, for_update=True)
    if previous is not None and previous.status is VerificationStatus.pending:
        previous.status = VerificationStatus.replaced
    apply(
        session,
        case,
        Trigger.start_verification,
        actor=actor,
        now=now,
        changes={"method": method.value},
    )
    verification = Verification(
        id=uuid.uuid4(),
        operator_id=case.operator_id,
        case_id=case.id,
        method=method.value,
        destination_masked=codes.mask_phone(destination)
        if method is Method.sms_otp
        else codes.mask_email(destination),
        attempts=0,
        max_attempts=ctx.code_max_attempts,
        status=VerificationStatus.pending,
        expires_at=now + ctx.code_ttl,
        created_at=now,
        evidence={},
    )
    code = codes.derive_code(
        ctx.secret_key, str(verification.id)
    )  # the delivery job derives it too
    verification.code_hash = codes.hash_code(
        code, key=ctx.secret_key, verification_id=str(verification.id)
    )
    session.add(verification)
    session.flush()  # a second code in this transaction finds and supersedes this one through SQL
    # No code in the context: the stored message keeps a placeholder, the delivery job writes it in.
    notifications_context: dict[str, Any] = {
        "expiry_minutes": int(ctx.code_ttl.total_seconds() // 60),
    }
    from simexit.notifications import service as notifications
    from simexit.notifications.ports import EMAIL_ADDRESS, PHONE_NUMBER

    notifications.notify(
        session,
        now=now,
        operator_id=case.operator_id,
        kind="verification.code",
        subject_id=str(verification.id),
        language=case.language,
        contacts={PHONE_NUMBER if method is Method.sms_otp else EMAIL_ADDRESS: destination},
        context=notifications_context,
    )
    return IssuedCode(verification, code)


@dataclass(frozen=True, slots=True)
class IssuedCode:
    verification: Verification
    code: str = field(repr=False)


class VerificationOutcome(StrEnum):
    passed = "passed"
    wrong_code = "wrong_code"
    locked = "locked"
    expired = "expired"


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    outcome: VerificationOutcome
    attempts_left: int


def confirm_verification(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    code: str,
    now: datetime,
) -> ConfirmResult:
    """Check a code. Returns instead of raising on a wrong code so that the attempt is committed:
    a refusal that rolled back would give an attacker unlimited tries."""
    case = repository.get_case(session, actor, case_id, for_update=True)
    verification = repository.latest_verification(session, case.id, for_update=True)
    if verification is None or verification.method not in {m.value for m in CODE_METHODS}:
        raise VerificationMissing("no code was sent for this case; ask for one first", field="code")
    if verification.status is VerificationStatus.passed:
        return ConfirmResult(VerificationOutcome.passed, 0)
    if (
        verification.status is VerificationStatus.locked
        or verification.attempts >= verification.max_attempts
    ):
        return ConfirmResult(VerificationOutcome.locked, 0)
    if verification.status is not VerificationStatus.pending:
        return ConfirmResult(VerificationOutcome.expired, 0)
    if now >= verification.expires_at:
        verification.status = VerificationStatus.expired
        audit_verification(session, case, actor, now, "verification.expired", verification)
        return ConfirmResult(VerificationOutcome.expired, 0)
    verification.attempts += 1
    if verification.code_hash and codes.code_matches(
        code,
        stored_hash=verification.code_hash,
        key=ctx.secret_key,
        verification_id=str(verification.id),
    ):
        verification.status = VerificationStatus.passed
        verification.verified_at = now
        verification.verified_by = actor.label
        verification.code_hash = None
        case.verified_at = now
        audit_verification(session, case, actor, now, "verification.passed", verification)
        return ConfirmResult(VerificationOutcome.passed, 0)
    left = verification.max_attempts - verification.attempts
    if left <= 0:
        verification.status = VerificationStatus.locked
        audit_verification(session, case, actor, now, "verification.locked", verification)
        return ConfirmResult(VerificationOutcome.locked, 0)
    audit_verification(session, case, actor, now, "verification.failed", verification)
    return ConfirmResult(VerificationOutcome.wrong_code, left)


def attest_identity(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    method: Method,
    now: datetime,
    document_type: str | None = None,
    document_last4: str | None = None,
    document_number: str | None = None,
    mrz: str | None = None,
    note: str | None = None,
) -> Verification:
    """An agent or store clerk, or the operator's own system, records an identity check they made
    (ID document, PIN, eID); simexit itself does for a case of the operator's own making (an
    approved campaign). Who attested (type, id and name) and the method are kept on the check
    and in the audit row."""
    case = repository.get_case(session, actor, case_id, for_update=True)
    if actor.type not in {ActorType.agent, ActorType.cli, ActorType.system} and not (
        actor.type is ActorType.integrator and actor.reseller_id is None
    ):
        raise NotPermitted("only staff can record an identity check", field="method")
    require_attest(actor)
    if method not in ATTESTED_METHODS:
        raise MethodNotAllowed(f"{method.value} is checked with a code", field="method")
    read = _read_mrz(method, mrz, now)
    if read is not None:
        document_type = document_type or read.document_type
        document_number = document_number or read.number
    compared = _compare_document(session, ctx, case, document_number)
    if document_number is not None:
        document_last4 = document_number[-4:]
    if case.status == CaseStatus.draft:
        apply(
            session,
            case,
            Trigger.start_verification,
            actor=actor,
            now=now,
            changes={"method": method.value},
        )
    elif case.status != CaseStatus.awaiting_verification:
        apply(
            session, case, Trigger.start_verification, actor=actor, now=now
        )  # raises InvalidTransition
    verification = Verification(
        id=uuid.uuid4(),
        operator_id=case.operator_id,
        case_id=case.id,
        method=method.value,
        attempts=0,
        max_attempts=0,
        status=VerificationStatus.passed,
        expires_at=now,
        created_at=now,
        verified_at=now,
        verified_by=actor.label,
        evidence={
            "document_type": document_type,
            "document_last4": (document_last4 or "")[-4:] or None,
            "note": note,
            "attested_by": attester(actor),
            "document_number_compared": compared,
            "mrz_checked": read is not None,
            "document_expires_on": read.expires_on.isoformat()
            if read and read.expires_on
            else None,
        },
    )
    session.add(verification)
    case.verified_at = now  # before the flush, so the case is written once
    session.flush()  # a submit in this same transaction (a resubmission) looks for it through SQL
    audit_verification(
        session,
        case,
        actor,
        now,
        "verification.attested",
        verification,
        attested_by=attester(actor),
    )
    return verification


def _read_mrz(method: Method, mrz: str | None, now: datetime) -> MrzDocument | None:
    """The document the zone describes, its check digits and expiry checked (422 otherwise)."""
    if mrz is None:
        return None
    if method is not Method.id_document:
        raise MethodNotAllowed("an MRZ goes with the id_document method", field="mrz")
    try:
        return read_mrz(mrz, today=now.date())
    except MrzRefused as refused:
        raise MrzInvalid(str(refused), field="mrz", reason=str(refused)) from None


def _compare_document(
    session: Session, ctx: CaseContext, case: Case, number: str | None
) -> bool | None:
    """None when no number was given; False when none is on file to compare with; True when it
    matches the stored keyed hash. A number that does not match is refused, and nothing is
    recorded as verified. The number itself is never stored nor logged."""
    if number is None:
        return None
    subscriber = line_repository.subscriber(session, case.subscriber_id)
    if subscriber.id_document_hash is None:
        return False
    if not secrets.document_matches(
        number,
        stored_hash=subscriber.id_document_hash,
        secret=ctx.secret_key,
        operator_id=case.operator_id,
    ):
        raise DocumentMismatch(
            "the document number is not the one on file for this subscriber",
            field="document_number",
        )
    return True


def attester(actor: Actor) -> dict[str, str | None]:
    """Who vouched for an identity check, as the record keeps it: the kind of actor, its id (a
    staff member's e-mail, `key_<prefix>`) and its name (the staff member's, the key's)."""
    return {"type": actor.type.value, "id": actor.id, "name": actor.name}


def audit_verification(
    session: Session,
    case: Case,
    actor: Actor,
    now: datetime,
    action: str,
    verification: Verification,
    **extra: object,
) -> None:
    audit.record(
        session,
        operator_id=case.operator_id,
        actor=actor,
        action=action,
        subject_type="case",
        subject_id=case.id,
        at=now,
        changes={
            "verification_id": str(verification.id),
            "method": verification.method,
            "attempts": verification.attempts,
            **extra,
        },
    )


def submit(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    now: datetime,
    consent_text: str | None = None,
) -> Case:
    """Run the policy gates: blocked, in review with an SLA due date, or approved with a date."""
    case = repository.get_case(session, actor, case_id, for_update=True)
    # Loaded once and held here: the identity map keeps rows only while something references
    # them, so `apply` (webhooks) and `decide` find the operator without selecting it again.
    operator = repository.operator(session, case.operator_id)
    # Nothing below changes verifications, so one look-up serves the gate and the review check.
    verified_method = repository.passed_verification_method(session, case.id)
    if verified_method is None and case.status in {
        CaseStatus.awaiting_verification,
        CaseStatus.draft,
    }:
        raise IdentityNotVerified(
            "identity must be verified before submitting", field="verification"
        )
    channel = Channel(case.channel)
    if consent_text is not None:
        case.consent_text, case.consented_at = consent_text.strip(), now
    if (
        channel in SELF_SERVICE_CHANNELS
        and not case.consent_text
        and actor.type is ActorType.subscriber
    ):
        raise ConsentRequired("consent to the consequences is required", field="consent")
    apply(session, case, Trigger.submit, actor=actor, now=now)  # refuses wrong states
    case.submitted_at = case.submitted_at or now
    line = line_repository.get_line(session, actor, case.line_id, for_update=True)
    decision = decide(
        session, ctx, line=line, request=request_for(case), today=today_for(operator, now)
    )
    _freeze(case, decision)
    required = allowed_methods(case)
    review_extra: list[Finding] = []
    if verified_method is not None and Method(verified_method) not in required:
        review_extra.append(
            Finding(
                "identity_method_differs",
                {"used": verified_method, "required": [m.value for m in required]},
            )
        )
    changes = {"effective_date": str(decision.effective_date), "outcome": decision.outcome.value}
    if decision.outcome is Outcome.block:
        apply(
            session,
            case,
            Trigger.policy_blocked,
            actor=actor,
            now=now,
            changes={**changes, "blockers": [b.code for b in case.blockers]},
        )
        notify(
            session,
            case,
            "case.blocked",
            now=now,
            context={"blockers": [b.code for b in case.blockers]},
        )
        return case
    if decision.outcome is Outcome.review or review_extra:
        # "Received, answer by" only where a person decides: an approved case gets "Approved"
        # alone, and the answer is due by the SLA date, not the date the request takes effect.
        notify(
            session,
            case,
            "case.received",
            now=now,
            context={"expected_date": _iso(case.sla_due_date or today_for(operator, now))},
        )
        case.review_reasons = (*case.review_reasons, *review_extra)
        apply(
            session,
            case,
            Trigger.policy_flagged,
            actor=actor,
            now=now,
            changes={**changes, "review": [r.code for r in case.review_reasons]},
        )
        return case
    apply(session, case, Trigger.policy_passed, actor=actor, now=now, changes=changes)
    on_approved(session, case, line, actor=actor, now=now, today=today_for(operator, now))
    return case


def _freeze(case: Case, decision: Decision) -> None:
    case.preview = decision
    case.effective_date = decision.effective_date
    case.billing_end_date = decision.billing_end_date
    case.sla_due_date = decision.sla_due_date
    case.blockers = decision.blockers
    case.review_reasons = decision.review_reasons


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
