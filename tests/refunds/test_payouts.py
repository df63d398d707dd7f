"""Refunds paid: from a settled case's ledger to a pain.001 file and the bank's answer, on the
real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from simexit.audit.service import events_for
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.errors import InvalidFields
from simexit.integrations.simulated import SIMULATED_DEBTOR, SimulatedPayments
from simexit.models import Case, LedgerEntry, Line, Notification, Operator, Payout, Subscriber
from simexit.policies.loader import PackRegistry, load_registry
from simexit.privacy import service as privacy
from simexit.refunds import service
from simexit.refunds.errors import (
    BatchNotFound,
    CaseNotFound,
    InvalidStatusReportFile,
    NoDebtorAccount,
    NothingToPay,
    PayoutAlreadySent,
)
from simexit.refunds.pain001 import Debtor, validate
from simexit.refunds.states import PayoutStatus
from tests.cases.conftest import World, build_world
from tests.fixtures.factories import create_line
from tests.refunds.conftest import settled_with_refund
from tests.refunds.test_payment_files import status_report

KARI = {"kind": "no_account", "holder_name": "Kari Nordmann", "account": "8601.11.17947"}
KARI_IBAN = {"kind": "iban", "holder_name": "Kari Nordmann", "account": "NO9386011117947"}
EXECUTION = date(2026, 12, 10)


def _telenor(db: Database, packs: PackRegistry) -> World:
    return build_world(db, packs, pack_id="no/telenor", plan="prepaid", balance_minor=39900)


def _sums(db: Database, case_id: uuid.UUID) -> dict[str, int]:
    with db.read_session() as session:
        rows = session.execute(
            select(LedgerEntry.account, func.sum(LedgerEntry.amount_minor))
            .where(LedgerEntry.case_id == case_id)
            .group_by(LedgerEntry.account)
        )
        return {account: int(total) for account, total in rows}


def _give(
    db: Database,
    ctx: CaseContext,
    world: World,
    case_id: uuid.UUID,
    values: dict[str, str],
    now: datetime,
) -> service.DestinationView:
    with db.session() as session:
        return service.give_destination(
            session, ctx, actor=world.subscriber, case_id=case_id, values=values, now=now
        )


def _export(
    db: Database,
    ctx: CaseContext,
    world: World,
    now: datetime,
    debtor: Debtor | None = SIMULATED_DEBTOR,
) -> service.ExportedBatch:
    with db.session() as session:
        operator = session.get(Operator, world.operator_id)
        assert operator is not None
        exported = service.export_batch(
            session,
            ctx,
            actor=world.agent,
            operator=operator,
            currency="NOK",
            debtor=debtor,
            execution_date=EXECUTION,
            now=now,
        )
        session.expunge(exported.batch)
        return exported


def _report(db: Database, world: World, data: bytes, now: datetime) -> service.ReportOutcome:
    with db.session() as session:
        return service.import_status_report(
            session, actor=world.agent, operator_id=world.operator_id, data=data, now=now
        )


def _told(db: Database, kind: str) -> list[Notification]:
    with db.read_session() as session:
        found = list(session.scalars(select(Notification).where(Notification.kind == kind)))
        session.expunge_all()
        return found


def _payout(db: Database, case_id: uuid.UUID) -> Payout:
    with db.read_session() as session:
        payout = session.scalars(select(Payout).where(Payout.case_id == case_id)).one()
        session.expunge(payout)
        return payout


def test_a_refund_goes_from_the_ledger_into_a_bank_file_and_settles_once(
    db: Database, ctx: CaseContext, packs: PackRegistry, payments: SimulatedPayments, now: datetime
) -> None:
    world = _telenor(db, packs)
    case = settled_with_refund(db, ctx, world, now)
    assert case.preview is not None
    assert case.preview.refund.minor == 39900
    with db.session() as session:
        opened = service.open_due(session, ctx, operator_id=world.operator_id, now=now)
        assert [p.status for p in opened] == [PayoutStatus.awaiting_destination]
    view = _give(db, ctx, world, case.id, KARI, now)
    assert (view.kind, view.masked, view.payout_status) == (
        "no_account",
        "no_account •••• 7947",
        PayoutStatus.scheduled,
    )
    exported = _export(db, ctx, world, now)
    validate(exported.document)
    payout = _payout(db, case.id)
    assert payout.status is PayoutStatus.sent
    assert f"<EndToEndId>{payout.id.hex}</EndToEndId>".encode() in exported.document
    assert b"<Id>86011117947</Id>" in exported.document
    assert b'<InstdAmt Ccy="NOK">399.00</InstdAmt>' in exported.document
    assert _sums(db, case.id)["payout_due"] == 0
    assert _sums(db, case.id)["payout_in_transit"] == -39900

    answer = status_report(exported.batch.message_id, (payout.id.hex, "ACSC", None))
    outcome = _report(db, world, answer, now)
    assert (outcome.settled, outcome.returned, outcome.unknown) == (1, 0, [])
    assert _payout(db, case.id).status is PayoutStatus.settled
    sums = _sums(db, case.id)
    assert (sums["payout_in_transit"], sums["operator_bank"]) == (0, -39900)
    assert sum(sums.values()) == 0
    again = _report(db, world, answer, now)
    assert (again.settled, again.unchanged) == (0, 1)
    assert _sums(db, case.id) == sums
    told = _told(db, "payout.settled")
    assert told, "the subscriber is told the refund is paid"
    assert len({n.channel for n in told}) == len(told), "once per channel, the report read twice"
    assert all("7947" in n.body_text for n in told)
    with db.read_session() as session:
        actions = [
            e.action for e in events_for(session, subject_type="payout", subject_id=payout.id)
        ]
        assert actions == ["payout.opened", "payout.scheduled", "payout.sent", "payout.settled"]
        assert (
            service.batch_document(session, ctx, world.agent, exported.batch.id)
            == exported.document
        )
        stored = session.execute(
            text(
                "SELECT sealed FROM refund_destinations UNION ALL SELECT file_sealed FROM payout_batches"
            )
        ).scalars()
        assert all("86011117947" not in value and "Kari" not in value for value in stored)


def test_a_returned_refund_waits_for_a_new_destination_and_is_paid_again_under_its_id(
    db: Database, ctx: CaseContext, packs: PackRegistry, payments: SimulatedPayments, now: datetime
) -> None:
    world = _telenor(db, packs)
    case = settled_with_refund(db, ctx, world, now)
    _give(db, ctx, world, case.id, KARI, now)
    first = _export(db, ctx, world, now)
    payout = _payout(db, case.id)
    _report(db, world, status_report(first.batch.message_id, (payout.id.hex, "RJCT", "AC04")), now)
    returned = _payout(db, case.id)
    assert (returned.status, returned.return_reason) == (PayoutStatus.returned, "AC04")
    told = _told(db, "payout.returned")
    assert told, "the subscriber is told the bank sent the refund back"
    closed = {"en": "The account is closed.", "nb": "Kontoen er avsluttet.", "ru": "Счёт закрыт."}
    emails = [n for n in told if n.channel == "email"]
    assert emails, "the e-mail gives the bank's reason (an SMS says only what to do)"
    assert all(closed[n.language] in n.body_text for n in emails)
    assert _sums(db, case.id)["payout_due"] == -39900
    with pytest.raises(NothingToPay):
        _export(db, ctx, world, now)
    assert _give(db, ctx, world, case.id, KARI_IBAN, now).payout_status is PayoutStatus.scheduled
    second = _export(db, ctx, world, now)
    assert f"<EndToEndId>{payout.id.hex}</EndToEndId>".encode() in second.document
    assert b"<IBAN>NO9386011117947</IBAN>" in second.document
    assert _payout(db, case.id).files_sent == 2
    with db.session() as session, pytest.raises(PayoutAlreadySent):
        service.give_destination(
            session, ctx, actor=world.subscriber, case_id=case.id, values=KARI, now=now
        )
    whole = status_report(second.batch.message_id, group="RJCT")
    assert _report(db, world, whole, now).returned == 1
    # A second return is a second message; the first is not sent again.
    assert len(_told(db, "payout.returned")) == 2 * len(told)


def test_a_refund_to_another_line_of_the_subscriber_is_credited_to_it(
    db: Database, ctx: CaseContext, packs: PackRegistry, payments: SimulatedPayments, now: datetime
) -> None:
    world = build_world(db, packs, pack_id="ru/mts", plan="prepaid", balance_minor=65000)
    with db.session() as session:
        operator = session.get(Operator, world.operator_id)
        owner = session.get(Subscriber, world.subscriber_id)
        assert operator is not None
        assert owner is not None
        other_line = create_line(
            session, operator=operator, subscriber=owner, msisdn="+79161234567"
        ).id
        stranger = create_line(session, operator=operator, msisdn="+79161234568").id
    case = settled_with_refund(db, ctx, world, now)
    with db.session() as session, pytest.raises(InvalidFields) as refused:
        service.give_destination(
            session, ctx, actor=world.agent, case_id=case.id,
            values={"kind": "line", "holder_name": "Иван", "account": str(stranger)}, now=now,
        )  # fmt: skip
    assert [(f, r) for f, r, _d, _p in refused.value.problems] == [
        ("body.account", "line_of_subscriber")
    ]
    with db.session() as session, pytest.raises(InvalidFields) as not_ours:
        service.give_destination(
            session, ctx, actor=world.agent, case_id=case.id, values=KARI, now=now
        )
    assert [(f, r) for f, r, _d, _p in not_ours.value.problems] == [
        ("body.kind", "account_format_not_used")
    ]
    view = _give(
        db,
        ctx,
        world,
        case.id,
        {"kind": "line", "holder_name": "Иван", "account": str(other_line)},
        now,
    )
    # Whether the scan opened the payout before the destination came or opens it now, a refund
    # to a line is credited as soon as both are there.
    assert view.payout_status in {None, PayoutStatus.settled}
    with db.session() as session:
        service.open_due(session, ctx, operator_id=world.operator_id, now=now)
    assert _payout(db, case.id).status is PayoutStatus.settled
    with db.read_session() as session:
        credited = session.get(Line, other_line)
        assert credited is not None
        assert credited.balance_minor == 65000
    assert _sums(db, case.id)["payout_due"] == 0
    assert sum(_sums(db, case.id).values()) == 0


def test_other_tenants_and_bad_files_are_refused_with_the_reason(
    db: Database, ctx: CaseContext, packs: PackRegistry, payments: SimulatedPayments, now: datetime
) -> None:
    world = _telenor(db, packs)
    case = settled_with_refund(db, ctx, world, now)
    with db.session() as session, pytest.raises(CaseNotFound):
        service.give_destination(
            session, ctx, actor=world.foreign_agent, case_id=case.id, values=KARI, now=now
        )
    _give(db, ctx, world, case.id, KARI, now)
    exported = _export(db, ctx, world, now)
    with db.session() as session, pytest.raises(BatchNotFound):
        service.import_status_report(
            session, actor=world.foreign_agent, operator_id=world.other_operator_id,
            data=status_report(exported.batch.message_id), now=now,
        )  # fmt: skip
    with db.session() as session, pytest.raises(InvalidStatusReportFile):
        service.import_status_report(
            session, actor=world.agent, operator_id=world.operator_id, data=b"<x/>", now=now
        )
    with db.read_session() as session, pytest.raises(BatchNotFound):
        service.batch_document(session, ctx, world.foreign_agent, exported.batch.id)
    with pytest.raises(NoDebtorAccount):
        _export(db, ctx, world, now, debtor=None)


def test_erasure_forgets_the_account_details(
    db: Database, ctx: CaseContext, packs: PackRegistry, payments: SimulatedPayments, now: datetime
) -> None:
    world = _telenor(db, packs)
    case = settled_with_refund(db, ctx, world, now)
    with db.session() as session:
        service.open_due(session, ctx, operator_id=world.operator_id, now=now)
    assert _give(db, ctx, world, case.id, KARI, now).payout_status is PayoutStatus.scheduled
    with db.session() as session:
        subscriber = session.get(Subscriber, world.subscriber_id)
        assert subscriber is not None
        reached = privacy.erase_subscriber(session, subscriber, now=now, reason={"why": "test"})
        assert (reached["refund_destinations"], reached["payouts_unscheduled"]) == (1, 1)
    with db.read_session() as session:
        view = service.destination_view(session, world.agent, case.id)
        assert view is not None
        assert (view.kind, view.masked) == ("no_account", None)
        row = session.execute(text("SELECT sealed, masked FROM refund_destinations")).one()
        assert tuple(row) == (None, None)
    assert _payout(db, case.id).status is PayoutStatus.awaiting_destination


CARD_PACK = """
pack:
  id: us/cardco
  kind: operator
  extends: [country/us]
  country: US
  operator: {legal_name: "Card Co"}
  reviewed: 2026-12-04
