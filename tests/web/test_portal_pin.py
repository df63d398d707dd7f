"""The portal offers the account PIN where the pack accepts one (Verizon's web channel) and the
subscriber has a PIN: a right PIN sends the request; a wrong one is counted and told."""

from __future__ import annotations

from sqlalchemy import select, update

from simexit.models import Case, Line, Operator, Subscriber, Verification
from simexit.runtime import Runtime
from simexit.verification.secrets import hash_pin
from tests.web.client import WebClient
from tests.web.conftest import sign_in

PIN = "2468"


def verizon_line(runtime: Runtime, *, with_pin: bool) -> Line:
    with runtime.db.session() as session:
        operator = session.scalars(select(Operator).where(Operator.code == "verizon-us")).one()
        line = session.scalars(
            select(Line).where(
                Line.operator_id == operator.id,
                Line.kind == "physical_sim",
                Line.status == "active",
                Line.unpaid_bills_minor == 0,
            )
        ).first()
        assert line is not None
        session.execute(
            update(Subscriber)
            .where(Subscriber.id == line.subscriber_id)
            .values(account_pin_hash=hash_pin(PIN) if with_pin else None)
        )
        return line


def to_confirm_page(client: WebClient, runtime: Runtime, line: Line) -> str:
    sign_in(client, runtime, line.msisdn)
    response = client.submit(
        f"/my/lines/{line.id}",
        f"/my/lines/{line.id}/request",
        {"type": "terminate", "consent": "yes", "settlement": "refund", "reason": "moving_abroad"},
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_a_right_pin_sends_the_request(client: WebClient, runtime: Runtime) -> None:
    line = verizon_line(runtime, with_pin=True)
    confirm_url = to_confirm_page(client, runtime, line)
    page = client.get(confirm_url)
    assert "data-pin-form" in page.text
    wrong = client.submit(confirm_url, confirm_url.replace("/confirm", "/pin"), {"pin": "0000"})
    assert wrong.status_code == 400
    assert 'role="alert"' in wrong.text
    with runtime.db.read_session() as session:
        counted = session.scalars(
            select(Verification).where(Verification.method == "account_pin")
        ).one()
    assert (counted.attempts, counted.status) == (1, "pending")
    right = client.submit(confirm_url, confirm_url.replace("/confirm", "/pin"), {"pin": PIN})
    assert right.status_code == 303, right.text
    with runtime.db.read_session() as session:
        case = session.scalars(select(Case).where(Case.line_id == line.id)).one()
        check = session.scalars(
            select(Verification).where(
                Verification.case_id == case.id, Verification.status == "passed"
            )
        ).one()
    assert check.method == "account_pin"
    assert case.status not in {"draft", "awaiting_verification"}
    assert case.consent_text


def test_no_pin_form_without_a_pin_on_file(client: WebClient, runtime: Runtime) -> None:
    line = verizon_line(runtime, with_pin=False)
    page = client.get(to_confirm_page(client, runtime, line))
    assert page.status_code == 200
    assert "data-pin-form" not in page.text
