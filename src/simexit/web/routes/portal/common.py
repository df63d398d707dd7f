"""What the portal's screens share: whose lines and cases a signed-in subscriber may see."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session as DbSession

from simexit.cases import repository
from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.cases.errors import MethodNotAllowed
from simexit.cases.states import CaseStatus
from simexit.errors import NotFound
from simexit.lines import repository as line_repository
from simexit.models import Case, Line, Subscriber
from simexit.notifications import service as notifications
from simexit.principals import Actor, ActorType
from simexit.verification.methods import CODE_METHODS, EID_METHODS, Method
from simexit.verification.throttle import CodeLimits, count_code_send, refuse_if_over
from simexit.web import subscriber_auth as auth
from simexit.web.i18n import N_, Texts
from simexit.web.rendering import Session
from simexit.web.routes.common import now

RESUBMITTABLE = frozenset({CaseStatus.rejected, CaseStatus.failed})
# No date to expect: the request is over without closing the line (a completed one keeps its date).
FINISHED = frozenset(
    {CaseStatus.rejected, CaseStatus.withdrawn, CaseStatus.expired, CaseStatus.superseded}
)
CONSENT = {
    "terminate": N_(
        "I have read what happens to {msisdn} and want to cancel it, ending on {date}."
    ),
    "suspend": N_("I have read what happens to {msisdn} and want to pause it until {date}."),
}
WRONG_CODE = N_("That code is not right. You have {left} tries left.")
# Only where the code went to the local sink (development, sandbox operators): no one could
# deliver it, and the stored message holds a placeholder, not the code.
SHOWN_CODE = N_(
    "No message service is set up here (a test or sandbox setup), so your code is shown instead: {code}"
)
CODE_USED_UP = N_("This code can no longer be used. Please ask for a new one.")
TOO_MANY_CODES = N_("Too many codes were asked for. Please try again in {minutes} minutes.")
TOO_MANY_TRIES = N_("Too many tries. Please try again in {minutes} minutes.")


def actor_for(subscriber: Subscriber) -> Actor:
    return Actor(
        ActorType.subscriber,
        str(subscriber.id),
        operator_id=subscriber.operator_id,
        subscriber_id=subscriber.id,
    )


def owner(db: DbSession, session: Session, subscriber_id: uuid.UUID) -> Actor:
    if subscriber_id not in session.subscriber_ids:
        raise NotFound("no such line")
    subscriber = db.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise NotFound("no such line")
    return actor_for(subscriber)


def language_of(db: DbSession, session: Session) -> str | None:
    return auth.account_language(db, session.subscriber_ids)


def load_line(db: DbSession, session: Session, line_id: uuid.UUID) -> tuple[Actor, Line]:
    for subscriber_id in session.subscriber_ids:
        actor = owner(db, session, subscriber_id)
        try:
            return actor, line_repository.get_line(db, actor, line_id)
        except NotFound:
            continue
    raise NotFound("no such line")


def load_case(db: DbSession, session: Session, case_id: uuid.UUID) -> tuple[Actor, Case]:
    for subscriber_id in session.subscriber_ids:
        actor = owner(db, session, subscriber_id)
        try:
            return actor, repository.get_case(db, actor, case_id)
        except NotFound:
            continue
    raise NotFound("no such case")


def code_method(session: Session) -> Method:
    """The confirmation code goes the way the subscriber signed in."""
    return Method.sms_otp if session.via == "sms" else Method.email_otp


def start_code(
    db: DbSession,
    context: CaseContext,
    session: Session,
    actor: Actor,
    case_id: uuid.UUID,
    *,
    limits: CodeLimits,
    client: str,
) -> None:
    """Send the confirmation code the way the subscriber signed in (e-mail if SMS is refused),
    within the limits the API applies too (`TooManyAttempts` when over them)."""
    case = repository.get_case(db, actor, case_id)
    eid = eid_only(db, context, case)
    if eid is not None:  # the pack takes only an eID here: no code is sent, the page offers it
        cases.start_eid_check(db, context, actor=actor, case_id=case_id, method=eid, now=now())
        return
    refuse_if_over(count_code_send(db, limits, line_id=case.line_id, client=client, now=now()))
    try:
        cases.start_verification(
            db, context, actor=actor, case_id=case_id, method=code_method(session), now=now()
        )
    except MethodNotAllowed:
        cases.start_verification(
            db, context, actor=actor, case_id=case_id, method=Method.email_otp, now=now()
        )


def eid_only(db: DbSession, context: CaseContext, case: Case) -> Method | None:
    """The eID the pack requires on this channel when it takes no code, else None."""
    allowed = cases.allowed_methods(case)
    if CODE_METHODS & set(allowed) or not cases.identity_required(db, context, case):
        return None
    return next((m for m in allowed if m in EID_METHODS), None)


def consent_text(t: Texts, case: Case, line: Line) -> str:
    when = case.suspend_until if case.type == "suspend" else case.effective_date
    return t(CONSENT.get(case.type, CONSENT["terminate"]), msisdn=line.msisdn, date=t.date(when))


def shown_code(
    db: DbSession, secret: bytes, t: Texts, challenge_id: uuid.UUID | None
) -> str | None:
    """The sentence showing a challenge's code, only when its message went to the local sink."""
    if challenge_id is None:
        return None
    code = notifications.code_kept_in_sink(db, subject_id=challenge_id, secret=secret)
    return t(SHOWN_CODE, code=code) if code is not None else None
