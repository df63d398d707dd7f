"""Identity checks simexit makes itself, other than one-time codes: the account PIN (and the ID
document number compared with the stored hash, in `intake.attest_identity`).

A PIN is answered like a code: a wrong one is counted and committed before the refusal goes back
(the service returns an outcome instead of raising), the case's check locks after its attempts,
and the subscriber's wrong PINs are also counted across cases (`throttle.PIN_FAILURES`), since a
new case must not bring fresh tries at the same PIN."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from simexit.cases import repository
from simexit.cases.context import CaseContext
from simexit.cases.errors import MethodNotAllowed, VerificationMissing
from simexit.cases.service.common import apply
from simexit.cases.service.intake import (
    ConfirmResult,
    VerificationOutcome,
    allowed_methods,
    attester,
    audit_verification,
)
from simexit.cases.states import CaseStatus, Trigger
from simexit.lines import repository as line_repository
from simexit.models import Case, Verification
from simexit.principals import Actor
from simexit.verification import throttle
from simexit.verification.methods import Method
from simexit.verification.secrets import pin_matches
from simexit.verification.states import VerificationStatus


def verify_pin(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    pin: str,
    now: datetime,
) -> ConfirmResult:
    """Check the account PIN the subscriber gave (typed in the portal, or relayed by the
    operator's IVR or agent) against its argon2 hash, where the operator's pack allows a PIN."""
    case = repository.get_case(session, actor, case_id, for_update=True)
    if case.status not in {CaseStatus.draft, CaseStatus.awaiting_verification}:
        apply(session, case, Trigger.start_verification, actor=actor, now=now)  # raises
    allowed = allowed_methods(case)
    if Method.account_pin not in allowed:
        raise MethodNotAllowed(
            "this operator does not accept an account PIN for this request; use "
            + " or ".join(m.value for m in allowed),
            field="pin",
            allowed=", ".join(m.value for m in allowed),
        )
    subscriber = line_repository.subscriber(session, case.subscriber_id)
    if subscriber.account_pin_hash is None:
        raise VerificationMissing("no account PIN is on file for this subscriber", field="pin")
    failures = throttle.pin_failures_key(subscriber.id)
    check = _pin_check(session, ctx, case, now)
    limit = throttle.PIN_FAILURES
    failed_before = throttle.hits_so_far(session, name=failures, limit=limit, now=now)
    if check.status is VerificationStatus.locked or failed_before >= limit.hits:
        return _lock(session, case, actor, now, check)
    check.attempts += 1
    if pin_matches(pin, subscriber.account_pin_hash):
        return _pass(session, case, actor, now, check)
    throttle.hit(session, name=failures, limit=limit, now=now)
    left = min(check.max_attempts - check.attempts, limit.hits - failed_before - 1)
    if left <= 0:
        return _lock(session, case, actor, now, check)
    audit_verification(session, case, actor, now, "verification.failed", check)
    return ConfirmResult(VerificationOutcome.wrong_code, left)


def _pin_check(session: Session, ctx: CaseContext, case: Case, now: datetime) -> Verification:
    """The case's pending PIN check, or a new one (which replaces a pending code)."""
    latest = repository.latest_verification(session, case.id, for_update=True)
    if (
        latest is not None
        and latest.method == Method.account_pin.value
        and latest.status in {VerificationStatus.pending, VerificationStatus.locked}
    ):
        return latest
    if latest is not None and latest.status is VerificationStatus.pending:
        latest.status = VerificationStatus.replaced
    check = Verification(
        id=uuid.uuid4(),
        operator_id=case.operator_id,
        case_id=case.id,
        method=Method.account_pin.value,
        attempts=0,
        max_attempts=ctx.code_max_attempts,
        status=VerificationStatus.pending,
        expires_at=now + ctx.code_ttl,
        created_at=now,
        evidence={},
    )
    session.add(check)
    session.flush()
    return check


def _pass(
    session: Session, case: Case, actor: Actor, now: datetime, check: Verification
) -> ConfirmResult:
    if case.status == CaseStatus.draft:
        apply(
            session,
            case,
            Trigger.start_verification,
            actor=actor,
            now=now,
            changes={"method": Method.account_pin.value},
        )
    check.status = VerificationStatus.passed
    check.verified_at = now
    check.verified_by = actor.label
    check.evidence = {"checked_by": attester(actor)}
    case.verified_at = now
    audit_verification(session, case, actor, now, "verification.passed", check)
    return ConfirmResult(VerificationOutcome.passed, 0)


def _lock(
    session: Session, case: Case, actor: Actor, now: datetime, check: Verification
) -> ConfirmResult:
    if check.status is not VerificationStatus.locked:
        check.status = VerificationStatus.locked
        audit_verification(session, case, actor, now, "verification.locked", check)
    return ConfirmResult(VerificationOutcome.locked, 0)
