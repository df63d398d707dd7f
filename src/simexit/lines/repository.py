"""Every query for lines and their subscribers, scoped to the principal's tenant.

A principal that may not see a row gets "not found", never "forbidden", so ids can't be probed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, exists, func, literal, or_, select, update
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import Session, SessionTransaction

from simexit.lines.errors import LineNotFound
from simexit.lines.states import LIVE, LineStatus
from simexit.models import Line, Subscriber
from simexit.notifications.ports import EMAIL_ADDRESS, PHONE_NUMBER, PUSH_TOKEN
from simexit.prepared import Prepared
from simexit.principals import Actor
from simexit.principals.scoping import by_id_in_scope, scope


def get_line(
    session: Session, actor: Actor, line_id: uuid.UUID, *, for_update: bool = False
) -> Line:
    statement, parameters = by_id_in_scope(Line, actor, for_update)
    parameters["id"] = line_id
    line: Line | None = session.scalars(statement, parameters).one_or_none()
    if line is None:
        raise LineNotFound("no such line", field="line_id", line_id=str(line_id))
    return line


def find_lines_by_msisdn(session: Session, actor: Actor, msisdn: str) -> list[Line]:
    statement = scope(select(Line).where(Line.msisdn == msisdn), actor, Line)
    return list(session.scalars(statement.order_by(Line.created_at)))


def lines_of_subscriber(session: Session, actor: Actor, subscriber_id: uuid.UUID) -> list[Line]:
    statement = scope(select(Line).where(Line.subscriber_id == subscriber_id), actor, Line)
    return list(session.scalars(statement.order_by(Line.msisdn)))


def subscriber(session: Session, subscriber_id: uuid.UUID) -> Subscriber:
    found = session.get(Subscriber, subscriber_id)
    if found is None:
        raise LineNotFound("no such subscriber", field="subscriber_id")
    return found


@dataclass(frozen=True, slots=True)
class Contact:
    """Where and in which language a subscriber's messages go; `erased` once retention removed
    their details."""

    email: str | None
    phone_e164: str | None
    language: str
    erased: bool
    push_token: str | None = None

    @property
    def addresses(self) -> Mapping[str, str | None]:
        """By contact kind, as `notifications.service.notify` takes them."""
        return {
            EMAIL_ADDRESS: self.email,
            PHONE_NUMBER: self.phone_e164,
            PUSH_TOKEN: self.push_token,
        }


def addresses(subscriber: Subscriber) -> Mapping[str, str | None]:
    """A subscriber's addresses by contact kind: the one place that maps its columns to them."""
    return Contact(
        subscriber.email,
        subscriber.phone_e164,
        subscriber.language,
        subscriber.erased_at is not None,
        subscriber.push_token,
    ).addresses


_CONTACT = Prepared(
    select(
        Subscriber.email,
        Subscriber.phone_e164,
        Subscriber.language,
        Subscriber.erased_at,
        Subscriber.push_token,
    ).where(Subscriber.id == bindparam("id"))
)


_CONTACTS = "simexit.lines.contacts"


def contact(session: Session, subscriber_id: uuid.UUID) -> Contact:
    """A few columns, not the entity: every state change that tells the subscriber reads them.

    Read once per transaction: a submission that tells the subscriber twice (submitted, then
    approved) asks the database once. The copy in `session.info` is dropped whenever a
    transaction or savepoint ends (`_forget_contacts`), and `forget_contact` drops it at once
    for a transaction that changes the subscriber (erasure)."""
    contacts: dict[uuid.UUID, Contact] = session.info.setdefault(_CONTACTS, {})
    found = contacts.get(subscriber_id)
    if found is None:
        row = _CONTACT.one_or_none(session, {"id": subscriber_id})
        if row is None:
            raise LineNotFound("no such subscriber", field="subscriber_id")
        email, phone_e164, language, erased_at, push_token = row
        found = contacts[subscriber_id] = Contact(
            email, phone_e164, language, erased_at is not None, push_token
        )
    return found


