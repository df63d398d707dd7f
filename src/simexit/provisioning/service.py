"""Provisioning use cases: subscribers and lines created, changed and upserted by the operator's
own id, and the BSS events that move a line's money, activity and SIM.

Each takes the session first and never commits (the edge owns the transaction). Every write
needs the admin scope (`access.scopes.require_admin`), checks its fields with
`provisioning.rules` (all problems at once, as one 422), and writes one audit row naming the
changed fields. Writing what is already stored changes nothing and writes no audit row, so a
BSS can push its base again and again. The raw ID number and PIN never reach a row or the
audit trail: only their keyed hash / argon2 hash (`provisioning.secrets`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

import structlog
from sqlalchemy.orm import Session

from simexit.access.scopes import require_admin
from simexit.audit import service as audit
from simexit.cases.context import CaseContext
from simexit.cases.service.common import today_for
from simexit.errors import Conflict
from simexit.lines import repository as line_repository
from simexit.models import Line, Operator, Subscriber
from simexit.principals import Actor
from simexit.provisioning import repository, secrets
from simexit.provisioning.errors import (
    ExternalIdTaken,
    IccidTaken,
    OperatorRequired,
    invalid,
)
from simexit.provisioning.facts import operator_facts
from simexit.provisioning.rules import FieldProblem, OperatorFacts, check_line, check_subscriber

log = structlog.get_logger()

_Row = TypeVar("_Row", Line, Subscriber)

# The link of a line to its subscriber: not a line field, resolved here.
SUBSCRIBER_LINKS = ("subscriber_id", "subscriber_external_id")
# Columns whose values the audit trail must not show (hashes of secrets): only that they changed.
SECRET_COLUMNS = frozenset({"id_document_hash", "account_pin_hash"})
CHANGED = "changed"


class SubscriberErased(Conflict):
    code = "subscriber_erased"


@dataclass(frozen=True, slots=True)
class Tenant:
    """The operator a write is for, with what its rules need."""

    operator: Operator
    facts: OperatorFacts
    today: date


@dataclass(frozen=True, slots=True)
class Written(Generic[_Row]):
    row: _Row
    created: bool
    changed: tuple[str, ...]  # the columns that changed; empty when nothing did


def tenant(session: Session, ctx: CaseContext, actor: Actor, now: datetime) -> Tenant:
    """The caller's operator, after checking the caller may provision for it."""
    require_admin(actor)
    if actor.operator_id is None:
        raise OperatorRequired("say which operator this is for", field="operator")
    operator = repository.operator(session, actor.operator_id)
    pack = ctx.packs.get(operator.policy_pack)
    return Tenant(operator, operator_facts(operator, pack), today_for(operator, now))


# --- subscribers ---------------------------------------------------------------------------


def create_subscriber(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    values: Mapping[str, object],
    now: datetime,
    request_id: str | None = None,
) -> Subscriber:
    where = tenant(session, ctx, actor, now)
    return _create_subscriber(session, ctx, where, actor, values, now, request_id)


def _create_subscriber(
    session: Session,
    ctx: CaseContext,
    where: Tenant,
    actor: Actor,
    values: Mapping[str, object],
    now: datetime,
    request_id: str | None,
) -> Subscriber:
    cleaned, problems = check_subscriber(values, where.facts, today=where.today)
    if problems:
        raise invalid(problems)
    _external_id_free(session, Subscriber, where.operator.id, cleaned, None)
    sealed = secrets.seal(cleaned, secret=ctx.secret_key, operator_id=where.operator.id)
    languages = where.operator.languages or ["en"]
    subscriber = Subscriber(
        id=uuid.uuid4(),
        operator_id=where.operator.id,
        language=languages[0],
        created_at=now,
        updated_at=now,
    )
    changes = _apply(subscriber, sealed)
    session.add(subscriber)
    session.flush()
    _audit(session, actor, subscriber, "subscriber.created", changes, now, request_id)
    return subscriber


def update_subscriber(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    subscriber_id: uuid.UUID,
    values: Mapping[str, object],
    now: datetime,
    request_id: str | None = None,
) -> Written[Subscriber]:
    where = tenant(session, ctx, actor, now)
    subscriber = repository.get_subscriber(session, actor, subscriber_id, for_update=True)
    return _update_subscriber(session, ctx, where, actor, subscriber, values, now, request_id)


def _update_subscriber(
    session: Session,
    ctx: CaseContext,
    where: Tenant,
    actor: Actor,
    subscriber: Subscriber,
    values: Mapping[str, object],
    now: datetime,
    request_id: str | None,
) -> Written[Subscriber]:
    cleaned, problems = check_subscriber(values, where.facts, today=where.today, partial=True)
    if problems:
        raise invalid(problems)
    if subscriber.erased_at is not None:
        raise SubscriberErased("this subscriber's data was erased", field="subscriber_id")
    _external_id_free(session, Subscriber, where.operator.id, cleaned, subscriber.id)
    sealed = secrets.seal(
        cleaned,
        secret=ctx.secret_key,
        operator_id=where.operator.id,
        current_pin_hash=subscriber.account_pin_hash,
    )
    changes = _apply(subscriber, sealed)
    if changes:
        subscriber.updated_at = now
        _audit(session, actor, subscriber, "subscriber.updated", changes, now, request_id)
    return Written(subscriber, False, tuple(changes))


