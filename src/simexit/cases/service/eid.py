"""National eID checks (BankID, ID-porten, Gosuslugi) as a step-up for a case.

Two short write transactions around the provider round trip, which is made outside either (it
reaches the provider's token endpoint and JWKS): `start_eid_check` records a pending check (its
id is the OIDC `state`; the nonce and PKCE verifier are derived from it), and `finish_eid_check`
takes what the provider proved, or why it proved nothing, and decides. A refusal is committed
as a failed check with its reason, so nothing is ever recorded as verified unless the ID token
held, its assurance level maps to the method the pack asks for, and the national identity number
it carries matches the subscriber's stored keyed hash. The number is never stored nor logged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from simexit.cases import repository
from simexit.cases.context import CaseContext
from simexit.cases.errors import MethodNotAllowed, VerificationMissing
from simexit.cases.service.common import apply
from simexit.cases.service.intake import attester, audit_verification, require_listed_method
from simexit.cases.states import Trigger
from simexit.lines import repository as line_repository
from simexit.models import Case, Verification
from simexit.principals import Actor
from simexit.verification.methods import EID_METHODS, Method
from simexit.verification.ports import VerifiedIdentity
from simexit.verification.secrets import national_id_matches
from simexit.verification.states import VerificationStatus


@dataclass(frozen=True, slots=True)
class EidOutcome:
    passed: bool
    case: Case
    reason: str | None = None  # why nothing was verified, in words an agent or subscriber reads


def start_eid_check(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    method: Method,
    now: datetime,
) -> Verification:
    """A pending eID check of the case, where the pack asks for (or accepts) this eID."""
    case = repository.get_case(session, actor, case_id, for_update=True)
    if method not in EID_METHODS:
        raise MethodNotAllowed(f"{method.value} is not a national eID", field="method")
    require_listed_method(session, ctx, case, method)
    previous = repository.latest_verification(session, case.id, for_update=True)
    if previous is not None and previous.status is VerificationStatus.pending:
        previous.status = VerificationStatus.replaced
    apply(
        session, case, Trigger.start_verification, actor=actor, now=now, changes={"method": method}
    )
    check = Verification(
        id=uuid.uuid4(),
        operator_id=case.operator_id,
        case_id=case.id,
        method=method.value,
        attempts=0,
        max_attempts=1,
        status=VerificationStatus.pending,
        expires_at=now + ctx.code_ttl,
        created_at=now,
        evidence={},
    )
    session.add(check)
    session.flush()
    audit_verification(session, case, actor, now, "verification.started", check)
    return check


def finish_eid_check(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    check_id: uuid.UUID,
    identity: VerifiedIdentity | None,
    refusal: str | None,
    now: datetime,
) -> EidOutcome:
    """Decide a check from the provider's answer: `identity` when the ID token held, else the
    `refusal` the adapter gave (wrong nonce, expired or foreign-signed token, cancelled)."""
    check = repository.verification_for_update(session, check_id)
    if check is None:
        raise VerificationMissing("no such identity check", field="state")
    case = repository.get_case(session, actor, check.case_id, for_update=True)
    if check.status is not VerificationStatus.pending or now >= check.expires_at:
        raise VerificationMissing(
            "this identity check is no longer open; start a new one", field="state"
        )
    check.attempts += 1
    if identity is None:
        reason: str | None = refusal or "the identity provider proved nothing"
    else:
        reason = _refusal(session, ctx, case, check, identity)
    if reason is not None or identity is None:
        check.status = VerificationStatus.failed
        check.evidence = {"reason": reason}
        audit_verification(session, case, actor, now, "verification.failed", check, reason=reason)
        return EidOutcome(False, case, reason)
    check.status = VerificationStatus.passed
    check.verified_at = now
    check.verified_by = actor.label
    check.evidence = {
        "assurance": identity.assurance,
        "checked_by": attester(actor),
        "simulated": identity.simulated,
    }
    case.verified_at = now
    session.flush()  # a submit in this same transaction looks for the passed check through SQL
    audit_verification(
        session, case, actor, now, "verification.passed", check, assurance=identity.assurance
    )
    return EidOutcome(True, case)


def _refusal(
    session: Session,
    ctx: CaseContext,
    case: Case,
    check: Verification,
    identity: VerifiedIdentity,
) -> str | None:
    if check.method not in identity.methods:
        return (
            f"the eID's assurance level ({identity.assurance or 'none'}) is too low for "
            f"{check.method}"
        )
    if identity.simulated:
        return None  # the simulated provider of a sandbox operator: no number to compare
    subscriber = line_repository.subscriber(session, case.subscriber_id)
    if identity.national_id is None:
        return "the eID did not release a national identity number"
    if subscriber.national_id_hash is None:
        return "no national identity number is on file for this subscriber to match"
    if not national_id_matches(
        identity.national_id,
        stored_hash=subscriber.national_id_hash,
        secret=ctx.secret_key,
        operator_id=case.operator_id,
    ):
        return "the eID belongs to another person than the subscriber"
    return None
