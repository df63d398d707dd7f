"""The console and portal case pages show where a refund goes and record a new destination, with
the API's checks and each refusal in the reader's language."""

from __future__ import annotations

from sqlalchemy import update

from simexit.models import Case
from simexit.runtime import Runtime
from tests.web.client import WebClient
from tests.web.conftest import staff_sign_in
from tests.web.test_console import _submit_case


def test_an_agent_records_where_the_refund_goes(client: WebClient, runtime: Runtime) -> None:
    case = _submit_case(client, runtime)
    with runtime.db.session() as session:
        session.execute(update(Case).where(Case.id == case.id).values(settlement="refund"))
    staff_sign_in(client, "agent@ice-no.demo")
    page_url = f"/console/cases/{case.id}?lang=en"
    page = client.get(page_url).text
    assert "refund-destination" in page
    assert '<option value="no_account">Norwegian account number</option>' in page
    assert 'value="card"' not in page  # Norwegian packs pay refunds by bank transfer only
    action = f"/console/cases/{case.id}/refund-destination"
    wrong = client.submit(
        page_url, action, {"kind": "no_account", "holder_name": "Kari", "account": "86011117948"}
    )
    assert wrong.status_code == 400
    assert "the MOD11 check digit does not match" in wrong.text
    client.get(f"/console/cases/{case.id}?lang=nb")  # the agent switches to Norwegian
    again = client.submit(
        f"/console/cases/{case.id}?lang=nb",
        action,
        {"kind": "no_account", "holder_name": "Kari", "account": "86011117948"},
    )
    assert "Kontrollsifferet stemmer ikke." in again.text
    saved = client.submit(
        page_url, action, {"kind": "no_account", "holder_name": "Kari", "account": "86011117947"}
    )
    assert saved.status_code == 303, saved.text
    shown = client.get(page_url).text
    assert "no_account •••• 7947" in shown
    norwegian = client.get(f"/console/cases/{case.id}?lang=nb").text
    assert "Norsk kontonummer" in norwegian


def test_a_case_without_a_refund_has_no_refund_form(client: WebClient, runtime: Runtime) -> None:
    case = _submit_case(client, runtime)
    with runtime.db.session() as session:
        session.execute(update(Case).where(Case.id == case.id).values(settlement="forfeit"))
    staff_sign_in(client, "agent@ice-no.demo")
    assert "refund-destination" not in client.get(f"/console/cases/{case.id}").text


def test_the_subscriber_gives_the_destination_on_the_status_page(
    client: WebClient, runtime: Runtime
) -> None:
    case = _submit_case(client, runtime)  # signed in as the line's subscriber
    with runtime.db.session() as session:
        session.execute(update(Case).where(Case.id == case.id).values(settlement="refund"))
    page_url = f"/my/cases/{case.id}?lang=en"
    assert "Where the refund goes" in client.get(page_url).text
    action = f"/my/cases/{case.id}/refund-destination"
    wrong = client.submit(
        page_url, action, {"kind": "iban", "holder_name": "Kari", "account": "NO9386011117948"}
    )
    assert wrong.status_code == 409
    assert "is not a valid IBAN" in wrong.text
    saved = client.submit(
        page_url, action, {"kind": "iban", "holder_name": "Kari", "account": "NO9386011117947"}
    )
    assert saved.status_code == 303, saved.text
    assert "iban •••• 7947" in client.get(page_url).text
