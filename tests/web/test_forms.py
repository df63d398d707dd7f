"""Posted forms are pydantic models: a refused field is shown on the page, in the page's language,
with the sentence of its rule; nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from starlette.datastructures import FormData

from simexit.models import Case
from simexit.policies.model import RequestType, SettlementChoice
from simexit.runtime import Runtime
from simexit.web.forms import FormErrors
from simexit.web.i18n import Texts
from simexit.web.routes.portal.lines import RequestForm
from tests.web.client import WebClient
from tests.web.conftest import sign_in, staff_sign_in, web_line
from tests.web.test_console_work import _submit_case


class TestRequestForm:
    def test_a_ticked_pause_with_a_date_is_read_into_types(self) -> None:
        form = RequestForm.parse(
            FormData(
                {
                    "type": "suspend",
                    "consent": "yes",
                    "suspend_until": "2026-12-24",
                    "settlement": "",
                    "reason": "",
                    "comment": "  a note  ",
                }
            )
        )
        assert isinstance(form, RequestForm)
        assert form.type is RequestType.suspend
        assert form.pause_ends_on is not None
        assert form.pause_ends_on.isoformat() == "2026-12-24"
        assert (form.settlement, form.reason, form.comment) == (None, None, "a note")

    def test_every_refused_field_is_named_with_its_rule(self) -> None:
        errors = RequestForm.parse(
            FormData(
                {
                    "type": "resume",
                    "settlement": "transfer",
                    "transfer_to": "not a number",
                    "reason": "bored",
                }
            )
        )
        assert isinstance(errors, FormErrors)
        assert set(errors.fields) == {"type", "consent", "transfer_to", "reason"}
        assert errors.fields["consent"] == (
            "Please tick the box to confirm that you have read what happens."
        )

    def test_an_unknown_settlement_is_refused_not_dropped(self) -> None:
        errors = RequestForm.parse(FormData({"consent": "yes", "settlement": "keep_it"}))
        assert isinstance(errors, FormErrors)
        assert errors.text(Texts("nb")) == "Velg hva som skal skje med restsaldoen."

    def test_a_transfer_number_is_needed_only_for_a_transfer(self) -> None:
        form = RequestForm.parse(
            FormData({"consent": "yes", "settlement": "refund", "transfer_to": "junk"})
        )
        assert isinstance(form, RequestForm)
        assert form.settlement is SettlementChoice.refund
        assert form.transfer_to is None


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "Choose what should happen to the remaining balance."),
        ("nb", "Velg hva som skal skje med restsaldoen."),
        ("ru", "Выберите, что сделать с остатком на счёте."),
        ("zh_Hans", "请选择剩余余额的处理方式。"),
    ],
)
def test_the_line_page_shows_the_refused_field_in_its_language(
    client: WebClient, runtime: Runtime, language: str, sentence: str
) -> None:
    line = web_line(runtime)
    sign_in(client, runtime, line.msisdn)
    page = f"/my/lines/{line.id}?lang={language}"
    response = client.submit(
        page,
        f"/my/lines/{line.id}/request",
        {"type": "terminate", "consent": "yes", "settlement": "keep_it", "comment": "kept"},
    )
    assert response.status_code == 400
    assert 'class="notice error"' in response.text
    assert sentence in response.text
    assert "kept" in response.text  # the form comes back filled in
    with runtime.db.read_session() as session:
        opened = session.scalar(
            select(func.count()).select_from(Case).where(Case.line_id == line.id)
        )
    assert opened == 0


def test_an_attestation_with_a_method_staff_cannot_record_is_refused_on_the_case_page(
    client: WebClient, runtime: Runtime
) -> None:
    case = _submit_case(client, runtime)
    staff_sign_in(client, "agent@ice-no.demo")
    url = f"/console/cases/{case.id}"
    response = client.submit(url, f"{url}/attest", {"method": "sms_otp"})
    assert response.status_code == 400
    assert "This identity check cannot be recorded now." in response.text
