"""A queue of many cases for the console tests: lines cloned from a demo line, each with a case
opened, identity-checked and submitted through the case service as a phone agent would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from simexit.cases import service as cases
from simexit.models import Case, Line, Operator, StaffUser, Subscriber
from simexit.policies.model import Channel, RequestType
from simexit.runtime import Runtime
from simexit.verification.methods import Method
from simexit.web.routes.console.permissions import staff_actor

CLONED = ("kind", "plan", "currency", "activated_on", "region", "purchase_channel", "product_name")
REASONS = ("moving_abroad", "too_expensive", "coverage", "other")
NAMES = ("Kari Nordmann", "Ola Hansen", "Ingrid Berg", "Per Olsen", "Marit Lie")


def seed_queue(
    runtime: Runtime,
    count: int,
    *,
    operator_code: str = "ice-no",
    number_prefix: str = "+4790",
    channel: Channel = Channel.phone,
) -> list[uuid.UUID]:
    """`count` cases of one operator, submitted through the service (most go to review); their
    ids in the order they were opened. Subscriber i is named `<one of NAMES> <i>`, line i has
    the number <number_prefix><i, six digits>; every fifth case (4, 9, …) came by chat, the rest by `channel`."""
    now = datetime.now(UTC)
    ctx = runtime.cases
    ids: list[uuid.UUID] = []
    with runtime.db.session() as session:
        operator = session.scalars(select(Operator).where(Operator.code == operator_code)).one()
        staff = session.scalars(
            select(StaffUser).where(StaffUser.email == f"agent@{operator_code}.demo")
        ).one()
        actor = staff_actor(staff)
        model = session.scalars(
            select(Line).where(
                Line.operator_id == operator.id,
                Line.plan == "prepaid",
                Line.kind == "physical_sim",
                Line.status == "active",
            )
        ).first()
        assert model is not None
        for i in range(count):
            subscriber = Subscriber(
                id=uuid.uuid4(),
                operator_id=operator.id,
                full_name=f"{NAMES[i % len(NAMES)]} {i:03d}",
                phone_e164=f"{number_prefix}{i:06d}",
                language="nb",
                created_at=now,
            )
            session.add(subscriber)
            session.flush()  # no relationship orders the inserts: the subscriber goes first
            line = Line(
                id=uuid.uuid4(),
                operator_id=operator.id,
                subscriber_id=subscriber.id,
                msisdn=f"{number_prefix}{i:06d}",
                iccid=f"89{number_prefix[1:]:0>6}{i:011d}",
                status="active",
                created_at=now,
                updated_at=now,
                **{name: getattr(model, name) for name in CLONED},
            )
            session.add(line)
            session.flush()
            case = cases.open_case(
                session,
                ctx,
                actor=actor,
                line_id=line.id,
                case_type=RequestType.terminate,
                channel=Channel.chat if i % 5 == 4 else channel,
                now=now,
                reason_code=REASONS[i % len(REASONS)],
            ).case
            cases.attest_identity(
                session, ctx, actor=actor, case_id=case.id, method=Method.id_document, now=now
            )
            cases.submit(
                session, ctx, actor=actor, case_id=case.id, now=now, consent_text="read out"
            )
            ids.append(case.id)
    return ids


def statuses(runtime: Runtime, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    with runtime.db.read_session() as session:
        rows = session.execute(select(Case.id, Case.status).where(Case.id.in_(ids))).all()
    return {case_id: str(status) for case_id, status in rows}