def forget_contact(session: Session, subscriber_id: uuid.UUID) -> None:
    session.info.get(_CONTACTS, {}).pop(subscriber_id, None)


@sqlalchemy_event.listens_for(Session, "after_transaction_end")
def _forget_contacts(session: Session, _transaction: SessionTransaction) -> None:
    session.info.pop(_CONTACTS, None)


_LIVE_LINES_OF_SUBSCRIBER = Prepared(
    select(func.count())
    .select_from(Line)
    .where(
        Line.subscriber_id == bindparam("subscriber_id"),
        Line.status.in_([literal(s.value) for s in sorted(LIVE)]),
    )
)


def subscriber_line_count(session: Session, subscriber_id: uuid.UUID) -> int:
    return int(_LIVE_LINES_OF_SUBSCRIBER.scalars(session, {"subscriber_id": subscriber_id})[0])


ENDED = (LineStatus.terminated, LineStatus.number_released)


def subscribers_due_for_erasure(
    session: Session,
    *,
    operator_id: uuid.UUID,
    ended_on_or_before: date,
    after: uuid.UUID | None,
    limit: int,
) -> list[Subscriber]:
    """The next `limit` unerased subscribers of an operator, in id order after `after`, whose
    lines have all ended on or before the date (a subscriber with no line is not a leaver).

    The whole test is in the query, so a batch holds only subscribers to erase: live ones
    never crowd the due ones out, however many there are."""
    has_a_line = exists().where(Line.subscriber_id == Subscriber.id)
    has_a_line_to_keep = exists().where(
        Line.subscriber_id == Subscriber.id,
        or_(
            Line.status.not_in(ENDED),
            Line.terminated_on.is_(None),
            Line.terminated_on > ended_on_or_before,
        ),
    )
    query = (
        select(Subscriber)
        .where(
            Subscriber.operator_id == operator_id,
            Subscriber.erased_at.is_(None),
            has_a_line,
            ~has_a_line_to_keep,
        )
        .order_by(Subscriber.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Subscriber.id > after)
    return list(session.scalars(query))


# What an erased line's number reads as: the line row stays for the ledger and the trail, but
# it no longer says which number, SIM or eSIM the person had.
ERASED_MSISDN = "erased"


def erase_line_identifiers(session: Session, *, subscriber_id: uuid.UUID) -> int:
    """Blank the number, ICCID, IMSI and EID of a subscriber's ended lines; how many lines."""
    result = session.execute(
        update(Line)
        .where(Line.subscriber_id == subscriber_id, Line.status.in_(ENDED))
        .values(msisdn=ERASED_MSISDN, iccid=None, imsi=None, eid=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def voluntary_suspensions_ending(
    session: Session, *, operator_id: uuid.UUID, on_or_before: date, limit: int
) -> list[Line]:
    """Suspended lines whose voluntary suspension ends by `on_or_before`, locked for change."""
    statement = (
        select(Line)
        .where(
            Line.operator_id == operator_id,
            Line.status == LineStatus.suspended,
            Line.voluntary_until <= on_or_before,
        )
        .order_by(Line.voluntary_until, Line.id)
        .limit(limit)
        .with_for_update()
    )
    return list(session.scalars(statement))


_SET_SUSPENSION = Prepared(
    update(Line)
    .where(Line.id == bindparam("line_id"))
    .values(
        status=bindparam("new_status"),
        suspension_flags=bindparam("new_flags"),
        suspended_since=bindparam("new_since"),
        voluntary_until=bindparam("new_voluntary_until"),
        updated_at=bindparam("new_updated_at"),
    )
)


def write_suspensions(session: Session, rows: list[dict[str, object]]) -> None:
    """Many lines' suspension columns at once (one executemany), each row keyed `line_id`,
    `new_status`, `new_flags`, `new_since`, `new_voluntary_until`, `new_updated_at`."""
    if rows:
        _SET_SUSPENSION.run_many(session, rows)
