"""`simexit payouts destination|export|import|list` against a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simexit import migrate
from simexit.cases.context import CaseContext
from simexit.cli import app
from simexit.config import get_settings
from simexit.db import Database
from simexit.integrations.simulated import SimulatedPayments
from simexit.models import Operator
from simexit.policies.loader import PackRegistry
from simexit.refunds.errors import NothingToPay
from simexit.refunds.pain001 import validate
from tests.cases.conftest import build_world
from tests.refunds.conftest import ctx, packs, payments, settled_with_refund  # noqa: F401
from tests.refunds.test_payment_files import status_report


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SIMEXIT_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")  # the list's table in one line a row
    get_settings.cache_clear()
    db = Database(url)
    migrate.upgrade(db.engine)
    yield db
    db.dispose()
    get_settings.cache_clear()


def test_a_refund_is_given_a_destination_exported_and_settled_from_the_command_line(
    database: Database,
    ctx: CaseContext,  # noqa: F811
    packs: PackRegistry,  # noqa: F811
    payments: SimulatedPayments,  # noqa: F811
    now: datetime,
    tmp_path: Path,
) -> None:
    world = build_world(database, packs, pack_id="no/telenor", plan="prepaid", balance_minor=39900)
    case = settled_with_refund(database, ctx, world, now)
    with database.read_session() as session:
        operator = session.get(Operator, world.operator_id)
        assert operator is not None
        code = operator.code
    runner = CliRunner()
    base = ["payouts", "destination", case.reference, "--operator", code]
    refused = runner.invoke(
        app, [*base, "--kind", "no_account", "--holder", "Kari", "--account", "86011117948"]
    )
    assert refused.exit_code == 2
    assert "account: the MOD11 check digit does not match (check_digit)" in refused.output
    given = runner.invoke(
        app, [*base, "--kind", "no_account", "--holder", "Kari", "--account", "86011117947"]
    )
    assert given.exit_code == 0, given.output
    assert "refund to no_account •••• 7947" in given.output

    out = tmp_path / "refunds.xml"
    exported = runner.invoke(
        app,
        ["payouts", "export", "--operator", code, "--currency", "NOK", "--out", str(out)],
    )
    assert exported.exit_code == 0, exported.output
    assert "1 refunds, 399.00 NOK" in exported.output
    document = out.read_bytes()
    validate(document)
    message_id = exported.output.split("\n")[1].split(":")[0]
    end_to_end = document.split(b"<EndToEndId>")[1].split(b"<")[0].decode()

    answer = tmp_path / "pain002.xml"
    answer.write_bytes(status_report(message_id, (end_to_end, "ACSC", None)))
    imported = runner.invoke(app, ["payouts", "import", str(answer), "--operator", code])
    assert imported.exit_code == 0, imported.output
    assert "1 settled, 0 returned" in imported.output
    listed = runner.invoke(app, ["payouts", "list", "--operator", code])
    assert listed.exit_code == 0, listed.output
    assert case.reference in listed.output
    assert "settled" in listed.output
    refused_overwrite = runner.invoke(
        app,
        ["payouts", "export", "--operator", code, "--currency", "NOK", "--out", str(out)],
    )
    assert refused_overwrite.exit_code == 2
    assert "exists" in refused_overwrite.output
    again = runner.invoke(
        app,
        ["payouts", "export", "--operator", code, "--currency", "NOK", "--out", str(out) + "2"],
    )
    assert isinstance(again.exception, NothingToPay), again.output