prepaid:
  balance_on_cancel:
    value: {policy: refund_on_request, methods: [card, bank_transfer]}
    status: U
"""


def test_a_card_refund_is_paid_by_the_payments_gateway_once(
    db: Database, ctx: CaseContext, payments: SimulatedPayments, now: datetime, tmp_path: Path
) -> None:
    (tmp_path / "cardco.yaml").write_text(CARD_PACK, encoding="utf-8")
    packs = load_registry([tmp_path])
    card_ctx = CaseContext(packs=packs, secret_key=ctx.secret_key)
    from simexit.cases import tasks as case_tasks
    from simexit.integrations.simulated import simulated_gateways
    from simexit.refunds import tasks as refund_tasks
    from tests.fixtures.gateways import SameForEveryOperator
    from tests.refunds.conftest import run_on

    case_tasks.install(card_ctx, SameForEveryOperator(simulated_gateways(payments=payments)))
    refund_tasks.install(card_ctx, lambda _code: payments)
    world = build_world(
        db, packs, pack_id="us/cardco", plan="prepaid", balance_minor=2500, msisdn="+12025550123"
    )
    case = settled_with_refund(db, card_ctx, world, now)
    _give(
        db,
        card_ctx,
        world,
        case.id,
        {"kind": "card", "holder_name": "Jo", "account": "tok_visa_4242"},
        now,
    )
    with db.session() as session:
        service.open_due(session, card_ctx, operator_id=world.operator_id, now=now)
    run_on(db, now.date(), now)
    run_on(db, now.date(), now)
    paid = _payout(db, case.id)
    assert paid.status is PayoutStatus.settled
    assert list(payments.payouts) == [paid.id.hex]
    assert payments.payouts[paid.id.hex][1].destination == "tok_visa_4242"
    assert paid.provider_reference == payments.payouts[paid.id.hex][0]
    assert _sums(db, case.id)["payout_due"] == 0
    told = _told(db, "payout.settled")
    assert told
    assert len({n.channel for n in told}) == len(told)
    assert all("4242" in n.body_text for n in told if n.channel == "email")
    with db.read_session() as session:
        assert session.get(Case, case.id) is not None