def upsert_subscriber(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    external_id: str,
    values: Mapping[str, object],
    now: datetime,
    request_id: str | None = None,
) -> Written[Subscriber]:
    """Create the subscriber with this external id, or bring the existing one up to `values`."""
    where = tenant(session, ctx, actor, now)
    values = _with_external_id(values, external_id)
    existing = repository.subscriber_by_external_id(session, actor, external_id, for_update=True)
    if existing is None:
        created = _create_subscriber(session, ctx, where, actor, values, now, request_id)
        return Written(created, True, ())
    return _update_subscriber(session, ctx, where, actor, existing, values, now, request_id)


# --- lines ---------------------------------------------------------------------------------


def create_line(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    values: Mapping[str, object],
    now: datetime,
    request_id: str | None = None,
) -> Line:
    where = tenant(session, ctx, actor, now)
    return _create_line(session, where, actor, values, now, request_id)


def _create_line(
    session: Session,
    where: Tenant,
    actor: Actor,
    values: Mapping[str, object],
    now: datetime,
    request_id: str | None,
) -> Line:
    fields, link = _split_link(values)
    cleaned, problems = check_line(fields, where.facts, today=where.today)
    subscriber_id = _linked_subscriber(session, actor, link, problems, required=True)
    _check_reseller(session, where, cleaned, problems)
    if problems:
        raise invalid(problems)
    line_keys_free(session, where.operator.id, cleaned, None)
    line = Line(
        id=uuid.uuid4(),
        operator_id=where.operator.id,
        subscriber_id=subscriber_id,
        created_at=now,
        updated_at=now,
    )
    changes = _apply(line, {**cleaned, "subscriber_id": subscriber_id})
    session.add(line)
    session.flush()
    _audit(session, actor, line, "line.created", changes, now, request_id)
    return line


def update_line(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    line_id: uuid.UUID,
    values: Mapping[str, object],
    now: datetime,
    request_id: str | None = None,
) -> Written[Line]:
    where = tenant(session, ctx, actor, now)
    line = _line_in_scope(session, actor, line_id)
    return _update_line(session, where, actor, line, values, now, request_id)


def _line_in_scope(session: Session, actor: Actor, line_id: uuid.UUID) -> Line:
    return line_repository.get_line(session, actor, line_id, for_update=True)


def _update_line(
    session: Session,
    where: Tenant,
    actor: Actor,
    line: Line,
    values: Mapping[str, object],
    now: datetime,
    request_id: str | None,
) -> Written[Line]:
    fields, link = _split_link(values)
    cleaned, problems = check_line(fields, where.facts, today=where.today, partial=True)
    subscriber_id = _linked_subscriber(session, actor, link, problems, required=False)
    _check_reseller(session, where, cleaned, problems)
    problems.extend(_cross_checks_with_row(line, cleaned))
    if problems:
        raise invalid(problems)
    line_keys_free(session, where.operator.id, cleaned, line.id)
    if subscriber_id is not None:
        cleaned["subscriber_id"] = subscriber_id
    changes = _apply(line, cleaned)
    if changes:
        line.updated_at = now
        _audit(session, actor, line, "line.updated", changes, now, request_id)
    return Written(line, False, tuple(changes))


def upsert_line(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    external_id: str,
    values: Mapping[str, object],
    now: datetime,
    request_id: str | None = None,
) -> Written[Line]:
    """Create the line with this external id, or bring the existing one up to `values`."""
    where = tenant(session, ctx, actor, now)
    values = _with_external_id(values, external_id)
    existing = repository.line_by_external_id(session, actor, external_id, for_update=True)
    if existing is None:
        return Written(_create_line(session, where, actor, values, now, request_id), True, ())
    return _update_line(session, where, actor, existing, values, now, request_id)


# --- shared --------------------------------------------------------------------------------


def _with_external_id(values: Mapping[str, object], external_id: str) -> dict[str, object]:
    given = values.get("external_id")
    if given not in (None, "", external_id):
        raise invalid(
            [FieldProblem("external_id", "matches_path", "must match the external id in the path")]
        )
    return {**values, "external_id": external_id}


