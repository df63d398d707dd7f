"""Portal login with a one-time code sent to the subscriber's phone number (or e-mail address).

The answer never reveals whether a number is known: every request writes a challenge row and
leads to the same page; a code is sent only when the number belongs to a subscriber, and a
challenge without a code simply never matches. Codes are stored as keyed HMACs, expire after ten
minutes and lock after five wrong tries; requests are throttled per number and per client address.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import phonenumbers
from sqlalchemy import func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from simexit.audit import service as audit
from simexit.cases import repository as case_repository
from simexit.models import LoginChallenge, Subscriber
from simexit.notifications import service as notifications
from simexit.notifications.ports import EMAIL_ADDRESS, PHONE_NUMBER
from simexit.principals import Actor, ActorType
from simexit.verification import codes

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_PER_IDENTIFIER = 5
MAX_PER_CLIENT = 20


class LoginOutcome(StrEnum):
    passed = "passed"
    wrong_code = "wrong_code"
    locked = "locked"
    expired = "expired"


@dataclass(frozen=True, slots=True)
class Identifier:
    channel: str  # sms | email
    value: str  # E.164 number or lower-case e-mail address

    @property
    def contact(self) -> str:
        """The contact kind the code goes to."""
        return PHONE_NUMBER if self.channel == "sms" else EMAIL_ADDRESS


@dataclass(frozen=True, slots=True)
class CodeRequest:
    challenge_id: uuid.UUID | None
    throttled: bool


@dataclass(frozen=True, slots=True)
class CodeCheck:
    outcome: LoginOutcome
    attempts_left: int
    subscriber_ids: tuple[uuid.UUID, ...] = ()


def parse_identifier(raw: str) -> Identifier | None:
    """A phone number in international form (+47..., 0047...) or an e-mail address."""
    text = raw.strip()
    if "@" in text:
        local, _, domain = text.partition("@")
        if local and "." in domain and " " not in text and len(text) <= 320:
            return Identifier("email", text.lower())
        return None
    digits = text.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        digits = "+" + digits
    try:
        number = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return Identifier(
        "sms", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    )


def _mac(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _subscribers(session: Session, identifier: Identifier) -> list[Subscriber]:
    column = Subscriber.phone_e164 if identifier.channel == "sms" else func.lower(Subscriber.email)
    return list(
        session.scalars(
            select(Subscriber)
            .where(column == identifier.value, Subscriber.erased_at.is_(None))
            .order_by(Subscriber.created_at, Subscriber.id)
        )
    )


def _recent(session: Session, column: InstrumentedAttribute[str], value: str, now: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(LoginChallenge)
            .where(column == value, LoginChallenge.created_at > now - THROTTLE_WINDOW)
        )
        or 0
    )


def request_code(
    session: Session,
    *,
    key: bytes,
    code_secret: bytes,
    identifier: Identifier,
    client: str,
    language: str,
    now: datetime,
) -> CodeRequest:
    identifier_hash = _mac(key, "identifier", identifier.value)
    client_hash = _mac(key, "client", client)
    if (
        _recent(session, LoginChallenge.identifier_hash, identifier_hash, now) >= MAX_PER_IDENTIFIER
        or _recent(session, LoginChallenge.client_hash, client_hash, now) >= MAX_PER_CLIENT
    ):
        return CodeRequest(None, throttled=True)
    challenge = LoginChallenge(
        id=uuid.uuid4(),
        identifier_hash=identifier_hash,
        client_hash=client_hash,
        channel=identifier.channel,
        attempts=0,
        max_attempts=MAX_ATTEMPTS,
        status="pending",
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    found = _subscribers(session, identifier)
    if found:
        code = codes.derive_code(code_secret, str(challenge.id))  # as the delivery job derives it
        challenge.code_hash = _mac(key, f"code:{challenge.id}", code)
        session.add(challenge)
        session.flush()
        notifications.notify(
            session,
            now=now,
            operator_id=found[0].operator_id,
            kind="verification.code",
            subject_id=str(challenge.id),
            language=language,
            contacts={identifier.contact: identifier.value},
            context={"expiry_minutes": int(CODE_TTL.total_seconds() // 60)},
        )
    else:
        session.add(challenge)
        session.flush()
    return CodeRequest(challenge.id, throttled=False)


def check_code(
    session: Session,
    *,
    key: bytes,
    challenge_id: uuid.UUID,
    identifier: Identifier,
    code: str,
    now: datetime,
) -> CodeCheck:
    """Check a code; the attempt is counted (and must be committed) whatever the outcome."""
    challenge = session.scalars(
        select(LoginChallenge).where(LoginChallenge.id == challenge_id).with_for_update()
    ).one_or_none()
    if challenge is None or not hmac.compare_digest(
        challenge.identifier_hash, _mac(key, "identifier", identifier.value)
    ):
        return CodeCheck(LoginOutcome.expired, 0)
    if challenge.status == "locked" or challenge.attempts >= challenge.max_attempts:
        return CodeCheck(LoginOutcome.locked, 0)
    if challenge.status != "pending" or now >= challenge.expires_at:
        challenge.status = "expired" if challenge.status == "pending" else challenge.status
        return CodeCheck(LoginOutcome.expired, 0)
    challenge.attempts += 1
    cleaned = "".join(ch for ch in code if ch.isdigit())
    expected = challenge.code_hash or _mac(key, "never", str(challenge.id))
    if challenge.code_hash is not None and hmac.compare_digest(
        expected, _mac(key, f"code:{challenge.id}", cleaned)
    ):
        challenge.status, challenge.verified_at, challenge.code_hash = "passed", now, None
        ids = tuple(s.id for s in _subscribers(session, identifier))
        return CodeCheck(LoginOutcome.passed, 0, ids)
    left = challenge.max_attempts - challenge.attempts
    if left <= 0:
        challenge.status = "locked"
        return CodeCheck(LoginOutcome.locked, 0)
    return CodeCheck(LoginOutcome.wrong_code, left)


def subscribers_by_ids(session: Session, ids: tuple[uuid.UUID, ...]) -> list[Subscriber]:
    if not ids:
        return []
    return list(
        session.scalars(
            select(Subscriber).where(
                or_(*(Subscriber.id == i for i in ids)), Subscriber.erased_at.is_(None)
            )
        )
    )


def account_language(session: Session, ids: tuple[uuid.UUID, ...]) -> str | None:
    """The stored language of the first of the session's accounts."""
    first = session.get(Subscriber, ids[0]) if ids else None
    return first.language if first is not None else None


def set_language(
    session: Session, ids: tuple[uuid.UUID, ...], language: str, *, now: datetime
) -> bool:
    """The person chose `language` (or signed in reading it): it becomes the stored language of
    each of their accounts and of their open cases, so messages follow it. Whether anything
    changed."""
    changed = False
    for subscriber in subscribers_by_ids(session, ids):
        if subscriber.language == language:
            continue
        before, subscriber.language = subscriber.language, language
        cases = case_repository.speak_to_subscriber_in(session, subscriber.id, language)
        audit.record(
            session,
            operator_id=subscriber.operator_id,
            actor=Actor(
                ActorType.subscriber,
                str(subscriber.id),
                operator_id=subscriber.operator_id,
                subscriber_id=subscriber.id,
            ),
            action="subscriber.language_changed",
            subject_type="subscriber",
            subject_id=subscriber.id,
            at=now,
            changes={"language": [before, language], "open_cases": cases},
        )
        changed = True
    return changed
