"""The ledger for finance on the real database (SQLite and PostgreSQL): the trial balance over
a refund's whole life, a one-sided entry named, the CSV export, the CLI and the API."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from simexit.cases.context import CaseContext
from simexit.cli import app as cli_app
from simexit.config import get_settings
from simexit.db import Database
from simexit.errors import InvalidFields
from simexit.integrations.simulated import SimulatedPayments
from simexit.ledger import service
from simexit.models import LedgerEntry
from simexit.policies.loader import PackRegistry
from simexit.refunds import service as refunds
from tests.refunds.conftest import settled_with_refund
from tests.refunds.test_payment_files import status_report
from tests.refunds.test_payouts import KARI, _export, _give, _payout, _report, _telenor


def _check(db: Database) -> service.TrialBalance:
    with db.read_session() as session:
        return service.check(session)


def test_a_refund_balances_at_every_step_and_a_one_sided_entry_is_named(
    db: Database, ctx: CaseContext, packs: PackRegistry, payments: SimulatedPayments, now: datetime
) -> None:
    world = _telenor(db, packs)
    case = settled_with_refund(db, ctx, world, now)
    with db.session() as session:
        refunds.open_due(session, ctx, operator_id=world.operator_id, now=now)
    assert _check(db).balanced
    _give(db, ctx, world, case.id, KARI, now)
    exported = _export(db, ctx, world, now)
    sent = _check(db)
    assert sent.balanced, sent.problems
    assert sent.payouts == 1
    payout = _payout(db, case.id)
    _report(
        db, world, status_report(exported.batch.message_id, (payout.id.hex, "RJCT", "AC04")), now
    )
    assert _check(db).balanced  # returned: owed again
    with db.session() as session:
        session.add(
            LedgerEntry(
                operator_id=world.operator_id,
                case_id=case.id,
                kind="stray",
                account="operator_revenue",
                amount_minor=-100,
                currency="NOK",
                created_at=now,
            )
        )
    broken = _check(db)
    assert not broken.balanced
    assert {p.rule for p in broken.problems} == {"case_unbalanced"}
    assert broken.problems[0].case_reference == case.reference


def test_the_export_has_every_entry_of_the_period_with_both_amounts(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    world = _telenor(db, packs)
    settled_with_refund(db, ctx, world, now)
    start, end = service.period(date(2025, 1, 1), date(2028, 12, 31))
    with db.read_session() as session:
        text = "".join(service.csv_lines(session, world.operator_id, start, end))
        stored = session.scalar(
            select(func.count()).where(LedgerEntry.operator_id == world.operator_id)
        )
        other = "".join(service.csv_lines(session, uuid.uuid4(), start, end))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == stored
    assert rows
    assert sum(int(r["amount_minor"]) for r in rows) == 0
    refund = next(r for r in rows if r["kind"] == "prepaid_refund" and r["account"] == "payout_due")
    assert (refund["amount"], refund["amount_minor"], refund["currency"]) == (
        "-399.00",
        "-39900",
        "NOK",
    )
    assert other.count("\n") == 1  # another operator's ledger: the header only
    before, after = service.period(date(2020, 1, 1), date(2020, 1, 31))
    with db.read_session() as session:
        assert (
            "".join(service.csv_lines(session, world.operator_id, before, after)).count("\n") == 1
        )


def test_a_period_backwards_or_too_long_is_refused_by_name() -> None:
    with pytest.raises(InvalidFields) as backwards:
        service.period(date(2026, 12, 2), date(2026, 12, 1))
    assert backwards.value.problems[0][:2] == ("query.to", "date_order")
    with pytest.raises(InvalidFields) as long:
        service.period(date(2000, 1, 1), date(2026, 1, 1))
    assert long.value.problems[0][:2] == ("query.to", "date_range")


def test_the_cli_check_fails_on_a_problem(
    db: Database,
    database_url: str,
    ctx: CaseContext,
    packs: PackRegistry,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = _telenor(db, packs)
    case = settled_with_refund(db, ctx, world, now)
    monkeypatch.setenv("SIMEXIT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    sound = runner.invoke(cli_app, ["ledger", "check"])
    assert sound.exit_code == 0, sound.output
    assert "balanced" in sound.output
    with db.session() as session:
        session.add(
            LedgerEntry(
                operator_id=world.operator_id,
                case_id=case.id,
                kind="stray",
                account="operator_revenue",
                amount_minor=5,
                currency="NOK",
                created_at=now,
            )
        )
    broken = runner.invoke(cli_app, ["ledger", "check"])
    get_settings.cache_clear()
    assert broken.exit_code == 1
    assert f"{case.reference}: case_unbalanced" in broken.output