def _split_link(values: Mapping[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    fields = {k: v for k, v in values.items() if k not in SUBSCRIBER_LINKS}
    link = {k: v for k, v in values.items() if k in SUBSCRIBER_LINKS and v not in (None, "")}
    return fields, link


def _linked_subscriber(
    session: Session,
    actor: Actor,
    link: Mapping[str, object],
    problems: list[FieldProblem],
    *,
    required: bool,
) -> uuid.UUID | None:
    """The subscriber a line belongs to, by id or by the operator's external id."""
    if "subscriber_id" in link:
        try:
            wanted = uuid.UUID(str(link["subscriber_id"]))
        except ValueError:
            problems.append(FieldProblem("subscriber_id", "uuid", "must be a UUID"))
            return None
        found = repository.subscriber_in_scope(session, actor, wanted)
        if found is None:
            problems.append(
                FieldProblem("subscriber_id", "unknown_subscriber", "no such subscriber")
            )
        return found
    if "subscriber_external_id" in link:
        external = str(link["subscriber_external_id"])
        subscriber = repository.subscriber_by_external_id(session, actor, external)
        if subscriber is None:
            problems.append(
                FieldProblem(
                    "subscriber_external_id",
                    "unknown_subscriber",
                    "no subscriber has this external id",
                )
            )
            return None
        return subscriber.id
    if required:
        problems.append(
            FieldProblem("subscriber_id", "required", "is required (or subscriber_external_id)")
        )
    return None


def _check_reseller(
    session: Session, where: Tenant, cleaned: Mapping[str, object], problems: list[FieldProblem]
) -> None:
    reseller_id = cleaned.get("reseller_id")
    if isinstance(reseller_id, uuid.UUID) and not repository.reseller_exists(
        session, where.operator.id, reseller_id
    ):
        problems.append(
            FieldProblem("reseller_id", "unknown_reseller", "no reseller of the operator")
        )


def _cross_checks_with_row(line: Line, cleaned: Mapping[str, object]) -> list[FieldProblem]:
    """The rules between fields, with the stored value standing in for one not given."""
    merged = {
        "commitment_start": cleaned.get("commitment_start", line.commitment_start),
        "commitment_end": cleaned.get("commitment_end", line.commitment_end),
        "balance_minor": cleaned.get("balance_minor", line.balance_minor),
        "bonus_balance_minor": cleaned.get("bonus_balance_minor", line.bonus_balance_minor),
    }
    problems: list[FieldProblem] = []
    start, end = merged["commitment_start"], merged["commitment_end"]
    touched = {"commitment_start", "commitment_end"} & set(cleaned)
    if touched and isinstance(start, date) and isinstance(end, date) and end < start:
        problems.append(
            FieldProblem("commitment_end", "date_order", "must not be before commitment_start")
        )
    balance, bonus = merged["balance_minor"], merged["bonus_balance_minor"]
    touched = {"balance_minor", "bonus_balance_minor"} & set(cleaned)
    if touched and isinstance(balance, int) and isinstance(bonus, int) and bonus > balance:
        problems.append(
            FieldProblem("bonus_balance", "bonus_within_balance", "must not exceed balance")
        )
    return problems


def _external_id_free(
    session: Session,
    model: type[Line] | type[Subscriber],
    operator_id: uuid.UUID,
    cleaned: Mapping[str, object],
    own_id: uuid.UUID | None,
) -> None:
    external_id = cleaned.get("external_id")
    if isinstance(external_id, str) and repository.external_id_holder(
        session, model, operator_id, external_id, other_than=own_id
    ):
        raise ExternalIdTaken(
            "another record of the operator has this external id", field="external_id"
        )


def line_keys_free(
    session: Session,
    operator_id: uuid.UUID,
    cleaned: Mapping[str, object],
    own_id: uuid.UUID | None,
) -> None:
    _external_id_free(session, Line, operator_id, cleaned, own_id)
    iccid = cleaned.get("iccid")
    if isinstance(iccid, str) and repository.line_with_iccid(
        session, operator_id, iccid, other_than=own_id
    ):
        raise IccidTaken("another line of the operator has this ICCID", field="iccid")


def _apply(row: Line | Subscriber, values: Mapping[str, object]) -> dict[str, Any]:
    """Set what differs; the changes as {column: [before, after]} for the audit trail."""
    changes: dict[str, Any] = {}
    for column, value in values.items():
        before = getattr(row, column, None)
        if _same(before, value):
            continue
        setattr(row, column, value)
        changes[column] = CHANGED if column in SECRET_COLUMNS else [_plain(before), _plain(value)]
    return changes


def _same(before: object, after: object) -> bool:
    if isinstance(before, Enum):
        before = before.value
    if isinstance(before, list) and isinstance(after, list):
        return sorted(map(str, before)) == sorted(map(str, after))
    return before == after


def _plain(value: object) -> object:
    """A value as JSON holds it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _audit(
    session: Session,
    actor: Actor,
    row: Line | Subscriber,
    action: str,
    changes: dict[str, Any],
    now: datetime,
    request_id: str | None,
) -> None:
    audit.record(
        session,
        operator_id=row.operator_id,
        actor=actor,
        action=action,
        subject_type="line" if isinstance(row, Line) else "subscriber",
        subject_id=row.id,
        at=now,
        changes=changes,
        request_id=request_id,
    )
    log.info(action, subject_id=str(row.id), fields=sorted(changes))
