"""No dead ends, and everything said before sending (issue 17, items 1 and 2)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from simexit.cases.service import porting
from simexit.models import Case, Line
from simexit.principals import Actor, ActorType
from simexit.provisioning.events import EventType, LineEvent, record_event
from simexit.runtime import Runtime
from tests.web.client import WebClient
from tests.web.conftest import sign_in
from tests.web.test_portal_messages import case_row, find_line, request_and_confirm


def line_page(client: WebClient, runtime: Runtime, operator: str, **where: object) -> str:
    line = find_line(runtime, operator, **where)
    sign_in(client, runtime, line.msisdn)
    page = client.get(f"/my/lines/{line.id}?lang=en")
    assert page.status_code == 200
    return page.text


class TestPendingPort:
    def test_shows_the_port_instead_of_a_cancellation_form(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        page = line_page(client, runtime, "telenor-no", port_pending=True)
        assert "Your number is being moved" in page
        assert "ends by itself and you keep your number" in page
        assert 'id="cancel-form"' not in page
        # Not both "the move ends it" and "you lose the number unless you move it".
        assert "You lose the phone number" not in page
        assert "+47 915 09 000" in page  # the pack's phone channel, to stop a move not asked for

    def test_says_what_the_port_does_with_the_balance(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        """Telenor refunds a prepaid balance on a switch (EECC art. 106(6)): the page says so
        instead of offering a cancellation that could never proceed."""
        line = find_line(runtime, "telenor-no", plan="prepaid", status="active", port_pending=False)
        with runtime.db.session() as session:
            session.execute(
                update(Line)
                .where(Line.id == line.id)
                .values(balance_minor=39900, bonus_balance_minor=0)
            )
            agent = Actor(ActorType.agent, "agent-1", operator_id=line.operator_id)
            porting.request_port_out(
                session,
                actor=agent,
                msisdn=line.msisdn,
                recipient_operator="Ice",
                now=datetime.now(UTC),
            )
        sign_in(client, runtime, line.msisdn)
        page = client.get(f"/my/lines/{line.id}?lang=en").text
        assert "Your number is being moved to Ice." in page
        assert 'id="cancel-form"' not in page
        assert "your remaining balance of" in page
        assert "is refunded to you" in page
        assert "399" in page


class TestUnpaidBills:
    def test_the_way_out_is_on_the_line_page(self, client: WebClient, runtime: Runtime) -> None:
        """MTS blocks on unpaid bills: how to pay, whom to contact, and what happens next."""
        page = line_page(client, runtime, "mts-ru", plan="postpaid", unpaid=True)
        assert "How to clear this" in page
        assert "the way you usually pay your bills" in page
        assert "8 800 250 0890" in page  # the pack's phone channel
        assert "MTS salon" in page
        assert "goes ahead by itself as soon as the payment reaches the operator" in page

    def test_a_payment_plan_where_the_pack_allows_it(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        """Norway: unpaid bills need a payment plan, checked by a person."""
        page = line_page(
            client, runtime, "telenor-no", plan="postpaid", port_pending=False, unpaid=True
        )
        assert "ask the operator for a payment plan" in page
        assert "+47 915 09 000" in page
        assert "goes ahead by itself" not in page  # a person decides, no event moves it

    def test_a_blocked_case_moves_on_once_the_bill_is_paid(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = find_line(runtime, "mts-ru", plan="postpaid", unpaid=True)
        case_id = request_and_confirm(
            client, runtime, line, {"type": "terminate", "consent": "yes"}
        )
        assert case_row(runtime, case_id).status == "blocked"
        page = client.get(f"/my/cases/{case_id}?lang=en").text
        assert "How to clear this" in page
        assert "You do not need to send it again" in page
        with runtime.db.session() as session:
            record_event(
                session,
                runtime.cases,
                actor=Actor(ActorType.system, "billing", operator_id=line.operator_id),
                line_id=line.id,
                event=LineEvent(
                    type=EventType.bill_paid, amount=f"{line.unpaid_bills_minor / 100:.2f}"
                ),
                now=datetime.now(UTC),
            )
        assert case_row(runtime, case_id).status != "blocked"
        with runtime.db.read_session() as session:  # the same case moved on, no second one
            assert session.scalars(select(Case.id).where(Case.line_id == line.id)).all() == [
                case_id
            ]


class TestBeforeSending:
    def test_reversibility_and_generic_reminders(self, client: WebClient, runtime: Runtime) -> None:
        page = line_page(
            client, runtime, "mts-ru", kind="physical_sim", plan="prepaid", status="active"
        )
        assert "Before you send" in page
        assert "You can withdraw the request until it takes effect" in page
        assert ("can reactivate the line until" in page) or ("cannot be reversed" in page)
        assert "Gosuslugi" in page
        assert "Remove the bank card or automatic top-up" in page

    def test_a_data_card_gets_the_backup_step(self, client: WebClient, runtime: Runtime) -> None:
        page = line_page(client, runtime, "ice-no", kind="data_only", status="active")
        assert "hotspot name and password" in page

    def test_att_does_not_offer_a_pause_it_refuses_online(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        page = line_page(
            client, runtime, "att-us", kind="physical_sim", plan="postpaid", status="active"
        )
        assert 'name="type" value="suspend"' not in page
        if "Pause the line instead" in page:
            assert "A pause cannot be asked for here" in page
